"""The inverse ``U^{-1}`` and integer matrix powers ``U^k``.

    d(U^{-1}) = -U^{-1} dU U^{-1}
    d(U^k)    = sum_{i=0}^{k-1} U^i dU U^{k-1-i}         (k > 0; k < 0 through U^{-1})
    d(M^p)    = p M^{p-1} dM                              (M 1x1: the scalar power)
    (U^{-1})^T = (U^T)^{-1}        (U^k)^T = (U^T)^k

``Inverse`` is a ``MatPow`` subclass in SymPy; both live here.
"""
from sympy import Identity, Inverse, MatAdd, MatMul, MatPow, Mul, S
from sympy.matrices.expressions.special import ZeroMatrix

from ..algebra import canonical_product, matmul, transpose_of
from ..errors import UnsupportedError
from ..registry import DIFFERENTIAL, REWRITE, TRANSPOSE, VALIDATE, construct
from ..shapes import require_square
from .scalars import scalar

__all__ = ["inverse"]


def inverse(M):
    """M^{-1} (SymPy's ``Inverse``)."""
    return Inverse(M)


construct(Inverse, "matrix")
construct(MatPow, "matrix")


# == differential ==

@DIFFERENTIAL.register(Inverse, "d(U^{-1}) = -U^{-1} dU U^{-1}",
                       note=r"$\mathrm{d}(U^{-1}) = -U^{-1}\,\mathrm{d}U\,U^{-1}$")
def d_inverse(U, d):
    """d(U^{-1}) = -U^{-1} dU U^{-1}."""
    inv = Inverse(U.arg)
    return MatMul(S.NegativeOne, inv, d(U.arg), inv)


@DIFFERENTIAL.register(MatPow, "d(U^k) = sum_i U^i dU U^{k-1-i}",
                       note=r"$\mathrm{d}(U^{k}) = \sum_{i} U^{i}\,\mathrm{d}U\,U^{k-1-i}$")
def d_matpow(U, d):
    """d(U^k) = sum_i U^i dU U^{k-1-i}; negative k through U^{-1}; 1x1 U: k U^{k-1} dU."""
    base, k = U.args
    if d.depends(k):
        raise UnsupportedError(f"a matrix power with a variable exponent, {U}")
    if tuple(base.shape) == (1, 1) and not (k.is_integer and k.is_number):
        return MatMul(k * scalar(base) ** (k - 1), d(base))
    if not (k.is_integer and k.is_number):
        raise UnsupportedError(f"the matrix power {U} with a non-integer or symbolic exponent",
                               "only integer exponents of square matrices are supported")
    k = int(k)
    if k == 0:
        return ZeroMatrix(*U.shape)
    if k < 0:
        base, k = Inverse(base), -k
    db = d(base)
    terms = [MatMul(_power(base, i), db, _power(base, k - 1 - i)) for i in range(k)]
    return MatAdd(*terms)


def _power(base, i):
    if i == 0:
        return Identity(base.shape[0])
    return base if i == 1 else MatPow(base, i)


# == identification ==


# == simplification ==


@REWRITE.register(Inverse)
def inverse_of_product(e):
    """(c A B)^{-1} = c^{-1} B^{-1} A^{-1} when every factor is square."""
    if isinstance(e.arg, MatMul):
        coeff, mats = e.arg.as_coeff_matrices()
        if all(m.shape[0] == m.shape[1] for m in mats) and (len(mats) > 1 or coeff != 1):
            return matmul(1 / coeff, *[Inverse(m) for m in reversed(mats)])
    return e


@REWRITE.register(Inverse)
def inverse_of_power(e):
    """(A^k)^{-1} = A^{-k}, so that powers merge: A^{-3} A^2 = A^{-1}."""
    if isinstance(e.arg, MatPow) and e.arg.exp.is_integer:
        return MatPow(e.arg.base, -e.arg.exp)
    return e


def _is_scalar_power(M):
    return isinstance(M, MatPow) and tuple(M.shape) == (1, 1) and not M.exp.is_integer


@REWRITE.register(MatMul)
def scalar_powers_of_one_by_one(e):
    """A 1x1 factor M^p (p not an integer) inside a product is the scalar (M_00)^p."""
    coeff, mats = e.as_coeff_matrices()
    if len(mats) > 1 and any(_is_scalar_power(m) for m in mats):
        extra = Mul(*[scalar(m.base) ** m.exp for m in mats if _is_scalar_power(m)])
        return canonical_product(coeff * extra, [m for m in mats if not _is_scalar_power(m)])
    return e


# == structure ==

@TRANSPOSE.register(Inverse)
def transpose_inverse(M):
    """(U^{-1})^T = (U^T)^{-1}."""
    return Inverse(transpose_of(M.arg))


@TRANSPOSE.register(MatPow)
def transpose_power(M):
    """(U^k)^T = (U^T)^k."""
    return MatPow(transpose_of(M.base), M.exp)


VALIDATE.register(MatPow)(require_square)


# == printing ==


# == parsing ==


# == numeric ==


# == codegen ==
