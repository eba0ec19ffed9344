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
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy
from sympy import Basic, MatrixSymbol, Symbol, sympify
from sympy.core.traversal import preorder_traversal
from sympy.matrices.expressions.matexpr import MatrixExpr

from .errors import ShapeError
from .expressions import DifferentialSymbol
from .numpy_printer import MatcalcNumPyPrinter
from .structure import structure_of

__all__ = ["Point", "CheckReport", "concrete_sizes", "random_point", "evaluate", "lambdify",
           "fd_gradient", "fd_directional", "fd_jacobian", "fd_hessian",
           "check", "check_jacobian", "check_hessian",
           "SIZE_POOL", "DIRECTIONAL_THRESHOLD", "STEP", "HESSIAN_STEP"]

#: sizes handed to the free dimensions, in this order for seed 0
SIZE_POOL = (3, 4, 5, 2, 6, 7, 8, 9, 10, 11, 12, 13)
#: above this many entries of X, ``check`` compares directional derivatives
DIRECTIONAL_THRESHOLD = 400
#: the Hessian check goes directional earlier (it costs ~4 N^2 evaluations)
HESSIAN_DIRECTIONAL_THRESHOLD = 64
#: relative finite-difference steps (gradient/Jacobian, Hessian)
STEP = 1e-3
HESSIAN_STEP = 4e-3
#: random directions compared by the directional method
DIRECTIONS = 8
#: redraws of a point whose values are not finite before giving up
REDRAWS = 5
STRUCTURE_OPTIONS = (None, "general", "symmetric", "symmetric-elementwise")


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


def _compile_with_symbols(symbols, expr):
    """Compile ``expr`` (concrete sizes) as a function of ``symbols`` in order."""
    mapping = _rename(symbols)
    return _compile(tuple(mapping[s] for s in symbols), expr.xreplace(mapping))


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
            compiled[sizes] = _compile_with_symbols([a.xreplace(sub) for a in args],
                                                    expr.xreplace(sub))
        return compiled[sizes](*values)

    function.__doc__ = f"NumPy function of ({', '.join(map(str, args))}) computing {expr}"
    return function


class _Bound:
    """An expression at a point: a compiled function and its argument values.

    ``call({symbol: value})`` evaluates with some values replaced (used by
    the finite differences to perturb the variable).
    """

    def __init__(self, expr, point):
        expr = sympify(expr)
        sizes = _sizes_for(dimension_symbols(expr), point.sizes, expr)
        concrete = expr.xreplace(sizes) if sizes else expr
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
            out = self.function(*values)
        if self.is_matrix:
            return np.asarray(out, dtype=float).reshape(self.shape)
        out = np.asarray(out, dtype=float)
        if out.size != 1:
            raise ShapeError(f"{self.expr} is not a scalar: its value has shape {out.shape}")
        return float(out.reshape(-1)[0])


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


def fd_gradient(f, X, point, method="richardson", structure=None):
    """Finite-difference gradient of the scalar ``f`` w.r.t. ``X`` at ``point``.

    Entrywise Richardson-extrapolated central differences with step
    ``1e-3 * max(|X_ij|, rms(X))``. ``structure="symmetric"`` returns
    sym(G) = (G + G^T)/2 of the unconstrained gradient; ``"symmetric-elementwise"``
    perturbs X_ij and X_ji together, i.e. G + G^T - G∘I. A structured
    variable is otherwise perturbed entrywise, without constraint.
    ``method="directional"`` has no full gradient to return: use
    ``fd_directional`` (``check`` does so automatically for large X).
    """
    if method == "directional":
        raise ValueError("directional differences give <G, V> for random V, not G itself; "
                         "use fd_directional(), or check(..., method='directional')")
    if method != "richardson":
        raise ValueError(f"unknown method {method!r}; use 'richardson' or 'directional'")
    X = _variable(X)
    _check_structure(structure, X)
    probe = _scalar_probe(f, X, point)
    shape = probe.x0.shape
    G = np.empty(shape)
    if structure == "symmetric-elementwise":
        for i in range(shape[0]):
            for j in range(i, shape[1]):
                E = _unit(shape, (i, j))
                E[j, i] = 1.0
                G[i, j] = G[j, i] = probe.derivative(E, probe.entry_step((i, j), STEP))[0]
        return G
    for index in np.ndindex(*shape):
        G[index] = probe.derivative(_unit(shape, index), probe.entry_step(index, STEP))[0]
    if structure == "symmetric":
        G = (G + G.T) / 2
    return G


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


def fd_directional(F, X, point, directions=DIRECTIONS, seed=0, symmetric=False):
    """Directional derivatives of vec(F) along random directions V_k of X's shape.

    Returns ``(V, D)``: V of shape (k, p, q) and D of shape (k, r*s) with
    D[k] = d/dt vec(F(X + t V_k)) at t = 0 (Richardson). For a scalar f,
    D[k, 0] = <grad f, V_k>.
    """
    probe = _Probe(F, X, point)
    V = (random_directions(probe.x0.shape, directions, seed, symmetric)
         if np.ndim(directions) == 0 else np.asarray(directions, dtype=float))
    h = STEP * probe.scale
    D = np.array([probe.derivative(v, h) for v in V])
    return V, D


def fd_jacobian(F, X, point):
    """Finite-difference d vec(F) / d vec(X)^T at ``point`` (column-major vec).

    Shape (r*s, p*q) for F r x s and X p x q; a scalar F counts as 1x1.
    """
    probe = _Probe(F, X, point)
    shape = probe.x0.shape
    p, q = shape
    columns = []
    for j in range(q):
        for i in range(p):  # column-major: vec index i + j*p
            columns.append(probe.derivative(_unit(shape, (i, j)), probe.entry_step((i, j), STEP)))
    return np.column_stack(columns) if columns else np.zeros((probe.bound.shape[0]
                                                             * probe.bound.shape[1], 0))


def fd_hessian(f, X, point):
    """Finite-difference d^2 f / d vec(X) d vec(X)^T at ``point`` (column-major vec).

    Mixed central second differences with Richardson extrapolation, step
    ``4e-3 * rms(X)``; symmetric by construction, shape (pq, pq).
    """
    probe = _scalar_probe(f, X, point)
    shape = probe.x0.shape
    p, q = shape
    N = p * q
    h = HESSIAN_STEP * probe.scale
    units = [_unit(shape, (a % p, a // p)) for a in range(N)]
    H = np.empty((N, N))
    for a in range(N):
        for b in range(a, N):
            H[a, b] = H[b, a] = probe.second_derivative(units[a], units[b], h)[0]
    return H


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------
@dataclass
class CheckReport:
    """Outcome of a numeric check; truthy exactly when it passed.

    ``details`` holds one record per point (seed, sizes, errors, method,
    redraws, reason when the point could not be evaluated).
    """

    kind: str
    max_rel_error: float
    passed: bool
    points: int
    method: str
    rtol: float
    details: list = field(default_factory=list)
    reason: str = ""

    def __bool__(self):
        return self.passed

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
        return clean({"kind": self.kind, "passed": self.passed,
                      "max_rel_error": self.max_rel_error, "rtol": self.rtol,
                      "points": self.points, "method": self.method,
                      "reason": self.reason, "details": self.details})

    def __str__(self):
        verdict = "PASSED" if self.passed else "FAILED"
        line = (f"{self.kind} check {verdict}: max relative error {self.max_rel_error:.3g} "
                f"(rtol {self.rtol:g}) over {self.points} point(s), {self.method}")
        if self.reason:
            line += f"\n  reason: {self.reason}"
        return line

    def __repr__(self):
        return (f"CheckReport(kind={self.kind!r}, passed={self.passed}, "
                f"max_rel_error={self.max_rel_error:.3g}, rtol={self.rtol:g}, "
                f"points={self.points}, method={self.method!r})")


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


def _relative_error(claim, reference, zero_tol):
    """max|claim - reference| / max(max|reference|, max|claim|); 0 when both ~0."""
    error = float(np.max(np.abs(claim - reference))) if claim.size else 0.0
    scale = max(float(np.max(np.abs(reference))) if reference.size else 0.0,
                float(np.max(np.abs(claim))) if claim.size else 0.0)
    if scale <= zero_tol:
        return 0.0, error, scale
    return error / scale, error, scale


def _zero_tol(value):
    # below this both sides are "zero": the finite-difference noise floor
    return 1e-9 * max(1.0, float(np.max(np.abs(value))) if np.size(value) else 1.0)


def _all_finite(*arrays):
    return all(np.all(np.isfinite(a)) for a in arrays)


def _choose_method(method, entries, threshold):
    if method == "auto":
        return "directional" if entries > threshold else "richardson"
    if method not in ("richardson", "directional"):
        raise ValueError(f"unknown method {method!r}; use 'auto', 'richardson' or 'directional'")
    return method


def _run_check(kind, exprs, compare, points, seed, rtol):
    """Shared driver: ``compare(point) -> (rel, abs, scale, method, extra)``
    or raises ``_NonFinite``; redraws non-finite points, records each."""
    details, errors, methods = [], [], set()
    reason = ""
    for k in range(points):
        sizes = concrete_sizes(*exprs, seed=seed + k)
        record = {"point": k, "sizes": {str(d): v for d, v in sizes.items()}, "redraws": 0}
        for attempt in range(REDRAWS + 1):
            value_seed = seed + k + 7919 * attempt
            point = random_point(*exprs, sizes=sizes, seed=value_seed)
            try:
                rel, err, scale, method, extra = compare(point)
            except _ClaimNonFinite as bad:
                # f is defined here but the claim is not: a wrong claim, never redrawn
                record.update({"seed": value_seed, "rel_error": math.inf, "reason": str(bad),
                               "redraws": attempt})
                reason = reason or f"point {k}: {bad}"
                errors.append(math.inf)
                break
            except _NonFinite as nf:
                record["redraws"] = attempt + 1
                record["reason"] = str(nf)
                continue
            record.update({"seed": value_seed, "rel_error": rel, "abs_error": err,
                           "scale": scale, "method": method, **extra})
            record.pop("reason", None)
            record["redraws"] = attempt
            errors.append(rel)
            methods.add(method)
            break
        else:
            record["rel_error"] = math.inf
            reason = (f"point {k}: no finite values after {REDRAWS + 1} draws "
                      f"({record.get('reason', 'non-finite')})")
            errors.append(math.inf)
        details.append(record)
    max_rel = max(errors) if errors else math.inf
    passed = bool(errors) and max_rel <= rtol
    if not errors:
        reason = "no points compared (points=0)"
    if not passed and not reason and errors:
        worst = int(np.argmax(errors))
        reason = (f"point {worst}: relative error {errors[worst]:.3g} exceeds rtol {rtol:g}")
    method = "+".join(sorted(methods)) if methods else "none"
    return CheckReport(kind, float(max_rel), passed, len(details), method, rtol, details, reason)


class _NonFinite(ArithmeticError):
    """The function (or its differences) is undefined at the point: redraw it."""


class _ClaimNonFinite(ArithmeticError):
    """The function is defined at the point but the claimed derivative is not."""


def _require_finite(what, *arrays):
    if not _all_finite(*arrays):
        raise _NonFinite(f"{what} is not finite at this point")


def _require_finite_claim(what, *arrays):
    if not _all_finite(*arrays):
        raise _ClaimNonFinite(f"{what} is not finite where the function and its finite "
                              "differences are")


def check(f, X, G, points=3, seed=0, rtol=1e-6, structure=None, layout="denominator",
          method="auto"):
    """Compare the claimed gradient ``G`` of the scalar ``f`` w.r.t. ``X`` with
    finite differences at ``points`` random points.

    ``G`` is shaped like X (``layout="denominator"``) or like X^T
    (``"numerator"``); ``structure`` as in ``fd_gradient``. ``method="auto"``
    uses entrywise Richardson differences up to ``DIRECTIONAL_THRESHOLD``
    entries of X and random directional derivatives above. A point whose
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
        _require_finite(f"f = {f}", f_value)
        claim = np.asarray(evaluate(G, point), dtype=float).reshape(
            tuple(int(sympify(d).xreplace(_integer_sizes(point.sizes))) for d in expected))
        if layout == "numerator":
            claim = claim.T
        n_entries = claim.size
        chosen = _choose_method(method, n_entries, DIRECTIONAL_THRESHOLD)
        if chosen == "richardson":
            reference = fd_gradient(f, X, point, structure=structure)
            _require_finite("the finite-difference gradient", reference)
            _require_finite_claim("the claimed gradient", claim)
            rel, err, scale = _relative_error(claim, reference, _zero_tol(f_value))
            return rel, err, scale, chosen, {}
        symmetric = structure in ("symmetric", "symmetric-elementwise")
        V, D = fd_directional(f, X, point, seed=point.seed, symmetric=symmetric)
        _require_finite("the directional differences", D)
        _require_finite_claim("the claimed gradient", claim)
        weights = np.triu(np.ones(claim.shape)) if structure == "symmetric-elementwise" else 1.0
        predicted = np.array([np.sum(claim * v * weights) for v in V])
        rel, err, scale = _relative_error(predicted, D[:, 0], _zero_tol(f_value))
        extra = {"directions": len(V)}
        if symmetric:
            asym, _, _ = _relative_error(claim, claim.T, _zero_tol(f_value))
            extra["asymmetry"] = asym
            rel = max(rel, asym)
        return rel, err, scale, chosen, extra

    return _run_check("gradient", [f, X, G], compare, points, seed, rtol)


def _vec_size(shape):
    return shape[0] * shape[1]


def check_jacobian(F, X, J, points=3, seed=0, rtol=1e-6, method="auto"):
    """Compare the claimed Jacobian ``J`` = d vec(F) / d vec(X)^T (shape (r*s, p*q))
    with finite differences at ``points`` random points."""
    F, X, J = sympify(F), _variable(X), sympify(J)
    F_shape = tuple(F.shape) if isinstance(F, MatrixExpr) else (1, 1)
    expected = (_vec_size(F_shape), _vec_size(X.shape))
    _expect_shape(J, expected, "Jacobian")

    def compare(point):
        F_value = np.atleast_1d(np.asarray(evaluate(F, point), dtype=float))
        _require_finite(f"F = {F}", F_value)
        shape = tuple(int(sympify(d).xreplace(_integer_sizes(point.sizes))) for d in expected)
        claim = np.asarray(evaluate(J, point), dtype=float).reshape(shape)
        chosen = _choose_method(method, shape[1], DIRECTIONAL_THRESHOLD)
        if chosen == "richardson":
            reference = fd_jacobian(F, X, point)
            _require_finite("the finite-difference Jacobian", reference)
            _require_finite_claim("the claimed Jacobian", claim)
            rel, err, scale = _relative_error(claim, reference, _zero_tol(F_value))
            return rel, err, scale, chosen, {}
        V, D = fd_directional(F, X, point, seed=point.seed)
        _require_finite("the directional differences", D)
        _require_finite_claim("the claimed Jacobian", claim)
        predicted = np.array([claim @ np.ravel(v, order="F") for v in V])
        rel, err, scale = _relative_error(predicted, D, _zero_tol(F_value))
        return rel, err, scale, chosen, {"directions": len(V)}

    return _run_check("jacobian", [F, X, J], compare, points, seed, rtol)


def check_hessian(f, X, H, points=3, seed=0, rtol=1e-6, method="auto"):
    """Compare the claimed Hessian ``H`` = d^2 f / d vec(X) d vec(X)^T (shape (pq, pq))
    with finite second differences at ``points`` random points."""
    f, X, H = sympify(f), _variable(X), sympify(H)
    if isinstance(f, MatrixExpr) and tuple(f.shape) != (1, 1):
        raise ShapeError(f"a Hessian needs a scalar or 1x1 function, {f} has shape "
                         f"{f.shape[0]} x {f.shape[1]}")
    N = _vec_size(X.shape)
    _expect_shape(H, (N, N), "Hessian")

    def compare(point):
        f_value = evaluate(f, point)
        _require_finite(f"f = {f}", f_value)
        n = int(sympify(N).xreplace(_integer_sizes(point.sizes)))
        claim = np.asarray(evaluate(H, point), dtype=float).reshape((n, n))
        chosen = _choose_method(method, n, HESSIAN_DIRECTIONAL_THRESHOLD)
        if chosen == "richardson":
            reference = fd_hessian(f, X, point)
            _require_finite("the finite-difference Hessian", reference)
            _require_finite_claim("the claimed Hessian", claim)
            rel, err, scale = _relative_error(claim, reference, _zero_tol(f_value) * 10)
            return rel, err, scale, chosen, {}
        probe = _scalar_probe(f, X, point)
        V = random_directions(probe.x0.shape, 2 * DIRECTIONS, point.seed)
        h = HESSIAN_STEP * probe.scale
        D = np.array([probe.second_derivative(V[2 * k], V[2 * k + 1], h)[0]
                      for k in range(DIRECTIONS)])
        _require_finite("the directional second differences", D)
        _require_finite_claim("the claimed Hessian", claim)
        predicted = np.array([np.ravel(V[2 * k], order="F") @ claim
                              @ np.ravel(V[2 * k + 1], order="F") for k in range(DIRECTIONS)])
        rel, err, scale = _relative_error(predicted, D, _zero_tol(f_value) * 10)
        return rel, err, scale, chosen, {"directions": DIRECTIONS}

    return _run_check("hessian", [f, X, H], compare, points, seed, rtol)
