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
from sympy import Symbol
from ..registry import CODEGEN, NUMPY

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

def _variable_and_body(M, variable):
    """(v, φ(v)) of the elementwise function of ``M``: a Lambda's own, else φ(variable)."""
    if isinstance(M.function, Lambda):
        (var,), body = M.function.variables, M.function.expr
        return var, body
    return variable, M.function(variable)


@NUMPY.register(ElementwiseApplyFunction)
def numpy_elementwise(M, printer):
    """φ(A) -> ``(lambda v: φ(v))(A)``, the body printed through NumPy ufuncs; a body not
    depending on its variable is broadcast to A's shape."""
    var, body = _variable_and_body(M, Symbol("x"))
    arg = M.expr
    name = printer.fresh_name("x")
    bound = Symbol(name)
    body = body.xreplace({var: bound})
    body_code = printer._print(body)
    if bound not in body.free_symbols:
        body_code = "%s(%s(%s), %s, dtype=float)" % (printer.np("full"), printer.np("shape"),
                                                     name, body_code)
    return "(lambda %s: %s)(%s)" % (name, body_code, printer._print(arg))


# == codegen ==

@CODEGEN.register(ElementwiseApplyFunction)
def codegen_elementwise(M, emit, env):
    """φ(A): φ's body with its variable bound to A's value (ufuncs act elementwise); a body
    not depending on its variable is broadcast to A's shape."""
    var, body = _variable_and_body(M, Dummy("u"))
    arg = M.expr
    element = Dummy("element")
    body = body.xreplace({var: element})
    inner = dict(env or {})
    inner[element] = emit.value(arg, env)
    out = emit.value(body, inner)
    if element not in body.free_symbols:
        rows, cols = emit.shape(M)
        out = emit.emit(f"{out} * B.ones({rows}, {cols})")
    return out
