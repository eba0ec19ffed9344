"""Scalar and matrix constructs that SymPy lacks: norms, the sigmoid, 1x1 scalars.

Each one is a plain SymPy expression class that knows how to print itself
(str, LaTeX, NumPy code), so results containing them stay ordinary SymPy objects.
"""
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy import Basic, Expr, Function, Integer, MatrixSymbol, exp
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr

__all__ = ["Norm", "norm", "sigmoid", "scalar", "ScalarElement", "logdet", "DifferentialSymbol",
           "Differential", "ScalarDifferential"]


class Norm(Expr):
    """Frobenius norm ``||E||_F`` of a matrix, the 2-norm ``||x||_2`` of a vector.

    Both are ``sqrt(tr(E^T E))``; d||E|| = tr(E^T dE) / ||E||.
    """

    is_commutative = True
    is_real = True
    is_extended_real = True
    is_nonnegative = True
    is_finite = True

    def __new__(cls, arg):
        arg = _sympify(arg)
        if not isinstance(arg, MatrixExpr):
            raise TypeError(f"norm() needs a matrix expression, got {arg!r}")
        return Expr.__new__(cls, arg)

    @property
    def arg(self):
        return self.args[0]

    @property
    def is_vector_norm(self):
        rows, cols = self.arg.shape
        return rows == 1 or cols == 1

    def _eval_is_zero(self):
        return None

    def _sympystr(self, printer):
        return f"norm({printer._print(self.arg)})"

    def _latex(self, printer):
        sub = "2" if self.is_vector_norm else "F"
        return r"\left\|%s\right\|_{%s}" % (printer._print(self.arg), sub)

    def _numpycode(self, printer):
        return f"{printer._module_format(printer._module + '.linalg.norm')}({printer._print(self.arg)})"


def norm(E):
    """``||E||_F`` for a matrix, ``||x||_2`` for a vector (a SymPy scalar)."""
    return Norm(E)


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

    def _latex(self, printer, exp=None):
        body = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)

    def _numpycode(self, printer):
        np = printer._module
        return f"(1/(1 + {printer._module_format(np + '.exp')}(-({printer._print(self.args[0])}))))"


class ScalarElement(MatrixElement):
    """``M[0, 0]`` of a 1x1 matrix expression, kept whole: its ``doit`` never expands
    the product into an index sum (SymPy's MatrixElement does, on every ``c*M``)."""

    def doit(self, **hints):
        parent = self.args[0]
        if hints.get("deep", True):
            parent = parent.doit(**hints)
        return type(self)(parent, *self.args[1:])


def scalar(M):
    """The 1x1 matrix ``M`` as a SymPy scalar (``M[0, 0]`` kept in matrix form).

    SymPy's own ``M[0, 0]`` expands a product into an index sum; this keeps
    ``x.T*A*x`` readable and differentiable by matcalc.
    """
    M = _sympify(M)
    if not isinstance(M, MatrixExpr):
        return M
    if M.shape != (1, 1):
        raise ValueError(f"scalar() needs a 1x1 matrix expression, got shape {M.shape} for {M}")
    return ScalarElement(M, Integer(0), Integer(0))


def logdet(U):
    """``log(det(U))``."""
    from sympy import Determinant, log
    return log(Determinant(U))


class DifferentialSymbol(MatrixSymbol):
    """The differential ``dX`` of a matrix variable X: a symbol of X's shape.

    A subclass so it never equals a user's own symbol called "dX".
    """

    @classmethod
    def of(cls, variable):
        """The differential of ``variable``: ``DifferentialSymbol.of(X)`` is dX."""
        return cls("d" + variable.name, *variable.shape)

    def doit(self, **hints):
        return self

    @property
    def variable_name(self):
        return self.name[1:]

    def _latex(self, printer):
        return r"\mathrm{d}%s" % printer._print(MatrixSymbol(self.variable_name, *self.shape))


class Differential(MatrixExpr):
    """The unevaluated differential ``d(U)`` of a matrix expression (derivation steps)."""

    def __new__(cls, arg):
        return Basic.__new__(cls, _sympify(arg))

    @property
    def arg(self):
        return self.args[0]

    @property
    def shape(self):
        return self.arg.shape

    def _sympystr(self, printer):
        return f"d({printer._print(self.arg)})"

    def _latex(self, printer):
        return r"\mathrm{d}\left(%s\right)" % printer._print(self.arg)


class ScalarDifferential(Expr):
    """The unevaluated differential ``d(s)`` of a scalar expression (derivation steps)."""

    is_commutative = True

    def __new__(cls, arg):
        return Expr.__new__(cls, _sympify(arg))

    @property
    def arg(self):
        return self.args[0]

    def _sympystr(self, printer):
        return f"d({printer._print(self.arg)})"

    def _latex(self, printer):
        return r"\mathrm{d}\left(%s\right)" % printer._print(self.arg)
