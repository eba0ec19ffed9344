"""Scalar functions: the chain rule for every SymPy function, ``Abs``, and the sigmoid.

    d φ(a) = φ'(a) da           (per argument for several; φ' from SymPy's ``fdiff``)
    d |a| = sign(a) da
    σ(x) = 1/(1 + e^{-x}),      σ'(x) = σ(x) (1 - σ(x))

A function of a 1x1 matrix is the function of its scalar; a function of a whole matrix
(the matrix exponential ...) and an undefined function are refused by name.
"""
from functools import reduce

from sympy import (Abs, Add, Derivative, Dummy, Expr, Function, Max, Min, Mul, Subs, acos, asin, atan,
                   cancel, cos,
                   cosh, count_ops, exp, log, sign, sin, sinh, sqrt, tan, tanh)
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.matexpr import MatrixElement

from ..algebra import flat_matmul, is_matrix, transpose_of
from ..errors import UnsupportedError
from ..registry import (CODEGEN, DIFFERENTIAL, FUNCTIONS, LATEX, NUMPY, REWRITE, SCALAR_FORMS, TEXT,
                        construct, numpycode_hook, sympy_notation)
from ..simplify.rewrite import abstracted
from .elementwise import elementwise
from .scalars import as_scalar, scalar

__all__ = ["sigmoid"]


class sigmoid(Function):
    """The logistic sigmoid 1/(1 + exp(-x)); sigmoid'(x) = sigmoid(x) (1 - sigmoid(x))."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return 1 / (1 + exp(-x))
        return None

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + exp(-x))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):   # for sympy.latex: the registered notation
        return LATEX(self, printer, exp=exp)


construct(Function, "scalar")
construct(Abs, "scalar")


# == differential ==

@DIFFERENTIAL.register(Abs, "d |a| = sign(a) da",
                       note=r"$\mathrm{d}|a| = \operatorname{sign}(a)\,\mathrm{d}a$")
def d_abs(s, d):
    """d |a| = sign(a) da  (a != 0); sign(a) a = |a| when da has the factor a
    (d |det X| = |det X| tr(X^{-1} dX), so d log|det X| = tr(X^{-1} dX))."""
    a = s.args[0]
    da = d(a)
    factors = Mul.make_args(da)
    if a in factors:
        rest = list(factors)
        rest.remove(a)
        return Mul(s, *rest)
    return sign(a) * da


@DIFFERENTIAL.register(Function, "chain rule: d φ(a) = φ'(a) da",
                       note="chain rule")
def d_function(s, d):
    """Chain rule: d φ(a) = φ'(a) da  (per argument for several)."""
    if any(is_matrix(a) for a in s.args):
        square = [a for a in s.args if is_matrix(a) and tuple(a.shape) != (1, 1)]
        if square:
            raise UnsupportedError(f"the matrix function {s}",
                                   "functions of whole matrices (matrix exponential, logarithm, ...)"
                                   " have no rule; for an elementwise function write M.applyfunc(f)")
        return d(s.func(*[as_scalar(a) for a in s.args]))
    if isinstance(s, AppliedUndef):
        raise UnsupportedError(f"the undefined function {s.func}",
                               "its derivative is unknown; give it as an explicit expression")
    terms = []
    for i, a in enumerate(s.args, start=1):
        if not d.depends(a):
            continue
        try:
            outer = s.fdiff(i)
        except Exception as exc:  # SymPy raises ArgumentIndexError and others
            raise UnsupportedError(f"the function {s.func}", f"no derivative: {exc}") from None
        if outer.atoms(Derivative, Subs):
            raise UnsupportedError(f"the function {s.func}", "SymPy knows no closed-form derivative")
        terms.append(outer * d(a))
    return Add(*terms)


# == identification ==


# == simplification ==


@REWRITE.register(Mul)
def sign_times_value(e):
    """sign(a) a = |a|, so that sign(det X) det X / |det X| = 1."""
    if not e.is_commutative:        # a matrix among the factors: not a scalar product
        return e
    factors = list(Mul.make_args(e))
    for f in factors:
        if isinstance(f, sign) and f.args[0] in factors:
            rest = list(factors)
            rest.remove(f)
            rest.remove(f.args[0])
            # unevaluated: Abs.eval simplifies signs by rebuilding (and breaking) matrix args
            return Mul(Abs(f.args[0], evaluate=False), *rest)
    return e

def _exp_powers(e, t):
    """{exp(k t): k} for the integer multiples k of t among e's exponentials."""
    found = {}
    for E in e.atoms(exp):
        k = cancel(E.args[0] / t)
        if k.is_Integer:
            found[E] = int(k)
    return found


@SCALAR_FORMS.register(Expr)
def exp_as_sigmoid(e):
    """e with e^t written through s = σ(t) (e^t = s/(1 - s)) when it becomes a function of
    σ(t) alone: e^t/(1 + e^t) = σ(t), e^{-t}/(1 + e^{-t})^2 = σ(t)(1 - σ(t)),
    e^{-t}/(1 + e^{-t}) = σ(-t).  The shortest spelling is kept by the caller."""
    if not e.has(exp):
        return e
    best = e
    for E in e.atoms(exp):
        for t in (E.args[0], -E.args[0]):
            powers = _exp_powers(e, t)
            s = Dummy("s")
            spelled = {power: (s / (1 - s)) ** k for power, k in powers.items()}
            spelled.update({sigmoid(t): s, sigmoid(-t): 1 - s})
            candidate = cancel(e.xreplace(spelled))
            candidate = candidate.xreplace({s: sigmoid(t)})
            if count_ops(candidate) < count_ops(best):
                best = candidate
    return best


def _is_gram(s):
    """Is the scalar s = (U^T U)[0, 0] for some U (so s >= 0)?"""
    if not isinstance(s, MatrixElement):
        return False
    coeff, mats = flat_matmul(s.args[0])
    half = len(mats) // 2
    return (len(mats) % 2 == 0 and coeff.is_nonnegative
            and all(mats[i] == transpose_of(mats[-1 - i]) for i in range(half)))


@REWRITE.register(Abs)
def abs_of_gram(e):
    """|x^T x| = x^T x: a Gram form is never negative."""
    return e.args[0] if _is_gram(e.args[0]) else e


@REWRITE.register(Mul)
def sigmoid_coefficient(e):
    """A coefficient with e^t in it, through σ: -e^{-t}/(1 + e^{-t}) = -σ(-t)."""
    if not any(isinstance(f, exp) for f in Mul.make_args(e)):
        return e
    # matrix-bearing scalars (tr(...), entries) as symbols: SymPy's cancel rebuilds what it
    # walks, and a Kronecker product rebuilt with a negated factor is refused by SymPy
    plain, back = abstracted(e)
    candidate = exp_as_sigmoid(plain).xreplace(back)
    return candidate if count_ops(candidate) < count_ops(e) else e


# == printing ==

# Functions printed \name\left(x\right) rather than SymPy's \name{\left(x \right)}.
_PLAIN_FUNCTIONS = frozenset({"sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh",
                              "tanh", "coth", "arcsin", "arccos", "arctan"})


@LATEX.register(Function)
def latex_function(expr, printer, exp=None):
    r"""``\tanh\left(x\right)`` (``\tanh^{2}\left(x\right)`` raised to a power); any other
    function as SymPy prints it (``e^{x}``, ``\left|x\right|``)."""
    func = expr.func.__name__
    if (func in _PLAIN_FUNCTIONS and len(expr.args) == 1 and not isinstance(expr, AppliedUndef)
            and not hasattr(type(printer), "_print_" + func)):
        name = "\\" + func + ("" if exp is None else "^{%s}" % exp)
        return name + r"\left(%s\right)" % printer._print(expr.args[0])
    return printer.sympy_print(expr, exp=exp)


def log_name(printer, exp=None):
    r"""``\log`` (``\ln`` with ln_notation), ``\log^{2}`` raised to a power."""
    name = r"\ln" if printer._settings["ln_notation"] else r"\log"
    return name if exp is None else name + "^{%s}" % exp


@LATEX.register(log)
def latex_log(expr, printer, exp=None):
    r"""``\log\left(x\right)``."""
    return log_name(printer, exp) + r"\left(%s\right)" % printer._print(expr.args[0])


@LATEX.register(sigmoid)
def latex_sigmoid(expr, printer, exp=None):
    r"""``\sigma\left(x\right)``, ``\sigma\left(x\right)^{2}``."""
    tex = r"\sigma\left(%s\right)" % printer._print(expr.args[0])
    return tex if exp is None else r"%s^{%s}" % (tex, exp)


@TEXT.register(Function)
def text_function(expr, printer):
    """``f(a, b)`` under the language's name for f (``arcsin(x)`` for SymPy's asin):
    ``exp(x)``, ``sigmoid(x)``; a function the language does not name as SymPy does."""
    name = FUNCTIONS.spelling_of(expr.func)
    if name is None:
        return printer.sympy_print(expr)
    return "%s(%s)" % (name, ", ".join(printer._print(a) for a in expr.args))


@TEXT.register(Abs)
def text_abs(expr, printer):
    """|a| is ``abs(a)``."""
    return printer.call(FUNCTIONS.spelling_of(Abs), expr.args[0])


# == parsing ==

#: The scalar functions of the language: of a scalar, the function; of a 1x1 matrix, the
#: function of its scalar; of any other matrix, the function applied elementwise.
SCALAR_FUNCTIONS = {"exp": exp, "log": log, "sqrt": sqrt, "sin": sin, "cos": cos, "tan": tan,
                    "tanh": tanh, "sinh": sinh, "cosh": cosh, "abs": Abs, "sigmoid": sigmoid,
                    "sign": sign, ("arcsin", "asin"): asin, ("arccos", "acos"): acos,
                    ("arctan", "atan"): atan}


def applied(function):
    def read_function(call):
        """f(s) of a scalar; f(scalar(M)) of a 1x1 M; f applied elementwise to a matrix."""
        shape, arg = call.shape(0), call.expr(0)
        if shape is None:
            return function(arg)
        if shape == (1, 1):
            return function(scalar(arg))
        return elementwise(function, arg)
    return read_function


for _names, _function in SCALAR_FUNCTIONS.items():
    FUNCTIONS.define(*((_names,) if isinstance(_names, str) else _names),
                     function=_function)(applied(_function))


# == numeric ==

@NUMPY.register(Function)
def numpy_function(s, printer):
    """φ(a) -> ``numpy.φ(a)``: SymPy's own NumPy printing (unknown functions refused)."""
    return printer.print_natively(s)


@NUMPY.register(sigmoid)
def numpy_sigmoid(s, printer):
    """σ(x) = 1/(1 + e^{-x})."""
    return "(1/(1 + %s(-(%s))))" % (printer.np("exp"), printer._print(s.args[0]))


sigmoid._numpycode = numpycode_hook  # SymPy's own NumPy printers (sympy.lambdify) call it


# == codegen ==

#: SymPy function -> the backend operation computing it in generated code
BACKEND_FUNCTIONS = {
    "exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh",
    "sinh": "sinh", "cosh": "cosh", "asin": "asin", "acos": "acos", "atan": "atan",
    "asinh": "asinh", "acosh": "acosh", "atanh": "atanh", "sigmoid": "sigmoid", "Abs": "abs",
    "sign": "sign", "Heaviside": "heaviside"}


@CODEGEN.register(Function)
def codegen_function(s, emit, env):
    """φ(a) -> ``B.φ(a)`` for the functions of ``BACKEND_FUNCTIONS``; others refused."""
    name = BACKEND_FUNCTIONS.get(type(s).__name__)
    if name is None or len(s.args) != 1 or isinstance(s, AppliedUndef):
        raise emit.unsupported(s)
    return emit.emit(f"B.{name}({emit.value(s.args[0], env)})")


@CODEGEN.register(Max)
@CODEGEN.register(Min)
def codegen_extremum(s, emit, env):
    """max(a, b, c) = maximum(maximum(a, b), c), elementwise (min alike)."""
    op = "maximum" if isinstance(s, Max) else "minimum"
    args = [emit.value(a, env) for a in s.args]
    return reduce(lambda a, b: emit.emit(f"B.{op}({a}, {b})"), args)
