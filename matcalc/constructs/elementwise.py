"""Functions applied elementwise: ``φ(U)`` (SymPy's ``ElementwiseApplyFunction``).

    d φ(U) = φ'(U) ∘ dU            φ(U)^T = φ(U^T)

Every elementwise function is written over one bound variable, ``ELEMENT``, so that two
spellings of the same function compare equal (``elementwise(f, U)`` builds one).
"""
from sympy import Derivative, Dummy, Lambda, Subs, cancel, factor
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from ..algebra import transpose_of
from ..errors import UnsupportedError
from ..registry import DIFFERENTIAL, NEGATE, REWRITE, SCALE, TIDY, TRANSPOSE, construct
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


@REWRITE.register(ElementwiseApplyFunction)
def canonical_lambda(e):
    """φ(U) elementwise with the one bound variable, so equal functions compare equal."""
    if isinstance(e.function, Lambda):
        (var,), body = e.function.variables, e.function.expr
        if var != ELEMENT:
            return ElementwiseApplyFunction(Lambda(ELEMENT, body.xreplace({var: ELEMENT})), e.expr)
    return e


@NEGATE.register(ElementwiseApplyFunction)
def negate_elementwise(M):
    """-(a - b)(U) = (b - a)(U) for an elementwise difference with mostly negative terms
    (the form a reader expects of σ'(z) = σ - σ²)."""
    if isinstance(M.function, Lambda):
        (var,), body = M.function.variables, M.function.expr
        negative = sum(1 for t in body.args if t.could_extract_minus_sign())
        if body.is_Add and 2 * negative >= len(body.args):
            return ElementwiseApplyFunction(Lambda(var, -body), M.expr)
    return None

@TIDY.register(ElementwiseApplyFunction)
def tidy_elementwise(e):
    """The body in lowest terms (exp(t)/(exp(t) + 1)^2, not a difference), on ``ELEMENT``
    so that equal functions compare equal."""
    function = e.function
    if not isinstance(function, Lambda):
        return e
    body = function.expr.xreplace({function.variables[0]: ELEMENT})
    neat = min((body, cancel(body), factor(body)), key=lambda b: (len(str(b)), str(b)))
    return ElementwiseApplyFunction(Lambda(ELEMENT, neat), e.expr)


@SCALE.register(ElementwiseApplyFunction)
def scale_elementwise(M, coeff):
    """c φ(U) = (c φ)(U) for a number c: one elementwise function."""
    if not (coeff.is_Number and isinstance(M.function, Lambda)):
        return None
    var = M.function.variables[0]
    return tidy_elementwise(ElementwiseApplyFunction(Lambda(var, coeff * M.function.expr), M.expr))


# == structure ==

@TRANSPOSE.register(ElementwiseApplyFunction)
def transpose_elementwise(M):
    """φ(U)^T = φ(U^T)."""
    return ElementwiseApplyFunction(M.function, transpose_of(M.expr))


# == printing ==


# == parsing ==


# == numeric ==


# == codegen ==
