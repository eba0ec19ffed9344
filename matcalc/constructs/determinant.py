"""The determinant ``det(U)`` and the log-determinant ``log det(U)``.

    d det(U) = det(U) tr(U^{-1} dU)             d log det(U) = tr(U^{-1} dU)
    det(M^T) = det(M)        det(M^{-1}) = 1/det(M)        det(c A B) = c^n det A det B  (equality)
"""
from sympy import Abs, Determinant, Inverse, MatMul, Mul, Transpose, log

from ..registry import (ATOMIC_TEXT, CANONICAL, CODEGEN, CONDITION, DIFFERENTIAL, FUNCTIONS, LATEX,
                        NUMPY, REWRITE, TEXT, VALIDATE, construct)
from ..shapes import require_square
from .functions import log_name
from .inverse import inverse
from .scalars import scalar_value
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

@REWRITE.register(Determinant)
def det_of_one_by_one(e):
    """det(m) = m for a 1x1 m."""
    if tuple(e.arg.shape) == (1, 1):
        return scalar_value(e.arg)
    return e


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

@NUMPY.register(Determinant)
def numpy_det(s, printer):
    """det(U) -> ``numpy.linalg.det(U)``."""
    return "%s(%s)" % (printer.np("linalg.det"), printer._print(s.arg))


@NUMPY.register(log, when=_is_logdet)
def numpy_logdet(s, printer):
    """log det U through ``slogdet`` (no overflow); nan when det U <= 0."""
    sd = printer.fresh_name("slogdet")
    return ("(lambda %s: %s[1] if %s[0] > 0 else %s)(%s(%s))"
            % (sd, sd, sd, printer.np("nan"), printer.np("linalg.slogdet"),
               printer._print(s.args[0].arg)))


def _is_log_abs_det(e):
    return isinstance(e.args[0], Abs) and isinstance(e.args[0].args[0], Determinant)


@NUMPY.register(log, when=_is_log_abs_det)
def numpy_log_abs_det(s, printer):
    """log |det U| -> ``numpy.linalg.slogdet(U)[1]``, the log-abs-determinant itself."""
    return "%s(%s)[1]" % (printer.np("linalg.slogdet"), printer._print(s.args[0].args[0].arg))


@CONDITION.register(Determinant)
def condition_det(s):
    """det(U) is evaluated to the accuracy U's condition number allows."""
    return s.arg


# == codegen ==

@CODEGEN.register(Determinant)
def codegen_det(s, emit, env):
    """det(U) -> ``B.det(U)``."""
    return emit.emit(f"B.det({emit.value(s.arg, env)})")


@CODEGEN.register(log, when=_is_logdet)
def codegen_logdet(s, emit, env):
    """log det U through slogdet (nan when det U <= 0)."""
    return emit.emit(f"B.logdet({emit.value(s.args[0].arg, env)})")


@CODEGEN.register(log, when=_is_log_abs_det)
def codegen_log_abs_det(s, emit, env):
    """log |det U| -> the log-abs-determinant of slogdet."""
    return emit.emit(f"B.logabsdet({emit.value(s.args[0].args[0].arg, env)})")
