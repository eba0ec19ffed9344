"""The trace ``tr(U)``.

    d tr(U) = tr(dU)               <c, tr(L)> = <c I, L>          (c a scalar cotangent)
    tr(M^T) = tr(M)                tr(A + B) = tr A + tr B,  tr(c A) = c tr A   (equality only)
"""
from sympy import Add, Identity, MatAdd, MatMul, Trace, Transpose

from ..algebra import scaled

from ..registry import CANONICAL, COTANGENT, DIFFERENTIAL, REWRITE, VALIDATE, construct
from ..shapes import require_square

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

@COTANGENT.register(Trace)
def cotangent_trace(s, c, walk):
    """<c, tr(L)> = <c I, L>."""
    yield from walk(s.arg, scaled(c, Identity(s.arg.shape[0])))



# == simplification ==


@REWRITE.register(Trace)
def trace_of_transpose(e):
    """tr(M^T) = tr(M)."""
    if isinstance(e.arg, Transpose):
        return Trace(e.arg.arg)
    return e


@CANONICAL.register(Trace)
def trace_linear(e):
    """tr(A + B) = tr A + tr B;  tr(c A) = c tr A (canonical form only)."""
    if isinstance(e.arg, MatAdd):
        return Add(*[Trace(a) for a in e.arg.args])
    if isinstance(e.arg, MatMul):
        coeff, mats = e.arg.as_coeff_matrices()
        if coeff != 1:
            return coeff * Trace(MatMul(*mats))
    return e


# == structure ==

VALIDATE.register(Trace)(require_square)


# == printing ==


# == parsing ==


# == numeric ==


# == codegen ==
