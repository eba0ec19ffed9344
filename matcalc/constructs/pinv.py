"""The Moore-Penrose pseudo-inverse ``M^+``.

    d(M^+) = -M^+ dM M^+ + M^+ M^{+T} dM^T (I - M M^+) + (I - M^+ M) dM^T M^{+T} M^+
             (Golub & Pereyra 1973, thm 4.3: where the rank of M is locally constant)
    (M^+)^T = (M^T)^+

It carries the derivative of an eigenvector, ``dv_i = (lambda_i I - S)^+ dS v_i`` (Cookbook
eq. 69): there ``lambda_i I - S`` has the constant rank n - 1 while lambda_i stays simple.
NumPy: singular values below ``numeric.linalg.PINV_RCOND`` sigma_max count as zero.
"""
from sympy import Identity, MatAdd, MatMul, S

from ..algebra import transpose_of
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, DIFFERENTIAL, FUNCTIONS,
                        LATEX, NUMPY, REWRITE, TEXT, TRANSPOSE, construct)
from .spectral import OfMatrix, codegen_rule, numpy_rule, text_rule

__all__ = ["PseudoInverse", "pinv"]


class PseudoInverse(OfMatrix):
    """M^+, the Moore-Penrose pseudo-inverse of an r x c matrix (c x r)."""
    function_name = "pinv"
    any_shape = True

    @property
    def shape(self):
        return (self.arg.shape[1], self.arg.shape[0])


def pinv(M):
    """M^+."""
    return PseudoInverse(M)


construct(PseudoInverse, "matrix")


# == differential ==

@DIFFERENTIAL.register(
    PseudoInverse, "d(M^+) = -M^+ dM M^+ + M^+ M^{+T} dM^T (I - M M^+) + (I - M^+ M) dM^T M^{+T} M^+",
    note=r"$\mathrm{d}(M^{+}) = -M^{+}\mathrm{d}M\,M^{+} + M^{+}M^{+T}\mathrm{d}M^{T}(I - MM^{+})"
         r" + (I - M^{+}M)\,\mathrm{d}M^{T}M^{+T}M^{+}$ (constant rank)")
def d_pinv(P, d):
    """d(M^+) = -M^+ dM M^+ + M^+ M^{+T} dM^T (I - M M^+) + (I - M^+ M) dM^T M^{+T} M^+
    (Golub & Pereyra: M of locally constant rank)."""
    M = P.arg
    dM = d(M)
    dMt = transpose_of(dM)
    Pt = transpose_of(P)
    rows, cols = M.shape
    left_null = MatAdd(Identity(rows), MatMul(S.NegativeOne, M, P))     # I - M M^+
    right_null = MatAdd(Identity(cols), MatMul(S.NegativeOne, P, M))    # I - M^+ M
    return MatAdd(MatMul(S.NegativeOne, P, dM, P), MatMul(P, Pt, dMt, left_null),
                  MatMul(right_null, dMt, Pt, P))


# == simplification ==

@REWRITE.register(PseudoInverse)
def pinv_of_pinv(e):
    """(M^+)^+ = M."""
    return e.arg.arg if isinstance(e.arg, PseudoInverse) else e


# == structure ==

@TRANSPOSE.register(PseudoInverse)
def transpose_pinv(M):
    """(M^+)^T = (M^T)^+."""
    return PseudoInverse(transpose_of(M.arg))


# == printing ==

@LATEX.register(PseudoInverse)
def latex_pinv(M, printer):
    """``M^{+}``, ``\\left(\\lambda I - S\\right)^{+}``."""
    return printer.power(M.arg, "+")


ATOMIC_LATEX.register(PseudoInverse)(lambda M: False)   # (M^{+})^{T} takes parentheses


TEXT.register(PseudoInverse)(text_rule())            # pinv(M)
ATOMIC_TEXT.register(PseudoInverse)(lambda M: True)   # a call


# == parsing ==

@FUNCTIONS.define("pinv")
def read_pinv(call):
    """pinv(M): the Moore-Penrose pseudo-inverse."""
    return pinv(call.matrix(0))


# == numeric ==

NUMPY.register(PseudoInverse)(numpy_rule("matcalc_pinv"))   # a fixed relative rank tolerance


# == codegen ==

CODEGEN.register(PseudoInverse)(codegen_rule("pinv"))
