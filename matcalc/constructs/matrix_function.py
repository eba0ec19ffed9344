r"""Undefined matrix-valued functions F(U): MML's general identities (5.99)-(5.102).

    d F(U) = DF(U)[dU]                  (the derivative of F at U, a linear map of dU)
    <G, DF(U)[L]> = <DF(U)^*[G], L>     vec(DF(U)[L]) = J_F(U) vec(L)

with J_F(U) = d vec F / d vec(U)^T the Jacobian of F at U and DF(U)^*[G] = vec^{-1}(J_F(U)^T
vec G) its adjoint, shaped like U.  So, for an undefined F (``matcalc.matrix_function``):

    d vec(F(X)^T)/d vec(X)^T = K J_F(X)                            (5.99)
    grad tr F(X) = DF(X)^*[I]                                      (5.100)
    grad det F(X) = det F(X) DF(X)^*[F(X)^{-T}]                    (5.101)
    d vec(F(X)^{-1})/d vec(X)^T = -(F(X)^{-T} ⊗ F(X)^{-1}) J_F(X)  (5.102)

Nothing here has a value: ``matcalc.check(..., functions={F: Lambda(M, ...)})`` binds F; the
claim's J_F(U) and DF(U)^*[G] become matcalc's Jacobian and gradient of the bound F (the
function under test is only evaluated).
"""
from sympy import Basic, Integer, MatAdd, MatMul, MatrixSymbol, Symbol, Trace, Transpose
from sympy.core.symbol import Str
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import is_matrix, split_coeff, transpose_of
from ..errors import ShapeError, UnsupportedError
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, BIND, COTANGENT, DIFFERENTIAL, LATEX, REWRITE, TEXT,
                        TRANSPOSE, VEC, construct)
from .function_gradient import AppliedDerivative, apply_concrete

__all__ = ["MatrixFunction", "AppliedMatrixFunction", "FunctionDerivative", "FunctionJacobian",
           "FunctionAdjoint", "matrix_function"]


class MatrixFunction:
    """An undefined matrix-valued function F of given shape: ``F(U, ...)`` builds it applied
    (``matcalc.matrix_function("F", rows, cols)``); a key of ``functions=`` for the checks."""

    is_undefined_matrix_function = True

    def __init__(self, name, rows, cols):
        self.__name__ = name
        self.shape = (_sympify(rows), _sympify(cols))

    def __call__(self, *args):
        args = [_sympify(a) for a in args]
        if not args or not all(is_matrix(a) for a in args):
            raise ShapeError(f"the matrix function {self.__name__} takes matrix arguments, "
                             f"got {args}")
        return AppliedMatrixFunction(Str(self.__name__), *self.shape, *args)

    def __repr__(self):
        return f"matrix_function({self.__name__!r}, {self.shape[0]}, {self.shape[1]})"


def matrix_function(name, rows, cols):
    """An undefined matrix-valued function ``name`` with values of shape rows x cols."""
    return MatrixFunction(name, rows, cols)


class AppliedMatrixFunction(MatrixExpr):
    """F(U_1, ...) of an undefined matrix-valued F (``\\mathbf{F}\\left(U\\right)``)."""

    @property
    def name(self):
        return self.args[0].name

    @property
    def shape(self):
        return self.args[1], self.args[2]

    @property
    def arguments(self):
        return self.args[3:]

    def _sympystr(self, printer):   # str() and sympy.latex print the registered notation
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)


class _Derived(AppliedDerivative):
    """A derivative of an applied matrix function F along its k-th argument."""

    @property
    def argument(self):
        return self.applied.arguments[self.position - 1]


class FunctionDerivative(_Derived):
    """DF_k(U)[L]: the derivative of F along its k-th argument applied to L (shaped like F)."""

    def __new__(cls, applied, position, L):
        return Basic.__new__(cls, applied, Integer(position), _sympify(L))

    @property
    def direction(self):
        return self.args[2]

    @property
    def shape(self):
        return self.applied.shape


class FunctionJacobian(_Derived):
    """J_{F,k}(U) = d vec F / d vec(U_k)^T (rs x pq)."""

    def __new__(cls, applied, position):
        return Basic.__new__(cls, applied, Integer(position))

    @property
    def shape(self):
        rows, cols = self.applied.shape
        p, q = self.argument.shape
        return rows * cols, p * q


class FunctionAdjoint(_Derived):
    """DF_k(U)^*[G] = vec^{-1}(J_{F,k}(U)^T vec G), shaped like U_k."""

    def __new__(cls, applied, position, G):
        return Basic.__new__(cls, applied, Integer(position), _sympify(G))

    @property
    def cotangent(self):
        return self.args[2]

    @property
    def shape(self):
        return self.argument.shape


_NO_VALUE = ("an undefined matrix function has no value: bind it, "
             "matcalc.check(..., functions={F: Lambda(M, ...)})")
_SECOND = "second derivatives of an undefined matrix function have no rule"
construct(AppliedMatrixFunction, "matrix", refuses={"numpy": _NO_VALUE, "codegen": _NO_VALUE})
construct(FunctionDerivative, "matrix", linear=True, refuses={
    "numpy": _NO_VALUE, "codegen": _NO_VALUE})
for _cls in (FunctionJacobian, FunctionAdjoint):
    construct(_cls, "matrix", refuses={"differential": _SECOND, "numpy": _NO_VALUE,
                                       "codegen": _NO_VALUE})


# == differential ==

@DIFFERENTIAL.register(AppliedMatrixFunction, "d F(U) = DF(U)[dU]",
                       note=r"$\mathrm{d}F(U) = \mathrm{D}F(U)[\mathrm{d}U]$")
def d_matrix_function(F, d):
    """d F(U_1, ...) = Σ_k DF_k(U)[dU_k]."""
    terms = [FunctionDerivative(F, k, d(U)) for k, U in enumerate(F.arguments, 1)
             if d.depends(U)]
    return terms[0] if len(terms) == 1 else MatAdd(*terms)


@DIFFERENTIAL.register(FunctionDerivative, "d DF(U)[L] = DF(U)[dL]  (U constant)",
                       note=r"linearity of $\mathrm{D}F(U)$")
def d_function_derivative(M, d):
    """d DF(U)[L] = DF(U)[dL] when U is constant; along U it is a second derivative."""
    if d.depends(M.applied):
        raise UnsupportedError(f"the derivative {M} of {M.applied.name} along its argument",
                               _SECOND)
    return FunctionDerivative(M.applied, M.position, d(M.direction))


# == identification ==

@COTANGENT.register(FunctionDerivative)
def cotangent_function_derivative(L, G, walk):
    """<G, DF(U)[L]> = <DF(U)^*[G], L>."""
    yield from walk(L.direction, FunctionAdjoint(L.applied, L.position, G))


@VEC.register(FunctionDerivative)
def vec_function_derivative(L, walk):
    """vec(DF(U)[L]) = J_F(U) vec(L)."""
    J = FunctionJacobian(L.applied, L.position)
    for inner in walk(L.direction):
        yield MatMul(J, inner)


# == simplification ==

@REWRITE.register(FunctionAdjoint)
def adjoint_scalar_out(e):
    """DF(U)^*[c G] = c DF(U)^*[G] (the adjoint is linear)."""
    coeff, G = split_coeff(e.cotangent)
    if coeff == 1:
        return e
    return MatMul(coeff, FunctionAdjoint(e.applied, e.position, G))


# == structure ==

for _cls in (AppliedMatrixFunction, FunctionDerivative, FunctionJacobian, FunctionAdjoint):
    TRANSPOSE.register(_cls)(lambda M: Transpose(M))   # kept as written


# == printing ==

def _name_latex(M, printer):
    return printer._print(Symbol(M.name))


def _arguments(F, printer):
    return ", ".join(printer._print(a) for a in F.arguments)


def _sub(M):
    return "" if len(M.applied.arguments) == 1 else "_{%d}" % M.position


@LATEX.register(AppliedMatrixFunction)
def latex_matrix_function(F, printer):
    r"""``F\left(X\right)``."""
    return r"%s\left(%s\right)" % (_name_latex(F, printer), _arguments(F, printer))


@LATEX.register(FunctionDerivative)
def latex_function_derivative(M, printer):
    r"""``\mathrm{D}F\left(X\right)\left[L\right]``."""
    return r"\mathrm{D}%s %s\left(%s\right)\left[%s\right]" % (
        _sub(M), _name_latex(M.applied, printer), _arguments(M.applied, printer),
        printer._print(M.direction))


@LATEX.register(FunctionJacobian)
def latex_function_jacobian(M, printer):
    r"""``J_{F}\left(X\right)``."""
    sub = "" if len(M.applied.arguments) == 1 else ",%d" % M.position
    return r"J_{%s%s}\left(%s\right)" % (_name_latex(M.applied, printer), sub,
                                         _arguments(M.applied, printer))


@LATEX.register(FunctionAdjoint)
def latex_function_adjoint(M, printer):
    r"""``\mathrm{D}F\left(X\right)^{*}\left[G\right]``."""
    return r"\mathrm{D}%s %s\left(%s\right)^{*}\left[%s\right]" % (
        _sub(M), _name_latex(M.applied, printer), _arguments(M.applied, printer),
        printer._print(M.cotangent))


ATOMIC_LATEX.register(AppliedMatrixFunction)(lambda F: True)   # F(X): a call
ATOMIC_TEXT.register(AppliedMatrixFunction)(lambda F: True)


@TEXT.register(AppliedMatrixFunction)
def text_matrix_function(F, printer):
    """``F(X)`` (printed only)."""
    return "%s(%s)" % (F.name, _arguments(F, printer))


@TEXT.register(FunctionDerivative)
def text_function_derivative(M, printer):
    """``D(F)(X)[L]`` (printed only)."""
    return "D%s(%s)(%s)[%s]" % (_sub(M).strip("_{}"), M.applied.name,
                                _arguments(M.applied, printer), printer._print(M.direction))


@TEXT.register(FunctionJacobian)
def text_function_jacobian(M, printer):
    """``J(F)(X)`` (printed only)."""
    return "J%s(%s)(%s)" % (_sub(M).strip("_{}"), M.applied.name, _arguments(M.applied, printer))


@TEXT.register(FunctionAdjoint)
def text_function_adjoint(M, printer):
    """``D(F)(X)*[G]`` (printed only)."""
    return "D%s(%s)(%s)*[%s]" % (_sub(M).strip("_{}"), M.applied.name,
                                 _arguments(M.applied, printer), printer._print(M.cotangent))


# == numeric ==

def _bound_parts(M, functions, bind):
    """(concrete F or None, the bound arguments, a symbol for the k-th, F's body in it)."""
    concrete = functions.get(M.applied.name)
    args = [bind(a) for a in M.applied.arguments]
    if concrete is None:
        return None, args, None, None
    at = args[M.position - 1]
    variable = MatrixSymbol("_bound", *at.shape)
    body = apply_concrete(concrete, [variable if k == M.position - 1 else a
                                     for k, a in enumerate(args)])
    return concrete, args, variable, body


@BIND.register(AppliedMatrixFunction)
def bind_matrix_function(F, functions, bind):
    """F(U) with F bound: the concrete function of the bound arguments."""
    concrete = functions.get(F.name)
    args = [bind(a) for a in F.arguments]
    if concrete is None:
        return AppliedMatrixFunction(F.args[0], *F.shape, *args)
    return apply_concrete(concrete, args)


@BIND.register(FunctionJacobian)
def bind_function_jacobian(M, functions, bind):
    """J_F(U) with F bound: matcalc's Jacobian of the concrete F at U (the claim's side)."""
    from ..derivatives import jacobian   # the engine, lazily: the claim's J_F is derived
    concrete, args, variable, body = _bound_parts(M, functions, bind)
    if concrete is None:
        return M
    return jacobian(body, variable).xreplace({variable: args[M.position - 1]})


@BIND.register(FunctionDerivative)
def bind_function_derivative(M, functions, bind):
    """DF(U)[L] with F bound: the differential of the concrete F at U with dU = L (a
    differential, met only in claims and tests: derived by the engine)."""
    from .differentials import differential_symbol
    from ..differential import differential   # the engine, lazily
    concrete, args, variable, body = _bound_parts(M, functions, bind)
    if concrete is None:
        return M
    dF = differential(body, variable).xreplace({differential_symbol(variable):
                                                bind(M.direction)})
    return dF.xreplace({variable: args[M.position - 1]})


@BIND.register(FunctionAdjoint)
def bind_function_adjoint(M, functions, bind):
    """DF(U)^*[G] with F bound: the gradient of tr(G^T F(U)) in U, G held fixed."""
    from ..derivatives import grad   # the engine, lazily: the claim's adjoint is derived
    concrete, args, variable, body = _bound_parts(M, functions, bind)
    if concrete is None:
        return M
    G = bind(M.cotangent)
    frozen = MatrixSymbol("_cotangent", *G.shape)
    gradient = grad(Trace(MatMul(transpose_of(frozen), body)), variable)
    return gradient.xreplace({frozen: G}).xreplace({variable: args[M.position - 1]})

