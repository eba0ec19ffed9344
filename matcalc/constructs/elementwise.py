"""Functions applied elementwise: ``φ(U)`` (SymPy's ``ElementwiseApplyFunction``).

    d φ(U) = φ'(U) ∘ dU            φ(U)^T = φ(U^T)

Every elementwise function is written over one bound variable, ``ELEMENT``, so that two
spellings of the same function compare equal (``elementwise(f, U)`` builds one).
"""
from sympy import Derivative, Dummy, Lambda, Mul, Pow, Subs, Symbol, cancel, exp, factor
from sympy.core.function import FunctionClass
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.precedence import PRECEDENCE, PRECEDENCE_FUNCTIONS

from ..algebra import transpose_of
from ..errors import ShapeError, UnsupportedError
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, DIFFERENTIAL, ENTRY, FUNCTIONS, LATEX,
                        NEGATE, NUMPY, REWRITE, SCALE, TEXT, TIDY, TRANSPOSE, construct)
from .hadamard import hadamard
from .undefined import substituted_derivatives, undefined_derivative

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
    derivative = substituted_derivatives(U._get_function_fdiff())
    if any(undefined_derivative(D) is None for D in derivative.atoms(Derivative, Subs)):
        # f'(U) of an undefined f is a result of its own; any other derivative is unknown
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


@ENTRY.register(ElementwiseApplyFunction)
def entry_elementwise(M, m, n, element):
    """φ(U)_{mn} = φ(U_{mn})."""
    found = function_body(M)
    if found is None:
        return None
    var, body = found
    return body.xreplace({var: element(M.expr, m, n)})


# == structure ==

@TRANSPOSE.register(ElementwiseApplyFunction)
def transpose_elementwise(M):
    """φ(U)^T = φ(U^T)."""
    return ElementwiseApplyFunction(M.function, transpose_of(M.expr))


# == printing ==

def function_body(M):
    """(variable, body) of φ(U): the applied function's body in its own variable, or None."""
    f = M.function
    if isinstance(f, FunctionClass):
        return ELEMENT, f(ELEMENT)
    if isinstance(f, Lambda) and len(f.variables) == 1:
        return f.variables[0], f.expr
    return None


def applied_function(M):
    """``f`` when M is f(U) for a function f of one argument (body ``f(u)``), else None."""
    found = function_body(M)
    if found is None:
        return None
    var, body = found
    return body.func if isinstance(body.func, FunctionClass) and body.args == (var,) else None


class ElementwiseBody:
    r"""The LaTeX of a body φ(u) printed over the matrix U: u -> U, products -> ``\circ``,
    powers -> ``^{\circ k}``, ``\exp\left(U\right)`` (a printer context)."""

    def __init__(self, variable, matrix):
        self.variable, self.matrix = variable, matrix
        self.bare = False     # the next U is a function's argument: no parentheses

    def __call__(self, printer, expr, **kwargs):
        var = self.variable
        if expr == var:
            return self.argument(printer)
        if getattr(expr, "is_Function", False) and expr.args == (var,):
            self.bare = True
        if isinstance(expr, exp):
            name = r"\exp" + ("" if kwargs.get("exp") is None else "^{%s}" % kwargs["exp"])
            return name + r"\left(%s\right)" % printer._print(expr.args[0])
        if isinstance(expr, Pow) and expr.base.has(var):
            return self.power(printer, expr)
        if isinstance(expr, Mul) and not expr.is_Matrix and expr.has(var):
            return self.product(printer, expr)
        return None

    def argument(self, printer):
        bare, self.bare = self.bare, False
        with printer.context(None):           # U itself is not the body
            tex = printer._print(self.matrix)
        if bare or printer.is_atomic(self.matrix) and "^" not in tex:
            return tex
        return printer._add_parens(tex)

    def power(self, printer, expr):
        tex = printer._print(expr.base)
        if expr.base.is_Add or expr.base.is_Mul or expr.base.is_Pow:
            tex = printer._add_parens(tex)
        return r"%s^{\circ %s}" % (tex, printer.exponent(expr.exp))

    def product(self, printer, expr):
        r"""The factors that hold u joined by ``\circ``: ``\sigma(U) \circ (1 - \sigma(U))``."""
        coeff, factors = expr.as_independent(self.variable, as_Add=False)
        tex = ""
        if coeff.could_extract_minus_sign():
            tex, coeff = "- ", -coeff
        if coeff != 1:
            tex += printer.parenthesize(coeff, PRECEDENCE["Mul"], strict=True) + " "
        parts = []
        for factor in sorted(Mul.make_args(factors), key=lambda f: f.is_Add):  # σ ∘ (1 - σ)
            part = printer._print(factor)
            if factor.is_Add or factor.is_Mul:
                part = printer._add_parens(part)
            parts.append(part)
        return tex + r" \circ ".join(parts)


@LATEX.register(ElementwiseApplyFunction)
def latex_elementwise(M, printer):
    r"""φ(U) as its body over U: ``\exp\left(X\right)``, ``\sigma\left(A X\right)``,
    ``1 - \tanh\left(X\right)^{\circ 2}``, ``\left(A + X\right)^{\circ 2}``."""
    found = function_body(M)
    if found is None:
        return printer.sympy_print(M)
    var, body = found
    placeholder = Dummy("elementwise")   # the body's own variable may occur in U
    with printer.context(ElementwiseBody(placeholder, M.expr)):
        return printer._print(body.xreplace({var: placeholder}))


@ATOMIC_LATEX.register(ElementwiseApplyFunction)
def latex_atomic_elementwise(M):
    """f(U) for a plain function f prints as a call."""
    return applied_function(M) is not None


def _elementwise_precedence(M):
    """An elementwise sum binds like a sum, so products and negations parenthesize it."""
    body = getattr(M.function, "expr", None)
    if body is not None and (body.is_Add or body.could_extract_minus_sign()):
        return PRECEDENCE["Add"]
    return PRECEDENCE["Atom"]


PRECEDENCE_FUNCTIONS.setdefault("ElementwiseApplyFunction", _elementwise_precedence)

#: names for the bound variable of ``map(u -> body, U)``, the first one free in the body
_BOUND_NAMES = ("u", "v", "w", "t", "s", "r", "q")


@TEXT.register(ElementwiseApplyFunction)
def text_elementwise(M, printer):
    """``f(U)`` for a function of one argument (``sigmoid(W*x)``, ``sqrt(X)``); any other
    body as ``map(u -> body, U)`` (``map(u -> 1 - tanh(u)^2, A*X)``)."""
    found = function_body(M)
    if found is None:
        return "%s.(%s)" % (printer._print(M.function), printer._print(M.expr))
    var, body = found
    function = applied_function(M)
    name = None if function is None else FUNCTIONS.spelling_of(function) or function.__name__
    if name is None:
        name = next((name for name, f in FUNCTIONS.scalar_functions().items()
                     if body == f(var)), None)
    if name is not None:
        return "%s(%s)" % (name, printer.argument(M.expr))
    taken = {s.name for s in body.free_symbols if s != var}
    bound = next(n for n in _BOUND_NAMES + tuple(f"u{k}" for k in range(len(taken) + 1))
                 if n not in taken)
    with printer.context(lambda p, e, **kw: bound if e == var else None):
        body_text = printer._print(body)
    return "%s(%s -> %s, %s)" % (read_map.name, bound, body_text, printer.argument(M.expr))


@ATOMIC_TEXT.register(ElementwiseApplyFunction)
def text_atomic_elementwise(M):
    """``f(U)`` and ``map(u -> body, U)`` are calls."""
    return True


# == parsing ==

@FUNCTIONS.define("map", args=2, binds=True)
def read_map(call):
    """map(u -> body, U): the scalar function u -> body applied to every entry of U
    (the body binds u, a scalar)."""
    body, matrix = call.expr(0), call.expr(1)
    if call.shape(0) is not None:
        raise ShapeError(f"map() needs a scalar body, got {call.describe(0)}")
    if call.shape(1) is None:
        raise ShapeError(f"map() applies its function to a matrix, got the scalar "
                         f"\"{call.snippet(1)}\"")
    if any(call.bound in inner.free_symbols for inner in body.atoms(Lambda)):
        # every elementwise function binds the one ELEMENT: an inner one would capture u
        raise call.error("a map() inside a map() body cannot use the outer variable")
    return elementwise(Lambda(call.bound, body), matrix)


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
