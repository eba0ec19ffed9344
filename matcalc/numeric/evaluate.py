"""Evaluation: expressions compiled to NumPy functions (``lambdify``) and evaluated at points.

An expression is compiled once per concrete size, through SymPy's ``lambdify`` with the
oracle's printer (``MatcalcNumPyPrinter``), its symbols renamed ``_mc_m0, _mc_s0, ...``.  An
expression nested deeper than ``MAX_NESTING`` levels is compiled in stages: Python's parser
refuses code with more than ~200 nested parentheses, and SymPy's printer recurses once per
level.  ``_Bound`` is an expression at a point, the unit the finite differences perturb.
"""
from functools import lru_cache

import numpy as np
import sympy
from sympy import Basic, MatrixSymbol, Symbol
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..errors import ShapeError
from ..dag import substituted
from ..registry import rebuilt, rule_memo
from .points import (deep_ok, deep_recursion, dimension_symbols, free_symbols, nesting_depth,
                     postorder, require_within_limits, sizes_for, sympify)
from .printer import MatcalcNumPyPrinter

__all__ = ["lambdify", "evaluate", "substituted", "MAX_NESTING"]

#: expressions nested deeper are compiled in stages (``points.MAX_EVAL_NESTING``: refused)
MAX_NESTING = 60


def _printer():
    return MatcalcNumPyPrinter({"fully_qualified_modules": True, "inline": True,
                                "allow_unknown_functions": False, "strict": True})


@rule_memo
@lru_cache(maxsize=1024)
def _compile(args, expr):
    # docstring_limit=0: lambdify's docstring calls str(expr), which dominates the
    # compile time of large matrix expressions
    return sympy.lambdify(args, expr, modules="numpy", printer=_printer(), docstring_limit=0)


def _rename(symbols):
    """Safe, collision-free argument names: ``_mc_m0, ...`` / ``_mc_s0, ...``."""
    mapping = {}
    for k, s in enumerate(symbols):
        if isinstance(s, MatrixSymbol):
            mapping[s] = MatrixSymbol(f"_mc_m{k}", *s.shape)
        else:
            mapping[s] = Symbol(f"_mc_s{k}", **s.assumptions0)
    return mapping


def _compile_with_symbols(symbols, expr):
    """Compile ``expr`` (concrete sizes) as a function of ``symbols`` in order.

    An expression nested deeper than ``MAX_NESTING`` is compiled in stages
    (``_staged``): Python's parser refuses code with more than ~200 nested
    parentheses, and SymPy's printer recurses once per level.
    """
    mapping = _rename(symbols)
    args = tuple(mapping[s] for s in symbols)
    renamed = substituted(expr, mapping)
    if nesting_depth(renamed) <= MAX_NESTING:
        return _compile(args, renamed)
    return _staged(args, renamed)


def _nameable(node, allowed):
    """Can ``node`` be computed on its own, as a temporary? (Not inside a Lambda body.)"""
    if isinstance(node, MatrixExpr):
        return all(sympify(d).is_Integer for d in node.shape)
    return isinstance(node, sympy.Expr) and node.free_symbols <= allowed


def _split_deep(args, expr, limit):
    """``(stages, final)``: ``stages`` a list of ``(temporary, subexpression)`` in
    evaluation order such that ``final`` and every subexpression, with earlier
    temporaries as symbols, nest at most ``limit`` levels."""
    allowed = set(args)
    stages = []
    named = {}  # id(node) -> (node with deep parts named, height)
    for node in postorder(expr):
        key = id(node)
        children = node.args if isinstance(node, Basic) else ()
        if not children:
            named[key] = (node, 0)
            continue
        new_args = [named[id(a)][0] for a in children]
        height = 1 + max(named[id(a)][1] for a in children)
        if all(n is a for n, a in zip(new_args, children)):
            new = node
        elif isinstance(node, sympy.Function):
            new = node.func(*new_args, evaluate=False)
        else:
            new = rebuilt(node, new_args)
        if height >= limit and _nameable(new, allowed):
            k = len(stages)
            temp = (MatrixSymbol(f"_mc_t{k}", *new.shape) if isinstance(new, MatrixExpr)
                    else Symbol(f"_mc_u{k}"))
            stages.append((temp, new))
            allowed.add(temp)
            new, height = temp, 0
        named[key] = (new, height)
    return stages, named[id(expr)][0]


def _staged(args, expr):
    """A function of ``args`` evaluating the deep ``expr`` stage by stage."""
    stages, final = _split_deep(args, expr, MAX_NESTING // 2)
    known = list(args)
    functions = []
    for temp, sub in stages:
        functions.append(_compile(tuple(known), sub))
        known.append(temp)
    last = _compile(tuple(known), final)

    def function(*values):
        env = list(values)
        for stage in functions:
            env.append(stage(*env))
        return last(*env)

    return function


@deep_ok
def lambdify(args, expr):
    """A NumPy function of ``args`` computing ``expr`` (compiled once, cached).

    Dimension symbols of ``expr`` that are not among ``args`` are read from
    the shapes of the matrix arguments at call time, so one function serves
    every concrete size.
    """
    single = isinstance(args, Basic)
    args = [sympify(args)] if single else [sympify(a) for a in args]
    expr = sympify(expr)
    dims = [d for d in dimension_symbols(expr, *args) if d not in args]
    missing = [s for s in expr.free_symbols if s not in args and s not in dims]
    if missing:
        raise ValueError(f"free symbols {sorted(map(str, missing))} of {expr} are not among "
                         f"the arguments {[str(a) for a in args]}")
    if not dims:
        return _compile_with_symbols(args, expr)
    where = {}
    for k, a in enumerate(args):
        if isinstance(a, MatrixSymbol):
            for axis, d in enumerate(a.shape):
                if d in dims and d not in where:
                    where[d] = (k, axis)
    unknown = [d for d in dims if d not in where]
    if unknown:
        raise ValueError(f"the sizes {[str(d) for d in unknown]} of {expr} cannot be read "
                         "from the shapes of the arguments; pass them as arguments")
    compiled = {}

    def function(*values):
        sizes = tuple(np.shape(values[k])[axis] for (k, axis) in (where[d] for d in dims))
        if sizes not in compiled:
            sub = dict(zip(dims, sizes))
            with deep_recursion(expr):
                compiled[sizes] = _compile_with_symbols([substituted(a, sub) for a in args],
                                                        substituted(expr, sub))
        return compiled[sizes](*values)

    function.__doc__ = f"NumPy function of ({', '.join(map(str, args))})"
    return function


class _Bound:
    """An expression at a point: a compiled function and its argument values.

    ``call({symbol: value})`` evaluates with some values replaced (used by
    the finite differences to perturb the variable).  An expression with a matrix of more
    than ``MAX_ENTRIES`` entries at the point's sizes is refused (``ResourceLimitError``).
    """

    def __init__(self, expr, point):
        expr = sympify(expr)
        # a dimension of the point may also occur as a scalar (m X^{-T} of log det(X ⊗ M))
        dims = set(dimension_symbols(expr)) | {d for d in point.sizes
                                               if isinstance(d, Symbol) and d in expr.free_symbols}
        sizes = sizes_for(sorted(dims, key=lambda d: d.name), point.sizes, expr)
        concrete = substituted(expr, sizes) if sizes else expr
        require_within_limits([concrete])   # before anything is compiled or allocated
        table = {}
        for s, v in point.values.items():
            table[s.xreplace(sizes) if isinstance(s, MatrixSymbol) else s] = (s, v)
        matrices, scalars = free_symbols([concrete])
        self.symbols = matrices + scalars
        self.values = [self._as_value(s, self._lookup(s, table)[1]) for s in self.symbols]
        self.function = _compile_with_symbols(self.symbols, concrete)
        self.expr = expr
        self.is_matrix = isinstance(concrete, MatrixExpr)
        self.shape = tuple(int(d) for d in concrete.shape) if self.is_matrix else (1, 1)

    @staticmethod
    def _lookup(symbol, table):
        if symbol in table:
            return table[symbol]
        if isinstance(symbol, MatrixSymbol):
            # the same variable rebuilt without (or with another) structure
            same = [k for k in table if isinstance(k, MatrixSymbol) and k.name == symbol.name
                    and k.shape == symbol.shape]
        else:
            same = [k for k in table if isinstance(k, Symbol) and not isinstance(k, MatrixSymbol)
                    and k.name == symbol.name]
        if len(same) == 1:
            return table[same[0]]
        raise ValueError(f"the point has no value for {symbol}")

    @staticmethod
    def _as_value(symbol, value):
        if isinstance(symbol, MatrixSymbol):
            shape = tuple(int(d) for d in symbol.shape)
            value = np.asarray(value, dtype=float)
            if value.size != shape[0] * shape[1]:
                raise ShapeError(f"value of shape {value.shape} for {symbol} of shape {shape}")
            return value.reshape(shape)
        return float(value)

    def positions(self, symbol, sizes):
        """Positions of the user's matrix ``symbol`` among the arguments: the
        arguments of the same name and shape (with or without a structure)."""
        concrete = symbol.xreplace(sizes)
        return [k for k, s in enumerate(self.symbols)
                if isinstance(s, MatrixSymbol) and s.name == concrete.name
                and s.shape == concrete.shape]

    def call(self, replace=None):
        values = list(self.values)
        for k, v in (replace or {}).items():
            values[k] = v
        with np.errstate(all="ignore"):
            try:
                out = self.function(*values)
            except (np.linalg.LinAlgError, ZeroDivisionError, OverflowError):
                # inverting a singular (or overflowed) matrix: undefined here, like a NaN
                out = np.full(self.shape if self.is_matrix else (1,), np.nan)
        if self.is_matrix:
            return np.asarray(out, dtype=float).reshape(self.shape)
        out = np.asarray(out, dtype=float)
        if out.size != 1:
            raise ShapeError(f"{self.expr} is not a scalar: its value has shape {out.shape}")
        return float(out.reshape(-1)[0])


@deep_ok
def evaluate(expr, point):
    """The value of ``expr`` at ``point``: a float for scalars and 1x1 matrices,
    an ``ndarray`` otherwise."""
    bound = _Bound(expr, point)
    value = bound.call()
    if bound.is_matrix and bound.shape == (1, 1):
        return float(value[0, 0])
    return value
