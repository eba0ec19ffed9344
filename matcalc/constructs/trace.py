"""The trace ``tr(U)``.

    d tr(U) = tr(dU)               <c, tr(L)> = <c I, L>          (c a scalar cotangent)
    tr(M^T) = tr(M)                tr(A + B) = tr A + tr B,  tr(c A) = c tr A   (equality only)
"""
from sympy import Trace

from ..registry import DIFFERENTIAL, VALIDATE, construct
from ..shapes import require_square
from ..registry import ATOMIC_TEXT, FUNCTIONS, LATEX, TEXT

__all__ = ["trace"]


def trace(M):
    """tr(M) (SymPy's ``Trace``)."""
    return Trace(M)


construct(Trace, "scalar", linear=True)


# == differential ==

@DIFFERENTIAL.register(Trace, "d tr(U) = tr(dU)",
                       note=r"$\mathrm{d}\operatorname{tr}(U) = \operatorname{tr}(\mathrm{d}U)$")
def d_trace(s, d):
    """d tr(U) = tr(dU)."""
    return Trace(d(s.arg))


# == identification ==


# == simplification ==


# == structure ==

VALIDATE.register(Trace)(require_square)


# == printing ==


@LATEX.register(Trace)
def latex_trace(s, printer):
    r"""``\operatorname{tr}\left(M\right)``."""
    return printer.operator("tr", s.arg)


@TEXT.register(Trace)
def text_trace(s, printer):
    """``tr(M)``."""
    return printer.call(read_trace.name, s.arg)


ATOMIC_TEXT.register(Trace)(lambda s: True)   # tr(M) is a call


# == parsing ==


@FUNCTIONS.define("tr", "trace")
def read_trace(call):
    """tr(M), trace(M): the trace of a square matrix."""
    return trace(call.square_matrix(0))


# == numeric ==


# == codegen ==
