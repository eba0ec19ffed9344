"""The transpose ``U^T``.

    d(U^T) = (dU)^T            <G, L^T> = <G^T, L>            vec(L^T) = K_{a,b} vec(L)  (L a x b)
    (U^T)^T = U

Transposes are pushed to the symbols by every construct's own rule (``algebra.transpose_of``).
"""
from sympy import MatMul, S
from sympy.matrices.expressions.transpose import Transpose

from ..algebra import transpose_of
from ..registry import COTANGENT, DIFFERENTIAL, JACOBIAN_FACTOR, REWRITE, TRANSPOSE, VEC, construct
from .vec import Vec
from .commutation import commutation

construct(Transpose, "matrix", linear=True)


# == differential ==

@DIFFERENTIAL.register(Transpose, "d(U^T) = (dU)^T",
                       note=r"$\mathrm{d}(U^{T}) = (\mathrm{d}U)^{T}$")
def d_transpose(U, d):
    """d(U^T) = (dU)^T."""
    return Transpose(d(U.arg))


# == identification ==

@COTANGENT.register(Transpose)
def cotangent_transpose(L, G, walk):
    """<G, L^T> = <G^T, L>."""
    yield from walk(L.arg, transpose_of(G))

@VEC.register(Transpose)
def vec_transpose(L, walk):
    """vec(L^T) = K_{a,b} vec(L)  (L a x b)."""
    K = commutation(*L.arg.shape)
    for J in walk(L.arg):
        yield MatMul(K, J)


# == simplification ==


@REWRITE.register(Transpose)
def push_transpose(e):
    """(AB)^T = B^T A^T, (A + B)^T = A^T + B^T, (A^{-1})^T = (A^T)^{-1}, S^T = S."""
    return transpose_of(e.arg)

@JACOBIAN_FACTOR.register(Transpose)
def canonical_transpose_factor(F, form):
    """vec(M)^T stays a row of the canonical vec; any other M^T is pushed to the symbols."""
    if isinstance(F.arg, Vec):
        c, column = form.normalize(F.arg)
        return c, transpose_of(column)
    pushed = transpose_of(F.arg)
    if isinstance(pushed, Transpose) and pushed.arg == F.arg:
        return S.One, F
    return form.normalize(pushed)


# == structure ==

@TRANSPOSE.register(Transpose)
def transpose_transpose(M):
    """(U^T)^T = U."""
    return M.arg


# == printing ==


# == parsing ==


# == numeric ==


# == codegen ==
