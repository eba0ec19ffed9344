"""The transpose ``U^T``.

    d(U^T) = (dU)^T            <G, L^T> = <G^T, L>            vec(L^T) = K_{a,b} vec(L)  (L a x b)
    (U^T)^T = U

Transposes are pushed to the symbols by every construct's own rule (``algebra.transpose_of``).
"""
from sympy import MatAdd, MatMul, S
from sympy.matrices.expressions.transpose import Transpose

from ..algebra import transpose_of
from ..registry import (APPLY, CODEGEN, COTANGENT, DIFFERENTIAL, JACOBIAN_FACTOR, LATEX, NUMPY,
                        ONE_BY_ONE, PRODUCT_FACTORS, REWRITE, STRUCTURED_FACTOR, TEXT, TRANSPOSE,
                        VEC, construct)
from .commutation import commutation
from .scalars import scalar_value
from .vec import Vec

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

@ONE_BY_ONE.register(Transpose)
def one_by_one_transpose(M):
    """A 1x1 M^T is m."""
    return scalar_value(M.arg)


# == structure ==

@TRANSPOSE.register(Transpose)
def transpose_transpose(M):
    """(U^T)^T = U."""
    return M.arg


# == printing ==

@LATEX.register(Transpose)
def latex_transpose(M, printer):
    """``X^{T}``, ``\\left(A B\\right)^{T}``."""
    return printer.power(M.arg, "T")


@TEXT.register(Transpose)
def text_transpose(M, printer):
    """``X'``, ``(A*B)'``."""
    return printer.postfix_base(M.arg) + "'"


# == parsing ==


# == numeric ==

@NUMPY.register(Transpose)
def numpy_transpose(M, printer):
    """U^T -> ``(U).T``."""
    return "%s.T" % printer.operand(M.arg)


# == codegen ==

@CODEGEN.register(Transpose)
def codegen_transpose(M, emit, env):
    """U^T: a transposed view of U's value."""
    return emit.T(emit.value(M.arg, env))


@PRODUCT_FACTORS.register(Transpose, when=lambda M: STRUCTURED_FACTOR.lookup(M.arg) is not None)
def factors_of_structured_transpose(M, emit, env):
    """F^T of a structured factor F (U^{-1}, A ⊗ B, K, diag(v)) is the structured factor of
    F's transpose, (U^T)^{-1}, A^T ⊗ B^T, ..."""
    return emit.factors([transpose_of(M.arg)], env)


@APPLY.register(Transpose, when=lambda E: isinstance(E.arg, (MatAdd, MatMul)))
def apply_transpose(E, emit, W, env):
    """(A + B C)^T W = (A^T + C^T B^T) W, applied without forming either."""
    return emit.apply(transpose_of(E.arg), W, env)
