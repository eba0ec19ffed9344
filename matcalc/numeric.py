"""The numeric oracle: concrete sizes, random points, NumPy evaluation, finite differences.

The independent judge of every derivative matcalc claims. It never imports
the symbolic engine: it substitutes concrete sizes for the symbolic
dimensions, draws random matrices that respect each symbol's declared
structure, evaluates through NumPy (``MatcalcNumPyPrinter``) and compares a
claimed gradient / Jacobian / Hessian with central finite differences:

    D(h)  = (f(X + hE) - f(X - hE)) / 2h
    R     = (4 D(h/2) - D(h)) / 3                   (Richardson, error O(h^4))

    max_rel_error = max|G - G_fd| / max(max|G_fd|, max|G|)

For large variables (more than ``DIRECTIONAL_THRESHOLD`` entries) it compares
``<G, V>`` with the directional difference along random directions ``V``.
"""
import math
import sys
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, wraps

import numpy as np
import sympy
from sympy import Basic, MatrixSymbol, Symbol
from sympy import sympify as _sympy_sympify
from sympy.core.traversal import preorder_traversal
from sympy.matrices.expressions.matexpr import MatrixExpr

from .errors import ShapeError
from .constructs.differentials import DifferentialSymbol
from .numpy_printer import MatcalcNumPyPrinter
from .constructs.structured import structure_of

__all__ = ["Point", "CheckReport", "concrete_sizes", "random_point", "evaluate", "lambdify",
           "fd_gradient", "fd_directional", "fd_jacobian", "fd_hessian",
           "check", "check_jacobian", "check_hessian",
           "point_at", "conditioning", "nesting_depth",
           "SIZE_POOL", "DIRECTIONAL_THRESHOLD", "STEP", "HESSIAN_STEP", "SWEEP", "HESSIAN_SWEEP"]

#: sizes handed to the free dimensions, in this order for seed 0
SIZE_POOL = (3, 4, 5, 2, 6, 7, 8, 9, 10, 11, 12, 13)
#: above this many entries of X, ``check`` compares directional derivatives
DIRECTIONAL_THRESHOLD = 400
#: the Hessian check goes directional earlier (it costs ~4 N^2 evaluations)
HESSIAN_DIRECTIONAL_THRESHOLD = 64
#: relative finite-difference steps (gradient/Jacobian, Hessian)
STEP = 1e-3
HESSIAN_STEP = 4e-3
#: expressions nested deeper are compiled in stages; deeper than the second are refused
MAX_NESTING = 60
MAX_EVAL_NESTING = 1000
#: random directions compared by the directional method
DIRECTIONS = 8
#: redraws of a point whose values are not finite before giving up
REDRAWS = 5
STRUCTURE_OPTIONS = (None, "general", "symmetric", "symmetric-elementwise")


def sympify(value):
    """SymPy's ``sympify`` in strict mode: numbers and SymPy objects only.

    Never text: a string given to SymPy's default ``sympify`` is parsed with
    ``eval``; the evaluator refuses it (use ``matcalc.parse`` for text)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"matcalc.numeric does not evaluate text ({value[:40]!r}); build the "
                        "expression with SymPy or matcalc.parse(text).expr")
    return _sympy_sympify(value, strict=True)


# --------------------------------------------------------------------------
# deep expressions
# --------------------------------------------------------------------------
def nesting_depth(expr):
    """Height of the expression tree (an atom is 0), computed without recursion."""
    height = {}
    stack = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if key in height:
            continue
        args = node.args if isinstance(node, Basic) else ()
        if expanded or not args:
            height[key] = 1 + max((height[id(a)] for a in args), default=-1)
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in args if id(a) not in height)
    return height[id(expr)]


@contextmanager
def _deep_recursion(*exprs):
    """Room on the Python stack for SymPy's recursive walks of deep expressions;
    a ``ValueError`` for expressions deeper than ``MAX_EVAL_NESTING``."""
    height = max((nesting_depth(e) for e in exprs if isinstance(e, Basic)), default=0)
    if height > MAX_EVAL_NESTING:
        raise ValueError(f"expression nested {height} levels deep; the evaluator handles at "
                         f"most {MAX_EVAL_NESTING}")
    old = sys.getrecursionlimit()
    needed = 1000 + 12 * height
    if needed > old:
        sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        if needed > old:
            sys.setrecursionlimit(old)


def _deep_ok(function):
    """Run ``function`` with room for SymPy's recursion over its (deep) expression arguments."""
    @wraps(function)
    def wrapper(*args, **kwargs):
        exprs = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Basic)]
        with _deep_recursion(*exprs):
            return function(*args, **kwargs)
    return wrapper


# --------------------------------------------------------------------------
# sizes and points
# --------------------------------------------------------------------------
def _sympify_all(exprs):
    return [sympify(e) for e in exprs]


def dimension_symbols(*exprs):
    """The symbols occurring in the shape of any matrix node of ``exprs``, sorted by name."""
    dims = set()
    for expr in _sympify_all(exprs):
        if not isinstance(expr, Basic):
            continue
        for node in preorder_traversal(expr):
            if isinstance(node, MatrixExpr):
                for d in node.shape:
                    dims |= sympify(d).free_symbols
    return sorted(dims, key=lambda s: s.name)


def _free_symbols(exprs):
    """(matrix symbols, scalar symbols) free in ``exprs``; dimension symbols excluded."""
    dims = set(dimension_symbols(*exprs))
    matrices, scalars = set(), set()
    for expr in _sympify_all(exprs):
        for s in getattr(expr, "free_symbols", ()):
            if isinstance(s, DifferentialSymbol):
                raise ValueError(f"the differential {s} cannot take a numeric value; "
                                 "the expression must be free of differentials")
            if isinstance(s, MatrixSymbol):
                matrices.add(s)
            elif isinstance(s, Symbol) and s not in dims:
                scalars.add(s)
    key = lambda s: (s.name, str(s.shape) if isinstance(s, MatrixSymbol) else "", structure_of(s)
                     if isinstance(s, MatrixSymbol) else "", sympy.srepr(s))
    return sorted(matrices, key=key), sorted(scalars, key=key)


def concrete_sizes(*exprs, seed=0):
    """A distinct concrete size for every free dimension symbol of ``exprs``.

    Seed 0 gives the dimensions, sorted by name, the sizes 3, 4, 5, 2, 6, ...;
    another seed a deterministic choice of distinct sizes among the first
    ``len(dims) + 2`` of that sequence.
    """
    dims = dimension_symbols(*exprs)
    pool = list(SIZE_POOL) + list(range(SIZE_POOL[-1] + 1, SIZE_POOL[-1] + 3 + len(dims)))
    if seed:
        pool = list(np.random.default_rng(seed).permutation(pool[:len(dims) + 2]))
    return {d: int(s) for d, s in zip(dims, pool[:len(dims)])}


@dataclass
class Point:
    """Concrete sizes and values at which expressions are evaluated.

    ``values`` maps each SymPy symbol, as it appears in the user's expressions
    (symbolic dimensions and all), to an ``ndarray`` (matrix symbols) or a float.
    """

    sizes: dict
    values: dict
    seed: int = 0

    def __getitem__(self, symbol):
        return self.values[symbol]

    def with_value(self, symbol, value):
        """A copy of the point with ``symbol`` set to ``value``."""
        values = dict(self.values)
        values[symbol] = value
        return Point(dict(self.sizes), values, self.seed)


def _integer_sizes(sizes):
    return {sympify(d): sympy.Integer(int(v)) for d, v in sizes.items()}


def _sizes_for(dims, sizes, what):
    """``{dim: Integer}`` for ``dims`` from ``sizes`` (keys: the symbols or their names)."""
    by_name = {str(k): v for k, v in sizes.items()}
    out, missing = {}, []
    for d in dims:
        value = sizes.get(d, by_name.get(d.name))
        if value is None:
            missing.append(d.name)
        else:
            out[d] = sympy.Integer(int(value))
    if missing:
        raise ValueError(f"no concrete size for the dimension(s) {', '.join(missing)} of {what}")
    return out


def _concrete_shape(symbol, sizes):
    sizes = _integer_sizes(sizes)
    shape = []
    for d in symbol.shape:
        d = sympify(d).xreplace(sizes)
        if not d.is_Integer:
            raise ValueError(f"no concrete size for the dimension {d} of {symbol}")
        shape.append(int(d))
    return tuple(shape)


def _well_conditioned(rng, n):
    return np.eye(n) + 0.3 * rng.standard_normal((n, n)) / math.sqrt(n)


def draw_matrix(structure, shape, rng):
    """A random matrix of ``shape`` with the declared ``structure``.

    general square / invertible: I + 0.3 randn/sqrt(n) (well conditioned, so
    inverses, log det and powers are defined); non-square: randn; symmetric:
    the symmetric part of a well-conditioned draw; spd: B B^T/n + I;
    orthogonal: Q of a QR; diagonal: diag(uniform(0.5, 1.5)); positive:
    uniform(0.5, 1.5) entries.
    """
    rows, cols = shape
    square = rows == cols
    if structure == "positive":
        return rng.uniform(0.5, 1.5, shape)
    if structure in ("general", "invertible") or not square:
        if not square:
            if structure not in ("general", "positive"):
                raise ValueError(f"a {structure} matrix must be square, got shape {shape}")
            return rng.standard_normal(shape)
        return _well_conditioned(rng, rows)
    if structure == "symmetric":
        A = _well_conditioned(rng, rows)
        return (A + A.T) / 2
    if structure == "spd":
        B = rng.standard_normal(shape)
        return B @ B.T / rows + np.eye(rows)
    if structure == "orthogonal":
        Q, R = np.linalg.qr(rng.standard_normal(shape))
        return Q * np.sign(np.diag(R))
    if structure == "diagonal":
        return np.diag(rng.uniform(0.5, 1.5, rows))
    raise ValueError(f"unknown structure {structure!r}")


def _symbol_rng(seed, symbol, tag):
    # one stream per symbol: a symbol's value does not depend on which others exist
    key = zlib.crc32(f"{symbol.name}|{tag}".encode())
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, key])


@_deep_ok
def random_point(*exprs, sizes=None, seed=0):
    """A random ``Point`` for the free symbols of ``exprs``.

    Matrix symbols are drawn at concrete sizes respecting ``structure_of``;
    scalar symbols (not dimensions) are uniform(0.5, 1.5). Deterministic
    for a seed; ``sizes`` defaults to ``concrete_sizes(*exprs, seed=seed)``.
    """
    exprs = _sympify_all(exprs)
    matrices, scalars = _free_symbols(exprs)
    if sizes is None:
        sizes = concrete_sizes(*exprs, seed=seed)
    else:
        dims = dimension_symbols(*exprs)
        sizes = {d: int(v) for d, v in _sizes_for(dims, sizes, "the expressions").items()}
    values = {}
    groups = {}
    for symbol in matrices:
        # one variable written with and without its structure: one value
        groups.setdefault((symbol.name, _concrete_shape(symbol, sizes)), []).append(symbol)
    for (name, shape), members in groups.items():
        declared = [structure_of(s) for s in members if structure_of(s) != "general"]
        structure = declared[0] if declared else "general"
        value = draw_matrix(structure, shape, _symbol_rng(seed, members[0], f"{shape}"))
        for symbol in members:
            values[symbol] = value
    for symbol in scalars:
        values[symbol] = float(_symbol_rng(seed, symbol, "scalar").uniform(0.5, 1.5))
    return Point(sizes, values, seed)


# --------------------------------------------------------------------------
# compilation and evaluation
# --------------------------------------------------------------------------
def _printer():
    return MatcalcNumPyPrinter({"fully_qualified_modules": True, "inline": True,
                                "allow_unknown_functions": False, "strict": True})


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


def _substitute(expr, mapping):
    """``expr.xreplace(mapping)`` without letting functions re-evaluate their arguments.

    Rebuilding runs constructors, and ``Abs(u)`` re-simplifies ``u``: it pushes
    ``(S D)^T`` to ``D^T S`` for a symmetric S -- the same value at a symmetric point,
    but another function of an unconstrained S, whose finite differences would judge a
    different function than the one given. Applied functions are therefore rebuilt
    with ``evaluate=False``; every other node as ``xreplace`` does."""
    memo = {}

    def walk(node):
        key = id(node)
        if key in memo:
            return memo[key]
        if node in mapping:
            out = mapping[node]
        elif not isinstance(node, Basic) or not node.args:
            out = node
        else:
            args = [walk(a) for a in node.args]
            if all(new is old for new, old in zip(args, node.args)):
                out = node
            elif isinstance(node, sympy.Function):
                out = node.func(*args, evaluate=False)
            else:
                out = node.func(*args)
        memo[key] = out
        return out

    return walk(expr)


def _compile_with_symbols(symbols, expr):
    """Compile ``expr`` (concrete sizes) as a function of ``symbols`` in order.

    An expression nested deeper than ``MAX_NESTING`` is compiled in stages
    (``_staged``): Python's parser refuses code with more than ~200 nested
    parentheses, and SymPy's printer recurses once per level.
    """
    mapping = _rename(symbols)
    args = tuple(mapping[s] for s in symbols)
    renamed = _substitute(expr, mapping)
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
    rebuilt = {}  # id(node) -> (node with deep parts named, height)
    stack = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if key in rebuilt:
            continue
        children = node.args if isinstance(node, Basic) else ()
        if not children:
            rebuilt[key] = (node, 0)
            continue
        if not expanded:
            stack.append((node, True))
            stack.extend((a, False) for a in children if id(a) not in rebuilt)
            continue
        new_args = [rebuilt[id(a)][0] for a in children]
        height = 1 + max(rebuilt[id(a)][1] for a in children)
        if all(n is a for n, a in zip(new_args, children)):
            new = node
        elif isinstance(node, sympy.Function):
            new = node.func(*new_args, evaluate=False)
        else:
            new = node.func(*new_args)
        if height >= limit and _nameable(new, allowed):
            k = len(stages)
            temp = (MatrixSymbol(f"_mc_t{k}", *new.shape) if isinstance(new, MatrixExpr)
                    else Symbol(f"_mc_u{k}"))
            stages.append((temp, new))
            allowed.add(temp)
            new, height = temp, 0
        rebuilt[key] = (new, height)
    return stages, rebuilt[id(expr)][0]


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


@_deep_ok
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
            with _deep_recursion(expr):
                compiled[sizes] = _compile_with_symbols([_substitute(a, sub) for a in args],
                                                        _substitute(expr, sub))
        return compiled[sizes](*values)

    function.__doc__ = f"NumPy function of ({', '.join(map(str, args))})"
    return function


class _Bound:
    """An expression at a point: a compiled function and its argument values.

    ``call({symbol: value})`` evaluates with some values replaced (used by
    the finite differences to perturb the variable).
    """

    def __init__(self, expr, point):
        expr = sympify(expr)
        sizes = _sizes_for(dimension_symbols(expr), point.sizes, expr)
        concrete = _substitute(expr, sizes) if sizes else expr
        table = {}
        for s, v in point.values.items():
            table[s.xreplace(sizes) if isinstance(s, MatrixSymbol) else s] = (s, v)
        matrices, scalars = _free_symbols([concrete])
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


@_deep_ok
def evaluate(expr, point):
    """The value of ``expr`` at ``point``: a float for scalars and 1x1 matrices,
    an ``ndarray`` otherwise."""
    bound = _Bound(expr, point)
    value = bound.call()
    if bound.is_matrix and bound.shape == (1, 1):
        return float(value[0, 0])
    return value


# --------------------------------------------------------------------------
# finite differences
# --------------------------------------------------------------------------
def _variable(X):
    X = sympify(X)
    if not isinstance(X, MatrixSymbol):
        raise TypeError(f"the variable must be a MatrixSymbol, got {type(X).__name__} {X}")
    if isinstance(X, DifferentialSymbol):
        raise ValueError(f"cannot differentiate with respect to the differential {X}")
    return X


class _Probe:
    """``phi(X)`` = vec of an expression as a function of the variable's value."""

    def __init__(self, expr, X, point):
        self.X = _variable(X)
        if self.X not in point.values:
            raise ValueError(f"the point has no value for the variable {X}")
        self.bound = _Bound(expr, point)
        sizes = _integer_sizes(point.sizes)
        self.positions = self.bound.positions(self.X, sizes)
        self.x0 = np.asarray(point.values[self.X], dtype=float)
        rms = float(np.sqrt(np.mean(self.x0 ** 2))) if self.x0.size else 0.0
        self.scale = rms if rms > 0 else 1.0

    def __call__(self, x):
        value = self.bound.call({k: x for k in self.positions})
        return np.ravel(np.asarray(value, dtype=float), order="F")

    def derivative(self, direction, h):
        """Richardson-extrapolated central difference of phi along ``direction``."""
        def central(step):
            x0 = self.x0
            return (self(x0 + step * direction) - self(x0 - step * direction)) / (2 * step)
        return (4 * central(h / 2) - central(h)) / 3

    def second_derivative(self, d1, d2, h):
        """Richardson-extrapolated mixed second difference of phi along d1, d2."""
        def mixed(step):
            x0 = self.x0
            return (self(x0 + step * (d1 + d2)) - self(x0 + step * (d1 - d2))
                    - self(x0 - step * (d1 - d2)) + self(x0 - step * (d1 + d2))) / (4 * step * step)
        return (4 * mixed(h / 2) - mixed(h)) / 3

    def entry_step(self, index, base):
        return base * max(abs(float(self.x0[index])), self.scale)


def _check_structure(structure, X):
    if structure not in STRUCTURE_OPTIONS:
        raise ValueError(f"unknown structure {structure!r}; choose one of "
                         f"{[s for s in STRUCTURE_OPTIONS if s]}")
    if structure in ("symmetric", "symmetric-elementwise") and X.shape[0] != X.shape[1]:
        raise ShapeError(f"structure={structure!r} needs a square variable, {X} is "
                         f"{X.shape[0]} x {X.shape[1]}")


def _unit(shape, index):
    E = np.zeros(shape)
    E[index] = 1.0
    return E


def _scalar_probe(f, X, point):
    f = sympify(f)
    if isinstance(f, MatrixExpr) and tuple(f.shape) != (1, 1):
        raise ShapeError(f"a gradient needs a scalar or 1x1 function, {f} has shape {f.shape}")
    return _Probe(f, X, point)


def _probe_gradient(probe, structure, step):
    shape = probe.x0.shape
    G = np.empty(shape)
    if structure == "symmetric-elementwise":
        for i in range(shape[0]):
            for j in range(i, shape[1]):
                E = _unit(shape, (i, j))
                E[j, i] = 1.0
                G[i, j] = G[j, i] = probe.derivative(E, probe.entry_step((i, j), step))[0]
        return G
    for index in np.ndindex(*shape):
        G[index] = probe.derivative(_unit(shape, index), probe.entry_step(index, step))[0]
    if structure == "symmetric":
        G = (G + G.T) / 2
    return G


@_deep_ok
def fd_gradient(f, X, point, method="richardson", structure=None, step=STEP):
    """Finite-difference gradient of the scalar ``f`` w.r.t. ``X`` at ``point``.

    Entrywise Richardson-extrapolated central differences with step
    ``step * max(|X_ij|, rms(X))`` (``step`` defaults to ``STEP`` = 1e-3).
    ``structure="symmetric"`` returns sym(G) = (G + G^T)/2 of the
    unconstrained gradient; ``"symmetric-elementwise"`` perturbs X_ij and
    X_ji together, i.e. G + G^T - G∘I. A structured variable is otherwise
    perturbed entrywise, without constraint. ``method="directional"`` has no
    full gradient to return: use ``fd_directional`` (``check`` does so
    automatically for large X).
    """
    if method == "directional":
        raise ValueError("directional differences give <G, V> for random V, not G itself; "
                         "use fd_directional(), or check(..., method='directional')")
    if method != "richardson":
        raise ValueError(f"unknown method {method!r}; use 'richardson' or 'directional'")
    X = _variable(X)
    _check_structure(structure, X)
    return _probe_gradient(_scalar_probe(f, X, point), structure, step)


def random_directions(shape, count=DIRECTIONS, seed=0, symmetric=False):
    """``count`` random directions of ``shape`` with unit RMS entry (symmetric if asked)."""
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0xD1EC])
    directions = []
    for _ in range(count):
        V = rng.standard_normal(shape)
        if symmetric:
            V = (V + V.T) / 2
        V /= max(np.sqrt(np.mean(V ** 2)), 1e-300)
        directions.append(V)
    return np.array(directions)


def _probe_directional(probe, V, step):
    return np.array([probe.derivative(v, step * probe.scale) for v in V])


@_deep_ok
def fd_directional(F, X, point, directions=DIRECTIONS, seed=0, symmetric=False, step=STEP):
    """Directional derivatives of vec(F) along random directions V_k of X's shape.

    Returns ``(V, D)``: V of shape (k, p, q) and D of shape (k, r*s) with
    D[k] = d/dt vec(F(X + t V_k)) at t = 0 (Richardson, step ``step * rms(X)``).
    For a scalar f, D[k, 0] = <grad f, V_k>.
    """
    probe = _Probe(F, X, point)
    V = (random_directions(probe.x0.shape, directions, seed, symmetric)
         if np.ndim(directions) == 0 else np.asarray(directions, dtype=float))
    return V, _probe_directional(probe, V, step)


def _probe_jacobian(probe, step):
    shape = probe.x0.shape
    p, q = shape
    columns = []
    for j in range(q):
        for i in range(p):  # column-major: vec index i + j*p
            columns.append(probe.derivative(_unit(shape, (i, j)), probe.entry_step((i, j), step)))
    return np.column_stack(columns) if columns else np.zeros((probe.bound.shape[0]
                                                             * probe.bound.shape[1], 0))


@_deep_ok
def fd_jacobian(F, X, point, step=STEP):
    """Finite-difference d vec(F) / d vec(X)^T at ``point`` (column-major vec).

    Shape (r*s, p*q) for F r x s and X p x q; a scalar F counts as 1x1.
    """
    return _probe_jacobian(_Probe(F, X, point), step)


def _probe_hessian(probe, step):
    shape = probe.x0.shape
    p, q = shape
    N = p * q
    h = step * probe.scale
    units = [_unit(shape, (a % p, a // p)) for a in range(N)]
    H = np.empty((N, N))
    for a in range(N):
        for b in range(a, N):
            H[a, b] = H[b, a] = probe.second_derivative(units[a], units[b], h)[0]
    return H


@_deep_ok
def fd_hessian(f, X, point, step=HESSIAN_STEP):
    """Finite-difference d^2 f / d vec(X) d vec(X)^T at ``point`` (column-major vec).

    Mixed central second differences with Richardson extrapolation, step
    ``step * rms(X)`` (default 4e-3); symmetric by construction, shape (pq, pq).
    """
    return _probe_hessian(_scalar_probe(f, X, point), step)


# --------------------------------------------------------------------------
# conditioning and the step sweep: when finite differences cannot be trusted
# --------------------------------------------------------------------------
#: step multipliers tried, largest first, when the default step disagrees with a claim
SWEEP = tuple(4.0 ** k for k in range(2, -13, -1))          # 16, 4, 1, 1/4, ..., 4^-12
HESSIAN_SWEEP = tuple(4.0 ** k for k in range(1, -15, -1))  # 4, 1, 1/4, ..., 4^-14
#: a failure is certain when the claim misses by this many times the estimates' spread
FAIL_MARGIN = 10.0
#: an inverted / determinant argument this ill-conditioned gets a warning in the report
CONDITION_WARNING = 1e6
#: extra draws of a random point at which the finite differences did not settle
UNRELIABLE_REDRAWS = 2
#: f "visibly changes" over a step when it moves by this many times its roundoff noise
VISIBLE_CHANGE = 1e6
#: the claim's own evaluation error is taken as this many times cond * eps
EVALUATION_ERROR = 100.0
#: a claim this small (times the size of X and f) may be roundoff of an exact zero
ROUNDOFF_CLAIM = 1e-12
#: a settled sweep stops early when the claim misses it by this many times rtol
CLEAR_FAILURE = 1e3
#: a difference below this many times the roundoff noise of f / step^order is noise
NOISE_FACTOR = 10.0
#: at most this many inverted / determinant arguments are examined for their condition
CONDITION_ARGUMENTS = 24


def _conditioned_arguments(exprs):
    """The arguments of inverses, negative powers and determinants in ``exprs``."""
    found = []
    for expr in exprs:
        if not isinstance(expr, Basic):
            continue
        for node in preorder_traversal(expr):
            if isinstance(node, (sympy.Inverse, sympy.Determinant)):
                arg = node.arg
            elif (isinstance(node, sympy.MatPow) and sympify(node.exp).is_negative
                  and isinstance(node.base, MatrixExpr) and tuple(node.base.shape) != (1, 1)):
                arg = node.base
            else:
                continue
            if arg not in found and not any(isinstance(s, DifferentialSymbol)
                                            for s in arg.free_symbols):
                found.append(arg)
    return found[:CONDITION_ARGUMENTS]


@_deep_ok
def conditioning(exprs, point):
    """``(condition number, argument)``: the worst 2-norm condition number, at ``point``,
    of the matrices that ``exprs`` invert or take the determinant of; ``(1.0, None)``
    when there are none. A singular or non-finite argument counts as ``inf``."""
    worst, where = 1.0, None
    for arg in _conditioned_arguments(list(exprs)):
        try:
            value = np.atleast_2d(np.asarray(evaluate(arg, point), dtype=float))
            with np.errstate(all="ignore"):
                cond = float(np.linalg.cond(value)) if np.all(np.isfinite(value)) else math.inf
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            continue
        if not math.isfinite(cond):
            cond = math.inf
        if cond > worst:
            worst, where = cond, arg
    return worst, where


def _magnitude(a):
    return float(np.max(np.abs(a))) if np.size(a) else 0.0


def _judge(claim, estimate, rtol, sweep, condition, noise, what="derivative"):
    """Compare ``claim`` with the finite-difference estimates ``estimate(multiplier)``.

    The default step (multiplier 1) decides when it agrees. Otherwise the step is
    swept over ``sweep`` (16h, 4h, h, h/4, h/16, ...). An estimate above the
    roundoff noise ``noise(multiplier)`` is *informative*; each pair of neighbouring
    informative estimates measures, by its spread u, how far they can be trusted:

    - pass: a pair agreeing within rtol, the claim agreeing with it within rtol;
    - fail: the claim misses the best pair by more than rtol, by more than
      ``FAIL_MARGIN`` times its spread (the estimates vary, but not that much), and by
      more than the accuracy ``EVALUATION_ERROR * cond * eps`` to which a claim
      involving an inverse of condition ``cond`` can be evaluated at all;
      or every estimate is at noise level and the claim is far above it;
    - zero: every estimate and the claim are at noise level, and either f itself is
      zero up to roundoff (a cancellation such as tr(AX) - tr(XA)) or, for a second
      derivative, f visibly changes over the step (a linear f: its second
      differences are noise, its first are not);
    - unreliable: anything else -- neither a pass nor a failure can be stated.

    Returns ``(verdict, rel, abs_error, scale, extra)``. Raises ``_ClaimNonFinite``
    when the claim is not finite but an estimate is, ``_NonFinite`` when no
    estimate is finite.
    """
    first = estimate(1.0)
    if _all_finite(first):
        _require_finite_claim(f"the claimed {what}", claim)
        rel, err, scale = _relative_error(claim, first)
        if rel <= rtol:
            return "pass", rel, err, scale, {}
    estimates = []
    for mult in sweep:
        if mult == 1.0:
            R = first
        else:
            try:
                with np.errstate(all="ignore"):
                    R = estimate(mult)
            except (ArithmeticError, ValueError, np.linalg.LinAlgError):
                continue
        if not _all_finite(R):
            continue
        estimates.append((mult, R))
        if _settles_clearly(estimates, claim, rtol, noise):
            break  # the rest of the sweep cannot change the verdict
    if not estimates:
        raise _NonFinite("the finite differences are not finite at any step")
    _require_finite_claim(f"the claimed {what}", claim)
    misses = {m: _relative_error(claim, R) for m, R in estimates}
    informative = [(m, R) for m, R in estimates if _magnitude(R) > noise(m)]
    pairs = []
    for (m1, R1), (m2, R2) in zip(informative, informative[1:]):
        if math.isclose(m1, 4 * m2):
            m = min((m1, m2), key=lambda k: misses[k][0])
            pairs.append((_relative_error(R1, R2)[0], m))
    cond, where = condition()
    extra = {"sweep": [[m, misses[m][0]] for m, _ in estimates], "condition": cond}
    if where is not None and cond > CONDITION_WARNING:
        extra["ill_conditioned"] = str(where)
    # what the claim and f can be evaluated to at this point: solving with a matrix of
    # condition cond loses up to cond * eps; a smaller miss may be nobody's error
    accuracy = max(rtol, EVALUATION_ERROR * cond * np.finfo(float).eps)
    extra["accuracy"] = accuracy
    for spread, m in sorted(p for p in pairs if p[0] <= rtol):
        if misses[m][0] <= rtol:
            extra.update(step=m, spread=spread)
            return "pass", *misses[m], extra
    if pairs:
        spread, m = min(pairs)
        extra.update(step=m, spread=spread)
        if misses[m][0] > accuracy and misses[m][0] > FAIL_MARGIN * spread:
            return "fail", *misses[m], extra
    elif _exactly_zero(estimates) and _magnitude(claim) <= _roundoff_scale(noise):
        # f does not move at any step (f = 0 through an exact cancellation) and the
        # claim is at roundoff level: nothing to compare it with
        extra.update(spread=0.0, zero_differences=True)
        return "unreliable", *misses[estimates[0][0]], extra
    else:
        m = estimates[0][0]
        extra["spread"] = math.inf
    large = [(k, R) for k, R in estimates if k >= 1.0]
    if large and all(_magnitude(R) <= noise(k) for k, R in large):
        extra["noise_level"] = True
        if (not informative and noise.smooth()
                and _magnitude(claim) > FAIL_MARGIN * max(noise(k) for k, _ in large)):
            # f is smooth down to roundoff, no step shows anything above its noise, yet
            # the claim is far above it (when f is not smooth -- a derivative so large
            # that f looks like noise -- the differences are blind, not evidence)
            return "fail", *misses[m], extra
        if (_magnitude(claim) <= noise(max(k for k, _ in large))
                and (noise.f_size <= NOISE_FACTOR * noise.amplitude()
                     or noise.order == 2 and noise.varies(max(k for k, _ in large)))):
            extra["zero"] = True
            return "pass", 0.0, misses[m][1], misses[m][2], extra
    noise.amplitude()
    extra["f_size"] = noise.f_size
    return "unreliable", *misses[m], extra


def _exactly_zero(estimates):
    return all(_magnitude(R) == 0.0 for _, R in estimates)


def _roundoff_scale(noise):
    """The size of a claim computed through cancellation of terms of order one:
    ``ROUNDOFF_CLAIM * max(1, |X|, |f|)``."""
    noise.amplitude()
    size = max(1.0, _magnitude(noise.probe.x0),
               noise.f_size if math.isfinite(noise.f_size) else 1.0)
    return ROUNDOFF_CLAIM * size


def _settles_clearly(estimates, claim, rtol, noise):
    """Do the last two estimates settle (above noise), with the claim clearly in or out?"""
    if len(estimates) < 2 or not _all_finite(claim):
        return False
    (m1, R1), (m2, R2) = estimates[-2:]
    if (not math.isclose(m1, 4 * m2) or _magnitude(R1) <= noise(m1)
            or _magnitude(R2) <= noise(m2)):
        return False
    spread = _relative_error(R1, R2)[0]
    miss = min(_relative_error(claim, R1)[0], _relative_error(claim, R2)[0])
    return spread <= rtol and (miss <= rtol or miss > CLEAR_FAILURE * rtol)


class _NoiseFloor:
    """``floor(multiplier)``: the size below which a finite difference of ``order`` at
    ``step * multiplier * rms(X)`` is indistinguishable from the roundoff noise of the
    function. The noise amplitude is the larger of 4 eps |f| and the second difference
    of f over points a relative 1e-13 apart (which catches cancellation inside f, and
    is blind to f's first-order change, however large)."""

    def __init__(self, probe, order, step):
        self.probe, self.order, self.step = probe, order, step
        self._amplitude = None
        self.f_size = math.inf

    def amplitude(self):
        if self._amplitude is None:
            probe = self.probe
            with np.errstate(all="ignore"):
                base = probe(probe.x0)
                V = random_directions(probe.x0.shape, 4, 0x5EED)
                # f(x + dv) + f(x - dv) - 2 f(x): roundoff, without the (possibly
                # huge) first-order change of f
                d = 1e-13 * probe.scale
                jitter = [(probe(probe.x0 + d * v) + probe(probe.x0 - d * v) - 2 * base) / 2
                          for v in V]
            self.f_size = _magnitude(base) if _all_finite(base) else math.inf
            self.roundoff = 4 * np.finfo(float).eps * self.f_size
            self.jitter = max([_magnitude(d) for d in jitter if _all_finite(d)], default=math.inf)
            self._amplitude = max(self.roundoff, self.jitter)
        return self._amplitude

    def smooth(self):
        """Is f's jitter at the 1e-13 scale no more than roundoff of f's own size?"""
        self.amplitude()
        return self.jitter <= 100 * self.roundoff

    def varies(self, multiplier):
        """Does f change by far more than its noise over a step of ``multiplier``?"""
        probe = self.probe
        h = self.step * multiplier * probe.scale
        with np.errstate(all="ignore"):
            base = probe(probe.x0)
            change = [_magnitude(probe(probe.x0 + h * v) - base)
                      for v in random_directions(probe.x0.shape, 2, 0xFACE)]
        return min(change) > VISIBLE_CHANGE * self.amplitude()

    def __call__(self, multiplier):
        h = self.step * multiplier * self.probe.scale
        return NOISE_FACTOR * self.amplitude() / h ** self.order


def _unreliable_reason(extra, rtol):
    if extra.get("zero_differences"):
        return ("the function does not change at any step (an exact cancellation) and the "
                "claim is at roundoff level, so it can be neither confirmed nor refuted")
    spread = extra.get("spread", math.inf)
    accuracy = extra.get("accuracy", rtol)
    if spread <= rtol < accuracy:
        return (f"the finite differences settled, but with condition number "
                f"{extra['condition']:.2g} (of {extra.get('ill_conditioned', 'an inverse')}) the "
                f"claim itself can only be evaluated to about {accuracy:.2g} (rtol {rtol:g}), so "
                f"it can be neither confirmed nor refuted")
    if math.isfinite(spread):
        text = (f"finite differences did not settle: estimates at neighbouring steps agree "
                f"only to {spread:.2g} (rtol {rtol:g})")
    else:
        text = ("finite differences did not settle: fewer than two neighbouring steps give "
                "differences above the roundoff noise of the function"
                + (f" (|f| ~ {extra['f_size']:.2g})" if math.isfinite(extra.get("f_size", math.inf))
                   else ""))
    text += ", so the claim can be neither confirmed nor refuted"
    if "ill_conditioned" in extra:
        text += (f"; {extra['ill_conditioned']} has condition number "
                 f"{extra['condition']:.2g} at this point")
    return text


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------
@dataclass
class CheckReport:
    """Outcome of a numeric check; truthy exactly when it passed.

    ``reliable`` is False when the verdict cannot be trusted either way: the
    finite differences did not settle at some point (ill-conditioning,
    cancellation, roundoff) or the function could not be evaluated; such a
    report never passes. ``warning`` says why, or notes an ill-conditioned
    point even when the check passed. ``details`` holds one record per point
    (seed, sizes, errors, method, redraws, the step sweep when one ran,
    ``condition``, reason when the point could not be evaluated).
    """

    kind: str
    max_rel_error: float
    passed: bool
    points: int
    method: str
    rtol: float
    details: list = field(default_factory=list)
    reason: str = ""
    reliable: bool = True
    warning: str = ""

    def __bool__(self):
        return self.passed

    @property
    def verdict(self):
        """``"passed"``, ``"failed"`` or ``"unreliable"``."""
        return "passed" if self.passed else ("failed" if self.reliable else "unreliable")

    def as_dict(self):
        """A JSON-serialisable dict (non-finite errors become None)."""
        def clean(value):
            if isinstance(value, dict):
                return {str(k): clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            if isinstance(value, (float, np.floating)):
                return float(value) if math.isfinite(value) else None
            if isinstance(value, np.integer):
                return int(value)
            if isinstance(value, np.bool_):
                return bool(value)
            return value
        return clean({"kind": self.kind, "passed": self.passed, "reliable": self.reliable,
                      "verdict": self.verdict, "max_rel_error": self.max_rel_error,
                      "rtol": self.rtol, "points": self.points, "method": self.method,
                      "reason": self.reason, "warning": self.warning, "details": self.details})

    def __str__(self):
        verdict = {"passed": "PASSED", "failed": "FAILED",
                   "unreliable": "FAILED (unreliable: neither confirmed nor refuted)"}[self.verdict]
        line = (f"{self.kind} check {verdict}: max relative error {self.max_rel_error:.3g} "
                f"(rtol {self.rtol:g}) over {self.points} point(s), {self.method}")
        if self.reason:
            line += f"\n  reason: {self.reason}"
        if self.warning and self.warning != self.reason:
            line += f"\n  warning: {self.warning}"
        return line

    def __repr__(self):
        return (f"CheckReport(kind={self.kind!r}, passed={self.passed}, "
                f"reliable={self.reliable}, max_rel_error={self.max_rel_error:.3g}, "
                f"rtol={self.rtol:g}, points={self.points}, method={self.method!r})")


# --------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------
def _same_dim(a, b):
    return sympy.expand(sympify(a) - sympify(b)) == 0


def _expect_shape(claim, expected, what):
    shape = tuple(claim.shape) if hasattr(claim, "shape") else (1, 1)
    if len(shape) != 2 or not all(_same_dim(a, b) for a, b in zip(shape, expected)):
        raise ShapeError(f"the claimed {what} has shape {' x '.join(map(str, shape))}, "
                         f"expected {expected[0]} x {expected[1]}")


def _relative_error(claim, reference):
    """max|claim - reference| / max(max|reference|, max|claim|); 0 when both are 0.

    No absolute floor: a gradient of size 1e-12 is judged as strictly as one of
    size 1 (the noise floor enters only through ``_judge``'s zero case)."""
    error = _magnitude(np.asarray(claim) - np.asarray(reference))
    scale = max(_magnitude(reference), _magnitude(claim))
    if scale == 0.0:
        return 0.0, error, scale
    return error / scale, error, scale


def _all_finite(*arrays):
    return all(np.all(np.isfinite(a)) for a in arrays)


def _choose_method(method, entries, threshold):
    if method == "auto":
        return "directional" if entries > threshold else "richardson"
    if method not in ("richardson", "directional"):
        raise ValueError(f"unknown method {method!r}; use 'auto', 'richardson' or 'directional'")
    return method


def _resolve(key, symbols):
    """The symbols of ``symbols`` that ``key`` (a symbol or a name) designates."""
    name = key if isinstance(key, str) else getattr(key, "name", None)
    if isinstance(key, Basic):
        hits = [s for s in symbols if s == key]
        if hits:
            same = [s for s in symbols if s.name == key.name and
                    isinstance(s, MatrixSymbol) == isinstance(key, MatrixSymbol)]
            return same
    return [s for s in symbols if s.name == name]


@_deep_ok
def point_at(values, *exprs, seed=0):
    """A ``Point`` for ``exprs`` with the given ``values`` ({symbol or name: array or
    number}); the concrete sizes are read from the arrays' shapes, and every symbol
    without a value is drawn at random as in ``random_point``. A ``Point`` is
    returned unchanged."""
    if isinstance(values, Point):
        return values
    if not isinstance(values, dict):
        raise TypeError(f"at= needs a Point or a dict {{symbol: value}}, got "
                        f"{type(values).__name__}")
    exprs = _sympify_all(exprs)
    matrices, scalars = _free_symbols(exprs)
    sizes, given = {}, []
    for key, value in values.items():
        members = _resolve(key, matrices + scalars)
        if not members:
            raise ValueError(f"{key} does not occur in the expressions checked")
        symbol = members[0]
        if isinstance(symbol, MatrixSymbol):
            array = np.asarray(value, dtype=float)
            if array.ndim == 1 and sympify(symbol.shape[1]) == 1:
                array = array.reshape(-1, 1)
            if array.ndim != 2:
                raise ShapeError(f"the value of {symbol} must be a 2-D array, got shape "
                                 f"{array.shape}")
            for d, size in zip(symbol.shape, array.shape):
                d = sympify(d)
                if d.is_Integer and int(d) != size or d.is_Symbol and sizes.get(d, size) != size:
                    raise ShapeError(f"the value of {symbol} ({symbol.shape[0]} x "
                                     f"{symbol.shape[1]}) has shape {array.shape}, which "
                                     f"does not fit the sizes {sizes or 'of its shape'}")
                if d.is_Symbol:
                    sizes[d] = size
        else:
            array = float(value)
        given.append((members, array))
    defaults = concrete_sizes(*exprs, seed=seed)
    sizes.update({d: v for d, v in defaults.items() if d not in sizes})
    point = random_point(*exprs, sizes=sizes, seed=seed)
    for members, value in given:
        for symbol in members:
            if symbol in point.values:
                point.values[symbol] = value
    return point


def _run_check(kind, exprs, compare, points, seed, rtol, at=None):
    """Shared driver: ``compare(point) -> (verdict, rel, abs, scale, method, extra)``
    or raises ``_NonFinite``; redraws non-finite points (and a random point at which
    the differences did not settle, up to ``UNRELIABLE_REDRAWS`` times), records each."""
    details, outcomes, methods, warnings = [], [], set(), []
    plan = [None] * points if at is None else [point_at(at, *exprs, seed=seed)]
    for k, given in enumerate(plan):
        sizes = concrete_sizes(*exprs, seed=seed + k) if given is None else given.sizes
        record = {"point": k, "sizes": {str(d): v for d, v in sizes.items()}, "redraws": 0}
        attempts = REDRAWS + 1 if given is None else 1
        unreliable_left = UNRELIABLE_REDRAWS
        kept = None  # the last unreliable outcome, if the redraws find nothing better
        outcome = None
        for attempt in range(attempts):
            value_seed = seed + k + 7919 * attempt
            point = (random_point(*exprs, sizes=sizes, seed=value_seed) if given is None
                     else given)
            try:
                verdict, rel, err, scale, method, extra = compare(point)
            except _ClaimNonFinite as bad:
                outcome = ("fail", math.inf, {"seed": point.seed, "reason": str(bad)}, str(bad))
                record["redraws"] = attempt
                break
            except _NonFinite as nf:
                record["redraws"] = attempt + 1
                record["reason"] = str(nf)
                continue
            data = {"seed": point.seed, "rel_error": rel, "abs_error": err, "scale": scale,
                    "method": method, **extra}
            methods.add(method)
            record["redraws"] = attempt
            record.pop("reason", None)
            if verdict == "unreliable":
                kept = ("unreliable", rel, data, _unreliable_reason(extra, rtol))
                if given is None and unreliable_left > 0 and attempt + 1 < attempts:
                    unreliable_left -= 1
                    continue
                outcome = kept
                break
            outcome = (verdict, rel, data, "")
            break
        if outcome is None:
            outcome = kept or ("undefined", math.inf, {},
                               f"no finite values after {attempts} draw(s) "
                               f"({record.get('reason', 'non-finite')})")
        verdict, rel, data, why = outcome
        record.update(data)
        record["rel_error"] = rel
        record["verdict"] = verdict
        if why:
            record["reason"] = why
        if data.get("ill_conditioned"):
            warnings.append(f"point {k}: {data['ill_conditioned']} has condition number "
                            f"{data['condition']:.2g}")
        details.append(record)
        outcomes.append((verdict, rel, why))
    if not outcomes:
        return CheckReport(kind, math.inf, False, 0, "none", rtol, details,
                           "no points compared (points=0)", False,
                           "no points compared (points=0)")
    errors = [rel for _, rel, _ in outcomes]
    max_rel = max(errors)
    passed = all(v == "pass" for v, _, _ in outcomes)
    reliable = not any(v in ("unreliable", "undefined") for v, _, _ in outcomes)
    reason = ""
    for k, (verdict, rel, why) in enumerate(outcomes):
        if verdict == "fail":
            reason = f"point {k}: " + (why or f"relative error {rel:.3g} exceeds rtol {rtol:g}")
            break
    if not reason:
        for k, (verdict, rel, why) in enumerate(outcomes):
            if verdict in ("unreliable", "undefined"):
                reason = f"point {k}: {why}"
                break
    warning = "; ".join(warnings)
    if not reliable:
        warning = reason + (f"; {warning}" if warning else "")
    method = "+".join(sorted(methods)) if methods else "none"
    return CheckReport(kind, float(max_rel), passed, len(details), method, rtol, details,
                       reason, reliable, warning)


class _NonFinite(ArithmeticError):
    """The function (or its differences) is undefined at the point: redraw it."""


class _ClaimNonFinite(ArithmeticError):
    """The function is defined at the point but the claimed derivative is not."""


def _require_finite(what, *arrays):
    """``what``: a text, or a callable giving it (printing an expression is only paid for
    when it is needed -- and SymPy's printer can be slow on large matrix expressions)."""
    if not _all_finite(*arrays):
        raise _NonFinite(f"{what() if callable(what) else what} is not finite at this point")


def _text(expr, limit=300):
    """A short printed form of ``expr`` for a message; never fails.

    SymPy's str printer negates products to choose parentheses, which runs a deep
    ``doit`` -- on some engine results that raises or takes very long -- so a
    failure falls back to the node type."""
    try:
        text = str(expr)
    except Exception:  # noqa: BLE001 -- a message must not fail
        text = f"<{type(expr).__name__} expression>"
    return text if len(text) <= limit else text[:limit] + "..."


def _require_finite_claim(what, *arrays):
    if not _all_finite(*arrays):
        raise _ClaimNonFinite(f"{what} is not finite where the function and its finite "
                              "differences are")


def _conditioning_of(exprs, point, always):
    """A lazy ``conditioning`` for ``_judge`` (computed at once for a user's point)."""
    known = conditioning(exprs, point) if always else None
    return (lambda: known) if always else (lambda: conditioning(exprs, point))


@_deep_ok
def check(f, X, G, points=3, seed=0, rtol=1e-6, structure=None, layout="denominator",
          method="auto", at=None):
    """Compare the claimed gradient ``G`` of the scalar ``f`` w.r.t. ``X`` with
    finite differences at ``points`` random points (or at the one point ``at``:
    a ``Point`` or ``{symbol or name: value}``, other symbols drawn at random).

    ``G`` is shaped like X (``layout="denominator"``) or like X^T
    (``"numerator"``); ``structure`` as in ``fd_gradient``. ``method="auto"``
    uses entrywise Richardson differences up to ``DIRECTIONAL_THRESHOLD``
    entries of X and random directional derivatives above. When the default
    step disagrees with ``G``, the step is swept (``SWEEP``) before a failure
    is declared; if the differences never settle the report is
    ``reliable=False`` (and not passed), with the condition number of the
    worst inverted / determinant argument in ``warning``. A point whose
    values are not finite is redrawn up to ``REDRAWS`` times, then the check fails.
    """
    f, X, G = sympify(f), _variable(X), sympify(G)
    _check_structure(structure, X)
    if layout not in ("denominator", "numerator"):
        raise ValueError(f"unknown layout {layout!r}; use 'denominator' or 'numerator'")
    if isinstance(f, MatrixExpr) and tuple(f.shape) != (1, 1):
        raise ShapeError(f"a gradient needs a scalar or 1x1 function, {f} has shape "
                         f"{f.shape[0]} x {f.shape[1]}")
    expected = X.shape if layout == "denominator" else (X.shape[1], X.shape[0])
    if not isinstance(G, MatrixExpr) and not _same_dim(X.shape[0] * X.shape[1], 1):
        raise ShapeError(f"the claimed gradient {G} is a scalar, expected a matrix of shape "
                         f"{expected[0]} x {expected[1]}")
    _expect_shape(G, expected, "gradient")

    def compare(point):
        f_value = evaluate(f, point)
        _require_finite(lambda: f"f = {_text(f)}", f_value)
        claim = np.asarray(evaluate(G, point), dtype=float).reshape(
            tuple(int(sympify(d).xreplace(_integer_sizes(point.sizes))) for d in expected))
        if layout == "numerator":
            claim = claim.T
        chosen = _choose_method(method, claim.size, DIRECTIONAL_THRESHOLD)
        probe = _scalar_probe(f, X, point)
        condition = _conditioning_of([f, G], point, at is not None)
        if chosen == "richardson":
            verdict, rel, err, scale, extra = _judge(
                claim, lambda m: _probe_gradient(probe, structure, STEP * m), rtol, SWEEP,
                condition, _NoiseFloor(probe, 1, STEP), what="gradient")
            return verdict, rel, err, scale, chosen, extra
        symmetric = structure in ("symmetric", "symmetric-elementwise")
        V = random_directions(probe.x0.shape, DIRECTIONS, point.seed, symmetric)
        weights = np.triu(np.ones(claim.shape)) if structure == "symmetric-elementwise" else 1.0
        predicted = np.array([np.sum(claim * v * weights) for v in V]) \
            if _all_finite(claim) else np.full(len(V), np.nan)
        verdict, rel, err, scale, extra = _judge(
            predicted, lambda m: _probe_directional(probe, V, STEP * m)[:, 0], rtol, SWEEP,
            condition, _NoiseFloor(probe, 1, STEP), what="gradient")
        extra["directions"] = len(V)
        if symmetric:
            asym = _relative_error(claim, claim.T)[0]
            extra["asymmetry"] = asym
            if asym > rtol:  # exact: no finite difference involved
                verdict, rel = "fail", max(rel, asym)
        return verdict, rel, err, scale, chosen, extra

    return _run_check("gradient", [f, X, G], compare, points, seed, rtol, at)


def _vec_size(shape):
    return shape[0] * shape[1]


def _check_vec_structure(structure, X):
    if structure not in (None, "symmetric"):
        raise ValueError(f"unknown structure {structure!r}; use None or 'symmetric'")
    if structure and not _same_dim(X.shape[0], X.shape[1]):
        raise ShapeError(f"structure={structure!r} needs a square variable, {X} is "
                         f"{X.shape[0]} x {X.shape[1]}")


def _symmetric_projection(shape):
    """P = (I + K)/2: vec(dX) -> vec((dX + dX^T)/2) for a square variable, column-major."""
    p = shape[0]
    N = p * p
    K = np.zeros((N, N))
    for i in range(p):
        for j in range(p):
            K[i + j * p, j + i * p] = 1.0
    return (np.eye(N) + K) / 2


@_deep_ok
def check_jacobian(F, X, J, points=3, seed=0, rtol=1e-6, method="auto", at=None,
                   structure=None):
    """Compare the claimed Jacobian ``J`` = d vec(F) / d vec(X)^T (shape (r*s, p*q))
    with finite differences at ``points`` random points (or at ``at``), sweeping the
    step before declaring a failure, as ``check`` does.

    ``structure="symmetric"`` compares only the action on symmetric dX:
    J P against J_fd P, with P = (I + K)/2 the projection onto vec of symmetric
    matrices (what a derivative w.r.t. a symmetric variable can be judged on)."""
    F, X, J = sympify(F), _variable(X), sympify(J)
    _check_vec_structure(structure, X)
    F_shape = tuple(F.shape) if isinstance(F, MatrixExpr) else (1, 1)
    expected = (_vec_size(F_shape), _vec_size(X.shape))
    _expect_shape(J, expected, "Jacobian")

    def compare(point):
        F_value = np.atleast_1d(np.asarray(evaluate(F, point), dtype=float))
        _require_finite(lambda: f"F = {_text(F)}", F_value)
        shape = tuple(int(sympify(d).xreplace(_integer_sizes(point.sizes))) for d in expected)
        claim = np.asarray(evaluate(J, point), dtype=float).reshape(shape)
        chosen = _choose_method(method, shape[1], DIRECTIONAL_THRESHOLD)
        probe = _Probe(F, X, point)
        condition = _conditioning_of([F, J], point, at is not None)
        if chosen == "richardson":
            P = _symmetric_projection(probe.x0.shape) if structure else None
            project = (lambda M: M @ P) if structure else (lambda M: M)
            verdict, rel, err, scale, extra = _judge(
                project(claim), lambda m: project(_probe_jacobian(probe, STEP * m)), rtol,
                SWEEP, condition, _NoiseFloor(probe, 1, STEP), what="Jacobian")
            return verdict, rel, err, scale, chosen, extra
        V = random_directions(probe.x0.shape, DIRECTIONS, point.seed, bool(structure))
        predicted = np.array([claim @ np.ravel(v, order="F") for v in V])
        verdict, rel, err, scale, extra = _judge(
            predicted, lambda m: _probe_directional(probe, V, STEP * m), rtol, SWEEP, condition,
            _NoiseFloor(probe, 1, STEP), what="Jacobian")
        extra["directions"] = len(V)
        return verdict, rel, err, scale, chosen, extra

    return _run_check("jacobian", [F, X, J], compare, points, seed, rtol, at)


@_deep_ok
def check_hessian(f, X, H, points=3, seed=0, rtol=1e-6, method="auto", at=None,
                  structure=None):
    """Compare the claimed Hessian ``H`` = d^2 f / d vec(X) d vec(X)^T (shape (pq, pq))
    with finite second differences at ``points`` random points (or at ``at``),
    sweeping the step (``HESSIAN_SWEEP``) before declaring a failure.

    ``structure="symmetric"`` compares only the quadratic form on symmetric dX:
    P H P against P H_fd P, with P = (I + K)/2."""
    f, X, H = sympify(f), _variable(X), sympify(H)
    _check_vec_structure(structure, X)
    if isinstance(f, MatrixExpr) and tuple(f.shape) != (1, 1):
        raise ShapeError(f"a Hessian needs a scalar or 1x1 function, {f} has shape "
                         f"{f.shape[0]} x {f.shape[1]}")
    N = _vec_size(X.shape)
    _expect_shape(H, (N, N), "Hessian")

    def compare(point):
        f_value = evaluate(f, point)
        _require_finite(lambda: f"f = {_text(f)}", f_value)
        n = int(sympify(N).xreplace(_integer_sizes(point.sizes)))
        claim = np.asarray(evaluate(H, point), dtype=float).reshape((n, n))
        chosen = _choose_method(method, n, HESSIAN_DIRECTIONAL_THRESHOLD)
        probe = _scalar_probe(f, X, point)
        condition = _conditioning_of([f, H], point, at is not None)
        if chosen == "richardson":
            P = _symmetric_projection(probe.x0.shape) if structure else None
            project = (lambda M: P @ M @ P) if structure else (lambda M: M)
            verdict, rel, err, scale, extra = _judge(
                project(claim), lambda m: project(_probe_hessian(probe, HESSIAN_STEP * m)),
                rtol, HESSIAN_SWEEP, condition, _NoiseFloor(probe, 2, HESSIAN_STEP),
                what="Hessian")
            return verdict, rel, err, scale, chosen, extra
        V = random_directions(probe.x0.shape, 2 * DIRECTIONS, point.seed, bool(structure))

        def directional(m):
            h = HESSIAN_STEP * m * probe.scale
            return np.array([probe.second_derivative(V[2 * k], V[2 * k + 1], h)[0]
                             for k in range(DIRECTIONS)])

        predicted = np.array([np.ravel(V[2 * k], order="F") @ claim
                              @ np.ravel(V[2 * k + 1], order="F") for k in range(DIRECTIONS)])
        verdict, rel, err, scale, extra = _judge(predicted, directional, rtol, HESSIAN_SWEEP,
                                                 condition, _NoiseFloor(probe, 2, HESSIAN_STEP),
                                                 what="Hessian")
        extra["directions"] = DIRECTIONS
        return verdict, rel, err, scale, chosen, extra

    return _run_check("hessian", [f, X, H], compare, points, seed, rtol, at)
