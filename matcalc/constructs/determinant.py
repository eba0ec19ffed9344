"""The determinant ``det(U)`` and the log-determinant ``log det(U)``.

    d det(U) = det(U) tr(U^{-1} dU)             d log det(U) = tr(U^{-1} dU)
    det(M^T) = det(M)        det(M^{-1}) = 1/det(M)        det(c A B) = c^n det A det B  (equality)
"""
from sympy import Determinant, Inverse, MatMul, Mul, Transpose, log

from ..registry import CANONICAL, DIFFERENTIAL, REWRITE, VALIDATE, construct
from ..shapes import require_square
from .inverse import inverse
from .trace import trace

__all__ = ["logdet"]


def logdet(U):
    """``log(det(U))``."""
    return log(Determinant(U))


def _is_logdet(e):
    return isinstance(e.args[0], Determinant)


construct(Determinant, "scalar")


# == differential ==

@DIFFERENTIAL.register(Determinant, "d det(U) = det(U) tr(U^{-1} dU)",
                       note=r"$\mathrm{d}\det U = \det U \operatorname{tr}(U^{-1}\,\mathrm{d}U)$")
def d_det(s, d):
    """d det(U) = det(U) tr(U^{-1} dU)."""
    U = s.arg
    return s * trace(MatMul(inverse(U), d(U)))


@DIFFERENTIAL.register(log, "d log det(U) = tr(U^{-1} dU)", when=_is_logdet,
                       note=r"$\mathrm{d}\log\det U = \operatorname{tr}(U^{-1}\,\mathrm{d}U)$")
def d_logdet(s, d):
    """d log det(U) = tr(U^{-1} dU)."""
    U = s.args[0].arg
    return trace(MatMul(inverse(U), d(U)))


# == identification ==


# == simplification ==


@REWRITE.register(Determinant)
def det_of_transpose(e):
    """det(M^T) = det(M);  det(M^{-1}) = 1/det(M)."""
    if isinstance(e.arg, Transpose):
        return Determinant(e.arg.arg)
    if isinstance(e.arg, Inverse):
        return 1 / Determinant(e.arg.arg)
    return e


@CANONICAL.register(Determinant)
def det_of_product(e):
    """det(c A B) = c^n det(A) det(B) for square factors (canonical form only)."""
    if isinstance(e.arg, MatMul):
        coeff, mats = e.arg.as_coeff_matrices()
        if all(m.shape[0] == m.shape[1] for m in mats):
            return coeff ** e.arg.shape[0] * Mul(*[Determinant(m) for m in mats])
    return e


# == structure ==

VALIDATE.register(Determinant)(require_square)


# == printing ==


# == parsing ==


# == numeric ==


# == codegen ==
