r"""The derivative as a tensor: T[i, j, k, l] = dF[i, j] / dX[k, l] (MML's J_ijkl).

``vec`` stacks columns (entry (i, j) of an r x s matrix sits at i + j r), so the tensor
and the vec-Jacobian are two views of the same numbers:

    T[i, j, k, l] = J[i + j r, k + l p]
    T = J.reshape((r, s, p, q), order="F")      J = T.reshape((r s, p q), order="F")
"""
from sympy import ImmutableDenseNDimArray, Integer, MatrixSymbol, Symbol
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr

from .derivatives import jacobian

__all__ = ["derivative_tensor", "tensor_from_jacobian", "jacobian_from_tensor"]


def _is_ndarray(x):
    """A NumPy array (NumPy is imported only when the caller already uses it)."""
    return type(x).__module__ == "numpy" and type(x).__name__ == "ndarray"


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
    if _is_ndarray(J):
        return J.reshape((r, s, p, q), order="F").reshape(shape)
    rows = [[J[a, b] for b in range(p * q)] for a in range(r * s)]
    flat = [rows[i + j * r][k + l * p]
            for i in range(r) for j in range(s) for k in range(p) for l in range(q)]
    return ImmutableDenseNDimArray(flat, (r, s, p, q)).reshape(*shape)


def jacobian_from_tensor(T, f_shape, x_shape):
    """The inverse of ``tensor_from_jacobian``: J[i + j r, k + l p] = T[i, j, k, l]."""
    (r, s), (p, q) = f_shape, x_shape
    if _is_ndarray(T):
        return T.reshape((r, s, p, q)).reshape((r * s, p * q), order="F")
    from sympy import Matrix
    T = ImmutableDenseNDimArray(T).reshape(r, s, p, q)
    return Matrix(r * s, p * q, lambda a, b: T[a % r, a // r, b % p, b // p])
