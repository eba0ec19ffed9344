r"""``∇f(U)``: the gradient of an undefined scalar function f of a matrix, at U (shaped like U).

    d f(U) = <∇f(U), dU> = tr(∇f(U)^T dU)             (constructs/undefined.py)
    grad_A g(f(A B)) = g'(f(A B)) ∇f(A B) B^T           (the SymPy seed's cells 22-23)
    d tr(f(X)) ... MML (5.99)-(5.102): the chain rule through an abstract f

For several arguments, ``∇_k F(U, V)`` is the gradient with respect to the k-th.  It has no
value of its own: ``matcalc.check(..., functions={f: Lambda(M, Trace(M.T*M))})`` binds f, and
the claim's ∇f(U) becomes matcalc's own gradient of the bound body at U (the function under
test is only evaluated: the oracle differentiates it by finite differences).
"""
from sympy import Basic, Integer, Lambda, MatrixSymbol, Symbol, Transpose
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import is_matrix
from ..registry import BIND, LATEX, TEXT, TRANSPOSE, construct

__all__ = ["AppliedDerivative", "FunctionGradient", "function_gradient", "apply_concrete"]


class AppliedDerivative(MatrixExpr):
    """A derivative of an applied function F(U_1, ...) along its k-th argument: the args are
    (F(U_1, ...), k, ...); printed by its construct's rules."""

    @property
    def applied(self):
        return self.args[0]

    @property
    def position(self):
        return int(self.args[1])

    @property
    def argument(self):
        return self.applied.args[self.position - 1]

    def _sympystr(self, printer):   # str() and sympy.latex print the registered notation
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)


class FunctionGradient(AppliedDerivative):
    r"""``∇_k f(U_1, ..., U_r)`` (``\nabla f\left(U\right)``): shaped like U_k."""

    def __new__(cls, applied, position):
        return Basic.__new__(cls, _sympify(applied), Integer(position))

    @property
    def shape(self):
        return self.argument.shape


def function_gradient(applied, position=1):
    """∇_k f(U_1, ...) for the applied undefined function ``applied`` = f(U_1, ...)."""
    return FunctionGradient(applied, position)


_NO_VALUE = ("∇f of an undefined function has no value: bind f, "
             "matcalc.check(..., functions={f: Lambda(M, ...)})")
construct(FunctionGradient, "matrix", refuses={
    "differential": "second derivatives of an undefined function of a matrix (∇²f) have no rule",
    "numpy": _NO_VALUE, "codegen": _NO_VALUE})


# == structure ==

@TRANSPOSE.register(FunctionGradient)
def transpose_function_gradient(M):
    """∇f(U)^T, kept as written."""
    return Transpose(M)


# == printing ==

def _head(M, printer, latex):
    name = M.applied.func.__name__
    several = len(M.applied.args) > 1
    if latex:
        sub = "_{%d}" % M.position if several else ""
        return r"\nabla%s %s" % (sub, printer._print(Symbol(name)))
    return "grad%s(%s)" % ("_%d" % M.position if several else "", name)


@LATEX.register(FunctionGradient)
def latex_function_gradient(M, printer):
    r"""``\nabla f\left(A B\right)``, ``\nabla_{2} F\left(M, D\right)``."""
    inside = ", ".join(printer._print(a) for a in M.applied.args)
    return r"%s\left(%s\right)" % (_head(M, printer, True), inside)


@TEXT.register(FunctionGradient)
def text_function_gradient(M, printer):
    """``grad(f)(A*B)``, ``grad_2(F)(M, D)`` (printed only)."""
    return "%s(%s)" % (_head(M, printer, False),
                       ", ".join(printer._print(a) for a in M.applied.args))


# == numeric ==

def apply_concrete(concrete, args):
    """The concrete function applied to ``args``: a SymPy function class, a ``Lambda`` (of
    scalars or of matrix symbols, whose symbolic sizes are matched to the arguments'), or a
    Python callable."""
    if isinstance(concrete, Lambda):
        replace = {}
        for var, a in zip(concrete.variables, args):
            replace[var] = a
            if isinstance(var, MatrixSymbol) and is_matrix(a):
                replace.update({d: e for d, e in zip(var.shape, a.shape)
                                if getattr(d, "is_Symbol", False)})
        return concrete.expr.xreplace(replace)
    return concrete(*args)


@BIND.register(FunctionGradient)
def bind_function_gradient(M, functions, bind):
    """∇_k f(U) with f bound: matcalc's gradient of the concrete f with respect to its k-th
    argument, at U (the claim's side; the function under test is only evaluated)."""
    from ..derivatives import grad   # the engine, lazily: the claim's ∇f is derived
    F = M.applied
    concrete = functions.get(F.func.__name__)
    args = [bind(a) for a in F.args]
    if concrete is None:
        return FunctionGradient(F.func(*args), M.position)
    at = args[M.position - 1]
    variable = MatrixSymbol("_bound", *at.shape)
    body = apply_concrete(concrete, [variable if k == M.position - 1 else a
                                     for k, a in enumerate(args)])
    return grad(body, variable).xreplace({variable: at})
