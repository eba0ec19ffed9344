"""Functions applied elementwise: ``φ(U)`` (SymPy's ``ElementwiseApplyFunction``).

    d φ(U) = φ'(U) ∘ dU            φ(U)^T = φ(U^T)

Every elementwise function is written over one bound variable, ``ELEMENT``, so that two
spellings of the same function compare equal (``elementwise(f, U)`` builds one).
"""
from functools import lru_cache

from sympy import Derivative, Dummy, Lambda, MatMul, Mul, S, Subs, Symbol, cancel, factor
from sympy.core.function import Function, FunctionClass
from sympy.core.traversal import preorder_traversal
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import OneMatrix, ZeroMatrix
from sympy.printing.precedence import PRECEDENCE, PRECEDENCE_FUNCTIONS

from ..algebra import matadd, scaled, transpose_of
from ..errors import ShapeError, UnsupportedError
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CANONICAL, CODEGEN, DIFFERENTIAL,
                        ELEMENTWISE_BASE, ENTRY, FUNCTIONS, HADAMARD_FORM, KINKS, LATEX, NEGATE,
                        NUMPY, NUMPY_APPLIED, REBUILD, REWRITE, SCALE, TEXT, TIDY, TRANSPOSE, construct, rule_memo)
from ..simplify.hadamard_form import HadamardPolynomial
from .hadamard import hadamard, hadamard_power
from .undefined import substituted_derivatives, undefined_derivative

__all__ = ["ELEMENT", "elementwise", "derivative_body"]

#: the one bound variable of every elementwise function matcalc builds
ELEMENT = Dummy("u")


def elementwise(function, U):
    """φ(U) elementwise, for a SymPy function class or a one-argument ``Lambda``."""
    if isinstance(function, Lambda):
        (var,), body = function.variables, function.expr
        body = body.xreplace({var: ELEMENT})
    else:
        body = function(ELEMENT)
    return applied(Lambda(ELEMENT, body), U)


def applied(function, U):
    """φ(U) for a one-argument ``Lambda`` φ, built as it is written.

    SymPy's constructor calls φ on a 1x1 U itself (to spot a function returning a matrix);
    putting a matrix into a scalar body such as ``1 - tanh(u)**2`` sends SymPy's assumption
    queries into ``MatMul.expand`` and crashes, so a 1x1 U is not handed to φ here."""
    if U.shape == (1, 1) and isinstance(function, Lambda):
        return MatrixExpr.__new__(ElementwiseApplyFunction, function, U)
    return ElementwiseApplyFunction(function, U)


@REBUILD.register(ElementwiseApplyFunction)
def rebuild_elementwise(e, args):
    """φ(U) from new (φ, U), through ``applied``."""
    return applied(*args)


construct(ElementwiseApplyFunction, "matrix")


# == differential ==

class _BodyDifferential:
    """``d`` for the body φ(u) of an elementwise function: the scalar rules (``DIFFERENTIAL``)
    with respect to the bound variable u, so that matcalc's own conventions hold elementwise
    too (``d |u| = sign(u) du``, ``d sign(u) = 0`` away from 0: ``constructs/nonsmooth.py``)."""

    def __init__(self, variable):
        self.variable, self.du = variable, Dummy("du")

    def depends(self, expr):
        return expr.has(self.variable)

    def __call__(self, expr):
        if expr == self.variable:
            return self.du
        if not self.depends(expr):
            return S.Zero
        return DIFFERENTIAL(expr, self)


def derivative_body(body, var):
    """φ'(var) of the scalar body φ(var), by matcalc's own scalar rules."""
    d = _BodyDifferential(var)
    return d(body).xreplace({d.du: S.One})


def body_derivative(M):
    """φ' of the elementwise function φ(U), as a Lambda over ``ELEMENT``."""
    var, body = function_body(M)
    return _derivative_over_element(body.xreplace({var: ELEMENT}))


@rule_memo
@lru_cache(maxsize=1024)
def _derivative_over_element(body):
    """φ' once per function: a K-layer network has the same σ' K times, each ``applyfunc``
    with its own bound variable, so the body over ``ELEMENT`` is the key."""
    return Lambda(ELEMENT, derivative_body(body, ELEMENT))


@DIFFERENTIAL.register(ElementwiseApplyFunction, "d φ(U) = φ'(U) ∘ dU",
                       note=r"$\mathrm{d}\varphi(U) = \varphi'(U) \circ \mathrm{d}U$")
def d_elementwise(U, d):
    """d φ(U) = φ'(U) ∘ dU  (φ applied elementwise)."""
    if d.depends(U.function):
        # φ itself holds the variable (u -> u tr(X)): dφ is not φ'(U) ∘ dU alone
        raise UnsupportedError(f"the elementwise function {U.function}",
                               "its body depends on the variable; only U's entries may vary")
    derivative = body_derivative(U)
    body = substituted_derivatives(derivative.expr)
    if body is not derivative.expr:
        derivative = Lambda(ELEMENT, body)
    if any(undefined_derivative(D) is None for D in body.atoms(Derivative, Subs)):
        # f'(U) of an undefined f is a result of its own; any other derivative is unknown
        raise UnsupportedError(f"the elementwise function {U.function}",
                               "its derivative is not known to SymPy")
    if derivative.expr == 0:   # sign(U), H(U): constant away from their jumps
        return ZeroMatrix(*U.shape)
    return hadamard(applied(derivative, U.expr), d(U.expr))


# == identification ==


# == simplification ==


@REWRITE.register(ElementwiseApplyFunction)
def canonical_lambda(e):
    """φ(U) elementwise with the one bound variable, so equal functions compare equal."""
    if isinstance(e.function, Lambda):
        (var,), body = e.function.variables, e.function.expr
        if var != ELEMENT:
            return applied(Lambda(ELEMENT, body.xreplace({var: ELEMENT})), e.expr)
    return e


def _power_body(M):
    """p when φ(U) is u -> u^p for a number p (an elementwise power), else None."""
    found = function_body(M)
    if found is None:
        return None
    var, body = found
    if body.is_Pow and body.base == var and body.exp.is_Number:
        return body.exp
    return None


@CANONICAL.register(ElementwiseApplyFunction)
def elementwise_power(e):
    """(u -> u^p)(U) = U^{∘p}: one spelling when deciding equality (``map(u -> 1/u, X)``
    prints as ``X.^-1``)."""
    p = _power_body(e)
    return e if p is None else hadamard_power(e.expr, p)


@CANONICAL.register(ElementwiseApplyFunction)
def elementwise_sign_outside(e):
    """φ(U) = -(-φ)(U) when SymPy would write φ's body with a minus sign: one of φ and -φ
    (σ² - σ³ and σ³ - σ²) is the function, the other a sign, when deciding equality."""
    if isinstance(e.function, Lambda):
        (var,), body = e.function.variables, e.function.expr
        if body.is_Add and body.could_extract_minus_sign():
            return MatMul(S.NegativeOne, applied(Lambda(var, -body), e.expr))
    return e


@NEGATE.register(ElementwiseApplyFunction)
def negate_elementwise(M):
    """-(a - b)(U) = (b - a)(U) for an elementwise difference with mostly negative terms
    (the form a reader expects of σ'(z) = σ - σ²); at a tie, SymPy's own choice of sign
    (``could_extract_minus_sign``), so that only one of φ and -φ absorbs a sign."""
    if isinstance(M.function, Lambda):
        (var,), body = M.function.variables, M.function.expr
        negative = sum(1 for t in body.args if t.could_extract_minus_sign())
        if body.is_Add and (2 * negative > len(body.args) or (
                2 * negative == len(body.args) and body.could_extract_minus_sign())):
            return applied(Lambda(var, -body), M.expr)
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
    return applied(Lambda(ELEMENT, neat), e.expr)


@SCALE.register(ElementwiseApplyFunction)
def scale_elementwise(M, coeff):
    """c φ(U) = (c φ)(U) for a number c: one elementwise function."""
    if not (coeff.is_Number and isinstance(M.function, Lambda)):
        return None
    var, body = M.function.variables[0], coeff * M.function.expr
    if coeff.is_negative and body.is_Add and body.could_extract_minus_sign():
        return None         # the sign stays outside, as NEGATE would leave it
    return tidy_elementwise(applied(Lambda(var, body), M.expr))

@ELEMENTWISE_BASE.register(ElementwiseApplyFunction)
def elementwise_base(M):
    """φ(U) is a function of U."""
    return M.expr


@HADAMARD_FORM.register(ElementwiseApplyFunction)
def hadamard_form_function(M, form):
    """φ(ψ(U)) = (φ ∘ ψ)(U): a function of a function of the base is one body."""
    if M.function.expr.has(Lambda):     # a nested φ would capture the substitution
        return None
    inner = form.of(M.expr)
    if set(inner.terms) - {()}:
        return None
    body = M.function.expr.xreplace({M.function.variables[0]: inner.terms.get((), S.Zero)})
    return HadamardPolynomial({(): body})


def elementwise_term(form):
    """How the Hadamard normal form writes its terms: (a + b) ∘ φ(U), c (a + b), c 1."""
    def build(keys, body, shape):
        atoms = matadd(*[_atoms(key, shape) for key in keys])
        if not body.has(form.u):
            return scaled(body, atoms)
        # -σ(u) y is written -(y ∘ σ(Xw)); a factor free of u (a number, or a scalar such as
        # 1/(1 + ||X||^2) that may depend on the variable) stays outside the function's body
        coeff = Mul(*[f for f in Mul.make_args(body) if not f.has(form.u)])
        body = Mul(*[f for f in Mul.make_args(body) if f.has(form.u)])
        function = form.base if body == form.u else \
            applied(Lambda(form.u, body), form.base)
        if all(not key for key in keys):
            return scaled(coeff, function)
        return scaled(coeff, hadamard(atoms, function))
    return build


def _atoms(key, shape):
    """a_1^{∘e_1} ∘ a_2^{∘e_2} ... (the ones matrix for none)."""
    factors = [a if e == 1 else hadamard_power(a, e) for a, e in key]
    if not factors:
        return OneMatrix(*shape)
    return factors[0] if len(factors) == 1 else hadamard(*factors)


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
    return applied(M.function, transpose_of(M.expr))


@KINKS.register(ElementwiseApplyFunction)
def kinks_elementwise(M):
    """The kinks of φ(U): those of the body φ(u) (``KINKS`` of its nodes), entry by entry of U."""
    found = function_body(M)
    if found is None:
        return ()
    var, body = found
    kinks = []
    for node in preorder_traversal(body):
        rule = KINKS.lookup(node)
        for k in (rule(node) if rule is not None else ()):
            if k.has(var) and k not in kinks:
                kinks.append(k)
    return tuple(M.expr if k == var else elementwise(Lambda(var, k), M.expr) for k in kinks)


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


@LATEX.register(ElementwiseApplyFunction)
def latex_elementwise(M, printer):
    r"""φ(U) as its body over U: ``\exp\left(X\right)``, ``\sigma\left(A X\right)``,
    ``1 - \tanh\left(X\right)^{\circ 2}``, ``\left(A + X\right)^{\circ 2}``."""
    from ..printing.elementwise_body import ElementwiseBody   # the printing package
    # imports the derivation printer, whose rule notes are read once every rule is in
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


@rule_memo
@lru_cache(maxsize=1)
def _derivative_spellings():
    """(derivative body over ``ELEMENT``, name) of the language's scalar functions:
    ``1 - tanh(u)^2`` is ``tanh'``.  Only derivatives that apply a function: ``1/u`` reads
    better as itself than as ``log'``."""
    spellings = []
    for name, f in FUNCTIONS.scalar_functions().items():
        try:
            derivative = derivative_body(f(ELEMENT), ELEMENT)
        except Exception:  # noqa: BLE001 -- a function without a derivative rule: no spelling
            continue
        if (derivative.has(ELEMENT) and derivative.atoms(Function)
                and all(d != derivative for d, _ in spellings)):
            spellings.append((derivative, name))
    return tuple(spellings)


def spelling(M, as_map=False):
    """How φ(U) reads in the language: ``("call", name)`` for a function of the language
    (``tanh(X)``), ``("derivative", name)`` for its derivative (``tanh'(X)``, read back
    by the parser), ``("map", bound name, body with that name)`` otherwise, None when φ is
    not a function of one variable (``as_map``: always the ``map`` form)."""
    found = function_body(M)
    if found is None:
        return None
    var, body = found
    if as_map:
        return _map_spelling(var, body)
    function = applied_function(M)
    name = None if function is None else FUNCTIONS.spelling_of(function) or function.__name__
    if name is None:
        name = next((name for name, f in FUNCTIONS.scalar_functions().items()
                     if body == f(var)), None)
    if name is not None:
        return ("call", name)
    canonical = body.xreplace({var: ELEMENT})
    name = next((name for d, name in _derivative_spellings() if d == canonical), None)
    if name is not None:
        return ("derivative", name)
    return _map_spelling(var, body)


def _map_spelling(var, body):
    """("map", the bound variable's name -- the first free in the body --, the body)."""
    taken = {s.name for s in body.free_symbols if s != var}
    bound = next(n for n in _BOUND_NAMES + tuple(f"u{k}" for k in range(len(taken) + 1))
                 if n not in taken)
    return ("map", bound, body.xreplace({var: Symbol(bound)}))


@TEXT.register(ElementwiseApplyFunction)
def text_elementwise(M, printer):
    """``f(U)`` for a function of one argument (``sigmoid(W*x)``, ``sqrt(X)``), ``f'(U)``
    for its derivative (``tanh'(A*X)``); any other body as ``map(u -> body, U)``
    (``map(u -> u^3/3 + u, X)``)."""
    spelled = spelling(M)
    if spelled is None:
        return "%s.(%s)" % (printer._print(M.function), printer._print(M.expr))
    power = None if spelled[0] == "call" else _power_body(M)   # sqrt(X) stays sqrt(X)
    if power is not None:   # an elementwise power, as the language writes it: U.^p
        return printer._print(hadamard_power(M.expr, power))
    if spelled[0] != "map" and M.expr.shape == (1, 1):
        # f(M) of a 1x1 M reads as the scalar f(scalar(M)): map() keeps it a matrix
        spelled = spelling(M, as_map=True)
    if spelled[0] == "call":
        return "%s(%s)" % (spelled[1], printer.argument(M.expr))
    if spelled[0] == "derivative":
        return "%s'(%s)" % (spelled[1], printer.argument(M.expr))
    _, bound, body = spelled
    return "%s(%s -> %s, %s)" % (read_map.name, bound, printer._print(body),
                                 printer.argument(M.expr))


def str_elementwise(M, printer):
    """``str()`` of φ(U) (any SymPy StrPrinter): the language's spelling, ``tanh'(X)``,
    ``map(u -> u**3/3 + u, X)`` -- never ``Lambda(_u, ...)``."""
    spelled = spelling(M)
    if spelled is None:
        return "%s.(%s)" % (printer._print(M.function), printer._print(M.expr))
    argument = printer._print(M.expr)
    if spelled[0] == "call":
        return "%s(%s)" % (spelled[1], argument)
    if spelled[0] == "derivative":
        return "%s'(%s)" % (spelled[1], argument)
    _, bound, body = spelled
    return "%s(%s -> %s, %s)" % (read_map.name, bound, printer._print(body), argument)


# str() of SymPy's class (``Lambda(_d, tanh(_d)).(X)`` otherwise); matcalc's TextPrinter
# finds the TEXT rule first
ElementwiseApplyFunction._sympystr = str_elementwise


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
    if body.has(MatrixExpr):
        # the body is a function of u alone: a matrix in it would vary with the variable
        # while the elementwise derivative sees only the entries of U
        raise call.error("a map() body is a scalar function of its variable: it cannot hold a "
                         "matrix (multiply outside: tr(X)*map(u -> u, X))")
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
    stabler = NUMPY_APPLIED.lookup(arg)
    code = None if stabler is None else stabler(arg, body, var, printer)
    if code is not None:
        return code
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
