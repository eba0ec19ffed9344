"""The trace ``tr(U)``.

    d tr(U) = tr(dU)               <c, tr(L)> = <c I, L>          (c a scalar cotangent)
    tr(M^T) = tr(M)                tr(A + B) = tr A + tr B,  tr(c A) = c tr A   (equality only)
"""
from sympy import Trace

from ..registry import DIFFERENTIAL, VALIDATE, construct
from ..shapes import require_square
from ..registry import NUMPY

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


# == parsing ==


# == numeric ==

@NUMPY.register(Trace)
def numpy_trace(s, printer):
    """tr(U) -> ``numpy.trace(U)``."""
    return "%s(%s)" % (printer.np("trace"), printer._print(s.arg))


# == codegen ==
