"""The transpose ``U^T``.

    d(U^T) = (dU)^T            <G, L^T> = <G^T, L>            vec(L^T) = K_{a,b} vec(L)  (L a x b)
    (U^T)^T = U

Transposes are pushed to the symbols by every construct's own rule (``algebra.transpose_of``).
"""
from sympy.matrices.expressions.transpose import Transpose

from ..registry import DIFFERENTIAL, TRANSPOSE, construct
from ..registry import LATEX, TEXT

construct(Transpose, "matrix", linear=True)


# == differential ==

@DIFFERENTIAL.register(Transpose, "d(U^T) = (dU)^T",
                       note=r"$\mathrm{d}(U^{T}) = (\mathrm{d}U)^{T}$")
def d_transpose(U, d):
    """d(U^T) = (dU)^T."""
    return Transpose(d(U.arg))


# == identification ==


# == simplification ==


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


# == codegen ==
