"""The determinant ``det(U)`` and the log-determinant ``log det(U)``.

    d det(U) = det(U) tr(U^{-1} dU)             d log det(U) = tr(U^{-1} dU)
    det(M^T) = det(M)        det(M^{-1}) = 1/det(M)        det(c A B) = c^n det A det B  (equality)
"""
from sympy import Determinant, MatMul, log

from ..registry import DIFFERENTIAL, VALIDATE, construct
from ..shapes import require_square
from .inverse import inverse
from .trace import trace
from ..registry import ATOMIC_TEXT, FUNCTIONS, LATEX, TEXT
from .functions import log_name

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


# == structure ==

VALIDATE.register(Determinant)(require_square)


# == printing ==


@LATEX.register(Determinant)
def latex_det(s, printer):
    r"""``\det\left(M\right)``."""
    return r"\det\left(%s\right)" % printer._print(s.arg)


@LATEX.register(log, when=_is_logdet)
def latex_logdet(s, printer, exp=None):
    r"""``\log\det\left(M\right)``."""
    return log_name(printer, exp) + printer._print(s.args[0])


@TEXT.register(Determinant)
def text_det(s, printer):
    """``det(M)``."""
    return printer.call(read_det.name, s.arg)


ATOMIC_TEXT.register(Determinant)(lambda s: True)   # det(M) is a call


# == parsing ==


@FUNCTIONS.define("det")
def read_det(call):
    """det(M): the determinant of a square matrix."""
    return Determinant(call.square_matrix(0))


@FUNCTIONS.define("logdet")
def read_logdet(call):
    """logdet(M) = log(det(M))."""
    return logdet(call.square_matrix(0))


# == numeric ==


# == codegen ==
