"""Concrete sizes and random points: where the oracle evaluates expressions.

Every free dimension symbol gets a distinct concrete size (3, 4, 5, 2, 6, ... for seed 0), and
every matrix symbol a random value that respects its declared structure (symmetric, SPD,
orthogonal, ...) -- with a separated spectrum when a construct of the expression asks for it
(its ``DRAW`` rule: eigenvalues, singular values).  The oracle refuses, up front, work it cannot do in bounded time and memory:
more than ``MAX_POINTS`` points, a matrix of more than ``MAX_ENTRIES`` entries, an expression
nested deeper than ``MAX_EVAL_NESTING`` levels.
"""
import math
import sys
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, wraps

import numpy as np
import sympy
from sympy import Basic, MatrixSymbol, Symbol
from sympy import sympify as _sympy_sympify
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..constructs.differentials import DifferentialSymbol
from ..constructs.structured import structure_of
from ..dag import distinct_nodes, postorder
from ..errors import ResourceLimitError, ShapeError
from ..registry import DRAW

__all__ = ["Point", "concrete_sizes", "random_point", "point_at", "draw_matrix", "draw_separated",
           "separated_symbols",
           "dimension_symbols", "nesting_depth", "require_within_limits", "SIZE_POOL",
           "MAX_EVAL_NESTING", "MAX_POINTS", "MAX_ENTRIES"]

#: sizes handed to the free dimensions, in this order for seed 0
SIZE_POOL = (3, 4, 5, 2, 6, 7, 8, 9, 10, 11, 12, 13)
#: expressions nested deeper are refused (deeper than ``evaluate.MAX_NESTING``: compiled in stages)
MAX_EVAL_NESTING = 1000
#: random points a check compares at, at most
MAX_POINTS = 1000
#: entries of any one matrix the oracle evaluates, at most (80 MB of float64)
MAX_ENTRIES = 10_000_000


def sympify(value):
    """SymPy's ``sympify`` in strict mode: numbers and SymPy objects only.

    Never text: a string given to SymPy's default ``sympify`` is parsed with
    ``eval``; the evaluator refuses it (use ``matcalc.parse`` for text)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"matcalc.numeric does not evaluate text ({value[:40]!r}); build the "
                        "expression with SymPy or matcalc.parse(text).expr")
    return _sympy_sympify(value, strict=True)


def _sympify_all(exprs):
    return [sympify(e) for e in exprs]


# --------------------------------------------------------------------------
# deep expressions
# --------------------------------------------------------------------------
def nesting_depth(expr):
    """Height of the expression tree (an atom is 0)."""
    height = {}
    for node in postorder(expr):
        args = node.args if isinstance(node, Basic) else ()
        height[id(node)] = 1 + max((height[id(a)] for a in args), default=-1)
    return height[id(expr)]


@contextmanager
def deep_recursion(*exprs):
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


def deep_ok(function):
    """Run ``function`` with room for SymPy's recursion over its (deep) expression arguments."""
    @wraps(function)
    def wrapper(*args, **kwargs):
        exprs = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Basic)]
        with deep_recursion(*exprs):
            return function(*args, **kwargs)
    return wrapper


# --------------------------------------------------------------------------
# bounded time and memory
# --------------------------------------------------------------------------
def require_points_within_limit(points):
    """Refuse more than ``MAX_POINTS`` points before any is drawn."""
    if points > MAX_POINTS:
        raise ResourceLimitError(f"{points:,} points requested; the evaluator compares at most "
                                 f"{MAX_POINTS:,} points per check")


@lru_cache(maxsize=256)
def _largest_matrix(exprs, sizes):
    """(entries, node, rows, cols) of the largest matrix node of ``exprs`` at ``sizes``
    (``((dim, size), ...)``), each shared node visited once; None when there is none."""
    sizes = {d: sympy.Integer(v) for d, v in sizes}
    largest, seen, stack = None, set(), list(exprs)
    while stack:
        node = stack.pop()
        if id(node) in seen or not isinstance(node, Basic):
            continue
        seen.add(id(node))
        stack.extend(node.args)
        if isinstance(node, MatrixExpr):
            rows, cols = (sympify(d).xreplace(sizes) for d in node.shape)
            if rows.is_Integer and cols.is_Integer and (
                    largest is None or int(rows) * int(cols) > largest[0]):
                largest = (int(rows) * int(cols), node, int(rows), int(cols))
    return largest


def require_within_limits(exprs, sizes=None):
    """Refuse, before anything is drawn or evaluated, expressions with a matrix of more than
    ``MAX_ENTRIES`` entries at the concrete ``sizes`` ({dimension: size})."""
    key = tuple(sorted(((sympify(d), int(v)) for d, v in (sizes or {}).items()),
                       key=lambda item: item[0].name))
    largest = _largest_matrix(tuple(e for e in exprs if isinstance(e, Basic)), key)
    if largest is not None and largest[0] > MAX_ENTRIES:
        entries, node, rows, cols = largest
        at = (" at the sizes " + ", ".join(f"{d}={v}" for d, v in key)) if key else ""
        # named by type and shape: printing a large expression can itself take long
        raise ResourceLimitError(
            f"the expression has a {rows:,} x {cols:,} matrix ({type(node).__name__} of shape "
            f"{node.shape[0]} x {node.shape[1]}: {entries:,} entries){at}; the evaluator "
            f"handles matrices of at most {MAX_ENTRIES:,} entries")


# --------------------------------------------------------------------------
# sizes and points
# --------------------------------------------------------------------------
def dimension_symbols(*exprs):
    """The symbols occurring in the shape of any matrix node of ``exprs``, sorted by name."""
    dims = set()
    for expr in _sympify_all(exprs):
        for node in distinct_nodes(expr):
            if isinstance(node, MatrixExpr):
                for d in node.shape:
                    dims |= sympify(d).free_symbols
    return sorted(dims, key=lambda s: s.name)


def free_symbols(exprs):
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


def jittered(point, size, seed):
    """A copy of ``point`` with every real value moved by a random relative ``size``
    (each entry times 1 + size*u, u uniform in [-1, 1]); a symmetric value stays
    symmetric, and integer symbols (exponents, summation limits) keep their values."""
    rng = np.random.default_rng(seed)
    values = {}
    for symbol, value in point.values.items():
        if getattr(symbol, "is_integer", False):
            values[symbol] = value
            continue
        array = np.asarray(value, dtype=float)
        u = rng.uniform(-1.0, 1.0, array.shape)
        if array.ndim == 2 and array.shape[0] == array.shape[1] and np.array_equal(array, array.T):
            u = (u + u.T) / 2
        moved = array * (1.0 + size * u)
        values[symbol] = moved if isinstance(value, np.ndarray) else float(moved)
    return Point(dict(point.sizes), values, point.seed)


def integer_sizes(sizes):
    return {sympify(d): sympy.Integer(int(v)) for d, v in sizes.items()}


def sizes_for(dims, sizes, what):
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
    sizes = integer_sizes(sizes)
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


def _separated_values(rng, count):
    """1, 1.5, 2, ... each moved up by at most 0.1, shuffled: gaps of at least 0.4."""
    return rng.permutation(1.0 + 0.5 * np.arange(count) + rng.uniform(0.0, 0.1, count))


def _orthonormal(rng, rows, cols):
    Q, R = np.linalg.qr(rng.standard_normal((rows, cols)))
    return Q * np.sign(np.diag(R))


def draw_separated(structure, shape, rng):
    """A random matrix of ``shape`` with ``structure`` whose spectrum is separated.

    Eigenvalues and singular values are well spaced (``_separated_values``: gaps >= 0.4,
    all >= 1), so decompositions are differentiable and finite differences of eigenvectors
    stay accurate: non-square: U diag(s) V^T; symmetric / spd / diagonal: Q diag(d) Q^T;
    general / invertible: P diag(d) P^{-1}, P well conditioned (real eigenvalues).
    Orthogonal and positive matrices keep their ordinary draw.
    """
    rows, cols = shape
    if structure in ("orthogonal", "positive"):
        return draw_matrix(structure, shape, rng)
    if rows != cols:
        k = min(rows, cols)
        s = np.sort(_separated_values(rng, k))[::-1]
        return _orthonormal(rng, rows, k) * s @ _orthonormal(rng, cols, k).T
    d = _separated_values(rng, rows)
    if structure == "diagonal":
        return np.diag(d)
    if structure in ("symmetric", "spd"):
        Q = _orthonormal(rng, rows, rows)
        return (Q * d) @ Q.T
    P = _well_conditioned(rng, rows)
    return np.linalg.solve(P.T, (P * d).T).T


def separated_symbols(exprs):
    """Names of the matrix symbols some construct wants drawn with a separated spectrum
    (its ``DRAW`` rule names the sub-expressions)."""
    names = set()
    for expr in exprs:
        if not isinstance(expr, Basic):
            continue
        for node in postorder(expr):
            rule = DRAW.lookup(node) if isinstance(node, Basic) else None
            if rule is None:
                continue
            for sub in rule(node):
                names.update(s.name for s in sub.free_symbols if isinstance(s, MatrixSymbol))
    return names


def _symbol_rng(seed, symbol, tag):
    # one stream per symbol: a symbol's value does not depend on which others exist
    key = zlib.crc32(f"{symbol.name}|{tag}".encode())
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, key])


@deep_ok
def random_point(*exprs, sizes=None, seed=0):
    """A random ``Point`` for the free symbols of ``exprs``.

    Matrix symbols are drawn at concrete sizes respecting ``structure_of``;
    scalar symbols (not dimensions) are uniform(0.5, 1.5), integer ones small integers
    (``draw_scalar``). Deterministic
    for a seed; ``sizes`` defaults to ``concrete_sizes(*exprs, seed=seed)``.
    Raises ``ResourceLimitError`` when a matrix of ``exprs`` would have more than
    ``MAX_ENTRIES`` entries.
    """
    exprs = _sympify_all(exprs)
    matrices, scalars = free_symbols(exprs)
    if sizes is None:
        sizes = concrete_sizes(*exprs, seed=seed)
    else:
        dims = dimension_symbols(*exprs)
        sizes = {d: int(v) for d, v in sizes_for(dims, sizes, "the expressions").items()}
    require_within_limits(exprs, sizes)
    values = {}
    groups = {}
    separated = separated_symbols(exprs)
    for symbol in matrices:
        # one variable written with and without its structure: one value
        groups.setdefault((symbol.name, _concrete_shape(symbol, sizes)), []).append(symbol)
    for (name, shape), members in groups.items():
        declared = [structure_of(s) for s in members if structure_of(s) != "general"]
        structure = declared[0] if declared else "general"
        draw = draw_separated if name in separated else draw_matrix
        value = draw(structure, shape, _symbol_rng(seed, members[0], f"{shape}"))
        for symbol in members:
            values[symbol] = value
    for symbol in scalars:
        values[symbol] = draw_scalar(symbol, _symbol_rng(seed, symbol, "scalar"))
    return Point(sizes, values, seed)


def draw_scalar(symbol, rng):
    """A random value of the scalar ``symbol``: uniform(0.5, 1.5); an integer symbol (an
    exponent, an index) a small integer: 1, 2 or 3 when positive, else 0 or 1."""
    if symbol.is_integer:
        return float(rng.integers(1, 4) if symbol.is_positive else rng.integers(0, 2))
    return float(rng.uniform(0.5, 1.5))


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


@deep_ok
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
    matrices, scalars = free_symbols(exprs)
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
