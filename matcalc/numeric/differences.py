"""Finite differences: gradients, directional derivatives, Jacobians and Hessians.

    D(h)  = (f(X + hE) - f(X - hE)) / 2h
    R     = (4 D(h/2) - D(h)) / 3                   (Richardson, error O(h^4))

with a step relative to the size of X (``STEP`` times max(|X_ij|, rms(X))).  Second
derivatives by mixed central differences, Richardson-extrapolated the same way.
"""
import numpy as np
from sympy import MatrixSymbol
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..constructs.differentials import DifferentialSymbol
from ..errors import ShapeError
from .evaluate import _Bound
from .kinks import KinkWatch
from .points import deep_ok, integer_sizes, sympify

__all__ = ["fd_gradient", "fd_directional", "fd_jacobian", "fd_hessian", "random_directions",
           "STEP", "HESSIAN_STEP", "DIRECTIONS"]

#: relative finite-difference steps (gradient/Jacobian, Hessian)
STEP = 1e-3
HESSIAN_STEP = 4e-3
#: random directions compared by the directional method
DIRECTIONS = 8
#: times a stencil across a kink is shrunk (by 4) to one side of it before it counts as NaN
KINK_RETRIES = 6
STRUCTURE_OPTIONS = (None, "general", "symmetric", "symmetric-elementwise", "diagonal",
                     "orthogonal")
#: structures whose gradient is compared along tangent directions only
TANGENT_ONLY = ("diagonal", "orthogonal")


def variable_of(X):
    X = sympify(X)
    if not isinstance(X, MatrixSymbol):
        raise TypeError(f"the variable must be a MatrixSymbol, got {type(X).__name__} {X}")
    if isinstance(X, DifferentialSymbol):
        raise ValueError(f"cannot differentiate with respect to the differential {X}")
    return X


class Probe:
    """``phi(X)`` = vec of an expression as a function of the variable's value."""

    def __init__(self, expr, X, point):
        self.X = variable_of(X)
        if self.X not in point.values:
            raise ValueError(f"the point has no value for the variable {X}")
        self.bound = _Bound(expr, point)
        sizes = integer_sizes(point.sizes)
        self.positions = self.bound.positions(self.X, sizes)
        self.x0 = np.asarray(point.values[self.X], dtype=float)
        rms = float(np.sqrt(np.mean(self.x0 ** 2))) if self.x0.size else 0.0
        self.scale = rms if rms > 0 else 1.0
        self.kinks = KinkWatch(expr, self.X, point, sizes, self.x0)
        self.crossings = 0

    def __call__(self, x):
        value = np.ravel(np.asarray(self.bound.call({k: x for k in self.positions}),
                                    dtype=float), order="F")
        if self.kinks and self.kinks.crossed(x):   # a secant across a kink: no evidence
            self.crossings += 1
            return np.full(value.shape, np.nan)
        return value

    def _on_one_side(self, stencil, h):
        """``stencil(h)``, its step divided by 4 (up to ``KINK_RETRIES`` times) while one of
        its points lies across a kink: a smaller stencil on the smooth side of it."""
        for _ in range(KINK_RETRIES):
            self.crossings = 0
            value = stencil(h)
            if not self.crossings:
                return value
            h /= 4
        return stencil(h)

    def derivative(self, direction, h):
        """Richardson-extrapolated central difference of phi along ``direction``."""
        def central(step):
            x0 = self.x0
            return (self(x0 + step * direction) - self(x0 - step * direction)) / (2 * step)
        return self._on_one_side(lambda h: (4 * central(h / 2) - central(h)) / 3, h)

    def second_derivative(self, d1, d2, h):
        """Richardson-extrapolated mixed second difference of phi along d1, d2."""
        def mixed(step):
            x0 = self.x0
            return (self(x0 + step * (d1 + d2)) - self(x0 + step * (d1 - d2))
                    - self(x0 - step * (d1 - d2)) + self(x0 - step * (d1 + d2))) / (4 * step * step)
        return self._on_one_side(lambda h: (4 * mixed(h / 2) - mixed(h)) / 3, h)

    def entry_step(self, index, base):
        return base * max(abs(float(self.x0[index])), self.scale)


def check_structure(structure, X):
    if structure not in STRUCTURE_OPTIONS:
        raise ValueError(f"unknown structure {structure!r}; choose one of "
                         f"{[s for s in STRUCTURE_OPTIONS if s]}")
    if structure not in (None, "general") and X.shape[0] != X.shape[1]:
        raise ShapeError(f"structure={structure!r} needs a square variable, {X} is "
                         f"{X.shape[0]} x {X.shape[1]}")


def _unit(shape, index):
    E = np.zeros(shape)
    E[index] = 1.0
    return E


def scalar_probe(f, X, point):
    f = sympify(f)
    if isinstance(f, MatrixExpr) and tuple(f.shape) != (1, 1):
        raise ShapeError(f"a gradient needs a scalar or 1x1 function, {f} has shape {f.shape}")
    return Probe(f, X, point)


def probe_gradient(probe, structure, step):
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


@deep_ok
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
    X = variable_of(X)
    check_structure(structure, X)
    return probe_gradient(scalar_probe(f, X, point), structure, step)


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


def tangent_directions(structure, x0, count, seed):
    """Random directions tangent to the structure at ``x0``: symmetric (V + V^T)/2, diagonal
    V ∘ I, orthogonal Q Ω with Ω = (V - V^T)/2 skew (d(Q^T Q) = 0 to first order)."""
    V = random_directions(x0.shape, count, seed, structure in ("symmetric", "symmetric-elementwise"))
    if structure == "diagonal":
        return V * np.eye(x0.shape[0])
    if structure == "orthogonal":
        return np.array([x0 @ (v - v.T) / 2 for v in V])
    return V


def tangent_projection(structure, G, x0):
    """G projected onto the tangent space of the structure at ``x0`` (G itself without one)."""
    if structure == "symmetric":
        return (G + G.T) / 2
    if structure == "diagonal":
        return G * np.eye(G.shape[0])
    if structure == "orthogonal":
        return (G - x0 @ G.T @ x0) / 2
    return G


def probe_directional(probe, V, step):
    return np.array([probe.derivative(v, step * probe.scale) for v in V])


@deep_ok
def fd_directional(F, X, point, directions=DIRECTIONS, seed=0, symmetric=False, step=STEP):
    """Directional derivatives of vec(F) along random directions V_k of X's shape.

    Returns ``(V, D)``: V of shape (k, p, q) and D of shape (k, r*s) with
    D[k] = d/dt vec(F(X + t V_k)) at t = 0 (Richardson, step ``step * rms(X)``).
    For a scalar f, D[k, 0] = <grad f, V_k>.
    """
    probe = Probe(F, X, point)
    V = (random_directions(probe.x0.shape, directions, seed, symmetric)
         if np.ndim(directions) == 0 else np.asarray(directions, dtype=float))
    return V, probe_directional(probe, V, step)


def probe_jacobian(probe, step):
    shape = probe.x0.shape
    p, q = shape
    columns = []
    for j in range(q):
        for i in range(p):  # column-major: vec index i + j*p
            columns.append(probe.derivative(_unit(shape, (i, j)), probe.entry_step((i, j), step)))
    return np.column_stack(columns) if columns else np.zeros((probe.bound.shape[0]
                                                             * probe.bound.shape[1], 0))


@deep_ok
def fd_jacobian(F, X, point, step=STEP):
    """Finite-difference d vec(F) / d vec(X)^T at ``point`` (column-major vec).

    Shape (r*s, p*q) for F r x s and X p x q; a scalar F counts as 1x1.
    """
    return probe_jacobian(Probe(F, X, point), step)


def probe_hessian(probe, step):
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


@deep_ok
def fd_hessian(f, X, point, step=HESSIAN_STEP):
    """Finite-difference d^2 f / d vec(X) d vec(X)^T at ``point`` (column-major vec).

    Mixed central second differences with Richardson extrapolation, step
    ``step * rms(X)`` (default 4e-3); symmetric by construction, shape (pq, pq).
    """
    return probe_hessian(scalar_probe(f, X, point), step)
