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
from ..registry import NUMPY
from sympy import Symbol

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

@NUMPY.register(ElementwiseApplyFunction)
def numpy_elementwise(M, printer):
    """φ(A) -> ``(lambda v: φ(v))(A)``, the body printed through NumPy ufuncs; a body not
    depending on its variable is broadcast to A's shape."""
    function, arg = M.function, M.expr
    if isinstance(function, Lambda):
        (var,), body = function.variables, function.expr
    else:
        var = Symbol("x")
        body = function(var)
    name = printer.fresh_name("x")
    bound = Symbol(name)
    body = body.xreplace({var: bound})
    body_code = printer._print(body)
    if bound not in body.free_symbols:
        body_code = "%s(%s(%s), %s, dtype=float)" % (printer.np("full"), printer.np("shape"),
                                                     name, body_code)
    return "(lambda %s: %s)(%s)" % (name, body_code, printer._print(arg))


# == codegen ==
