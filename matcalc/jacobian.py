r"""Jacobians and Hessians in vec/Kronecker form, and the derivative as a tensor.

    jacobian(F, X)                    J = d vec(F) / d vec(X)^T        (rs x pq; numerator layout)
    jacobian(F, X, "denominator")     J^T = d vec(F)^T / d vec(X)      (pq x rs)
    hessian(f, X)                     H = d^2 f / d vec(X) d vec(X)^T  (pq x pq, symmetric)
    derivative_tensor(F, X)           T[i, j, k, l] = dF[i, j] / dX[k, l]

``vec`` stacks columns (entry (i, j) of an r x s matrix sits at i + j r), so
the tensor and the vec-Jacobian are two views of the same numbers:

    T[i, j, k, l] = J[i + j r, k + l p]
    T = J.reshape((r, s, p, q), order="F")      J = T.reshape((r s, p q), order="F")

Method: the differential dF (``matcalc.differential``), then vec(dF) = J vec(dX)
by the vec rules of ``matcalc.vec``; the Hessian is the Jacobian of vec(grad f).
Scalar F gives the row vec(grad f)^T; a scalar ``Symbol`` X is a 1 x 1 variable.
"""
import sys
import types

import numpy as np
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy import (Derivative, Identity, ImmutableDenseNDimArray, Integer, MatMul, MatrixSymbol,
                   S, Symbol)
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix

from .constructs.commutation import CommutationMatrix
from .differential import as_scalar, differential
from .constructs.differentials import DifferentialSymbol
from .constructs.scalars import scalar
from .constructs.vec import Vec, vec
from .gradient import grad
from .shapes import check_shapes
from .simplify import normalize
from .algebra import transpose_of
from .vec import scalar_jacobian, simplify_jacobian, vec_jacobian

__all__ = ["jacobian", "hessian", "derivative_tensor", "tensor_from_jacobian",
           "jacobian_from_tensor", "CommutationMatrix", "Vec", "vec", "LAYOUTS"]

LAYOUTS = ("numerator", "denominator")


def jacobian(F, X, layout="numerator"):
    """d vec(F) / d vec(X)^T (shape rs x pq) in Kronecker form; ``layout="denominator"``
    gives its transpose.

    ``jacobian(A*X*B, X) = B^T ⊗ A``, ``jacobian(X.T, X) = K_{p,q}``,
    ``jacobian(X.I, X) = -(X^{-T} ⊗ X^{-1})``; a scalar F gives vec(grad F)^T.
    Raises ``UnsupportedError`` naming any construct without a rule.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    F, X, restore = _prepare(F, X)
    dX = DifferentialSymbol.of(X)
    if _is_scalar(F):
        J = scalar_jacobian(differential(as_scalar(F), X), dX)
    else:
        J = vec_jacobian(differential(F, X), dX)
    if layout == "denominator":
        J = simplify_jacobian(transpose_of(J)) if isinstance(J, MatrixExpr) else J
    return restore(J)


def hessian(f, X):
    """d^2 f / d vec(X) d vec(X)^T (pq x pq) for a scalar f: the Jacobian of vec(grad f).

    For a vector x (n x 1) it is the ordinary n x n Hessian.
    """
    f, X, restore = _prepare(f, X)
    if not _is_scalar(f):
        raise ValueError(f"hessian needs a scalar function; {f} has shape "
                         f"{f.shape[0]} x {f.shape[1]} (use jacobian)")
    # the gradient is differentiated as an unconstrained function of X: a structured
    # (e.g. symmetric) X would let grad simplify X^T to X first, which changes the
    # gradient off the structure and so its derivative in non-symmetric directions
    plain = MatrixSymbol(X.name, *X.shape)
    G = grad(as_scalar(f).xreplace({X: plain}), plain)
    H = vec_jacobian(differential(G, plain), DifferentialSymbol.of(plain))
    if plain != X:
        H = simplify_jacobian(normalize(H.xreplace({plain: X})))
    return restore(H)


# --------------------------------------------------------------------------
# the tensor view
# --------------------------------------------------------------------------

def derivative_tensor(F, X, sizes=None):
    """The array T[i, j, k, l] = dF[i, j] / dX[k, l] (MML's J_ijkl) at concrete sizes.

    Index order: F's indices first, then X's.  The column index of a column
    vector is dropped (F r x 1 gives T[i, k, l]; X p x 1 gives T[i, j, k]);
    a scalar F gives the gradient's shape (p, q).  Symbolic sizes need
    ``sizes={n: 3, ...}``.  Built from the vec-Jacobian by
    ``tensor_from_jacobian``; SymPy's own ``diff(Matrix, Matrix)`` orders
    the indices (k, l, i, j) instead: ``permutedims(T, (2, 3, 0, 1))``.
    """
    F = _sympify(F)
    J = jacobian(F, X)
    if isinstance(X, Symbol) and not isinstance(X, MatrixSymbol):
        x_shape = (1, 1)
    else:
        x_shape = X.shape
    f_shape = F.shape if isinstance(F, MatrixExpr) else (1, 1)
    subs = {_sympify(k): Integer(v) for k, v in (sizes or {}).items()}
    f_shape = tuple(_concrete(d, subs) for d in f_shape)
    x_shape = tuple(_concrete(d, subs) for d in x_shape)
    J = J.xreplace(subs) if subs else J
    entries = J.as_explicit() if isinstance(J, MatrixExpr) else [[J]]
    return tensor_from_jacobian(entries, f_shape, x_shape)


def _concrete(d, subs):
    d = _sympify(d).xreplace(subs)
    if not d.is_Integer:
        raise ValueError(f"derivative_tensor needs concrete sizes; give sizes={{{d}: ...}}")
    return int(d)


def _tensor_shape(f_shape, x_shape):
    """(r, s, p, q) with the column index of column vectors dropped (scalar F: X's shape)."""
    (r, s), (p, q) = f_shape, x_shape
    if (r, s) == (1, 1):
        return (p, q) if q != 1 else (p,)
    lead = (r,) if s == 1 else (r, s)
    tail = () if (p, q) == (1, 1) else ((p,) if q == 1 else (p, q))
    return lead + tail


def tensor_from_jacobian(J, f_shape, x_shape):
    """T[i, j, k, l] = J[i + j r, k + l p]: the column-major reshape of the vec-Jacobian.

    ``J`` is an explicit (rs x pq) matrix (SymPy or NumPy); returns a SymPy
    ``Array`` (or an ndarray for NumPy input) of ``_tensor_shape`` dimensions.
    """
    (r, s), (p, q) = f_shape, x_shape
    shape = _tensor_shape(f_shape, x_shape)
    if isinstance(J, np.ndarray):
        return J.reshape((r, s, p, q), order="F").reshape(shape)
    rows = [[J[a, b] for b in range(p * q)] for a in range(r * s)]
    flat = [rows[i + j * r][k + l * p]
            for i in range(r) for j in range(s) for k in range(p) for l in range(q)]
    return ImmutableDenseNDimArray(flat, (r, s, p, q)).reshape(*shape)


def jacobian_from_tensor(T, f_shape, x_shape):
    """The inverse of ``tensor_from_jacobian``: J[i + j r, k + l p] = T[i, j, k, l]."""
    (r, s), (p, q) = f_shape, x_shape
    if isinstance(T, np.ndarray):
        return T.reshape((r, s, p, q)).reshape((r * s, p * q), order="F")
    from sympy import Matrix
    T = ImmutableDenseNDimArray(T).reshape(r, s, p, q)
    return Matrix(r * s, p * q, lambda a, b: T[a % r, a // r, b % p, b // p])


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------

def _is_scalar(F):
    return not isinstance(F, MatrixExpr) or tuple(F.shape) == (1, 1)


def _prepare(F, X):
    """(F, X, restore): a scalar ``Symbol`` X becomes the 1 x 1 variable X[0, 0]."""
    if isinstance(F, str):
        raise TypeError("the function must be a SymPy expression, not text; parse text with "
                        "matcalc.parse.parse(text), which never evaluates it")
    F = _sympify(F)
    if F.has(Derivative):
        raise ValueError(f"the function contains an unevaluated Derivative: {F}")
    check_shapes(F)
    if isinstance(X, MatrixSymbol):
        return F, X, lambda J: J
    if isinstance(X, Symbol):
        X1 = MatrixSymbol(X.name, 1, 1)
        element = scalar(X1)
        F = F.xreplace({X: element})

        def restore(J):
            J = J.xreplace({element: X, MatrixElement(X1, 0, 0): X})
            if isinstance(J, MatrixExpr) and tuple(J.shape) == (1, 1):
                J = _as_plain_scalar(J)
            return J.xreplace({X1: MatMul(X, Identity(1))}) if isinstance(J, MatrixExpr) else J
        return F, X1, restore
    raise TypeError(f"the variable must be a MatrixSymbol (a vector is an n x 1 MatrixSymbol) "
                    f"or a scalar Symbol, got {type(X).__name__}: {X!r}")


def _as_plain_scalar(J):
    """A 1 x 1 result c I_1 as the scalar c; anything else as J[0, 0]."""
    from .algebra import flat_matmul
    if isinstance(J, ZeroMatrix):
        return S.Zero
    coeff, mats = flat_matmul(J)
    if all(isinstance(m, Identity) for m in mats):
        return coeff
    return MatrixElement(J, 0, 0)


class _CallableModule(types.ModuleType):
    """``matcalc.jacobian`` names both this module and its function: importing the
    submodule binds the module as the package attribute, so the module calls the function."""

    def __call__(self, F, X, layout="numerator"):
        return jacobian(F, X, layout=layout)


sys.modules[__name__].__class__ = _CallableModule
