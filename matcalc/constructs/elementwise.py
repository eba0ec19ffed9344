"""Functions applied elementwise: ``φ(U)`` (SymPy's ``ElementwiseApplyFunction``).

    d φ(U) = φ'(U) ∘ dU            φ(U)^T = φ(U^T)

Every elementwise function is written over one bound variable, ``ELEMENT``, so that two
spellings of the same function compare equal (``elementwise(f, U)`` builds one).
"""
from sympy import Derivative, Dummy, Lambda, Subs
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from ..algebra import transpose_of
from ..errors import UnsupportedError
from ..registry import DIFFERENTIAL, TRANSPOSE, construct
from .hadamard import hadamard

__all__ = ["ELEMENT", "elementwise"]

#: the one bound variable of every elementwise function matcalc builds
ELEMENT = Dummy("u")


def elementwise(function, U):
    """φ(U) elementwise, for a SymPy function class or a one-argument ``Lambda``."""
    if isinstance(function, Lambda):
        (var,), body = function.variables, function.expr
        body = body.xreplace({var: ELEMENT})
    else:
        body = function(ELEMENT)
    return ElementwiseApplyFunction(Lambda(ELEMENT, body), U)


construct(ElementwiseApplyFunction, "matrix")


# == differential ==

@DIFFERENTIAL.register(ElementwiseApplyFunction, "d φ(U) = φ'(U) ∘ dU",
                       note=r"$\mathrm{d}\varphi(U) = \varphi'(U) \circ \mathrm{d}U$")
def d_elementwise(U, d):
    """d φ(U) = φ'(U) ∘ dU  (φ applied elementwise)."""
    derivative = U._get_function_fdiff()
    if derivative.atoms(Derivative, Subs):
        raise UnsupportedError(f"the elementwise function {U.function}",
                               "its derivative is not known to SymPy")
    return hadamard(ElementwiseApplyFunction(derivative, U.expr), d(U.expr))


# == identification ==


# == simplification ==


# == structure ==

@TRANSPOSE.register(ElementwiseApplyFunction)
def transpose_elementwise(M):
    """φ(U)^T = φ(U^T)."""
    return ElementwiseApplyFunction(M.function, transpose_of(M.expr))


# == printing ==


# == parsing ==


# == numeric ==


# == codegen ==
