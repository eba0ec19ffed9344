"""Differentials: the symbol ``dX`` of the variable, and the unevaluated ``d(U)`` / ``d(s)``
nodes a derivation shows before each rule expands them.

None of them has a numeric value or generated code: they exist to be identified
(``dX``) or to be printed (``d(U)``).
"""
from sympy import Basic, Expr, MatrixSymbol, Symbol, Transpose
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..registry import ATOMIC_LATEX, ATOMIC_TEXT, LATEX, TEXT, TRANSPOSE, construct

__all__ = ["DifferentialSymbol", "ScalarDifferentialSymbol", "Differential",
           "ScalarDifferential", "differential_symbol"]


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

    def _latex(self, printer):   # sympy.latex prints the registered notation
        return LATEX(self, printer)


class ScalarDifferentialSymbol(Symbol):
    """The differential ``dt`` of a scalar variable t (a subclass: never a user's "dt")."""

    @classmethod
    def of(cls, variable):
        return cls("d" + variable.name)

    @property
    def variable_name(self):
        return self.name[1:]

    def _latex(self, printer):   # sympy.latex prints the registered notation
        return LATEX(self, printer)


def differential_symbol(variable):
    """dX of a matrix variable X, dt of a scalar variable t."""
    if isinstance(variable, MatrixSymbol):
        return DifferentialSymbol.of(variable)
    return ScalarDifferentialSymbol.of(variable)


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

    def _sympystr(self, printer):   # str() and sympy.latex print the registered notation
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)


class ScalarDifferential(Expr):
    """The unevaluated differential ``d(s)`` of a scalar expression (derivation steps)."""

    is_commutative = True

    def __new__(cls, arg):
        return Expr.__new__(cls, _sympify(arg))

    @property
    def arg(self):
        return self.args[0]

    def _sympystr(self, printer):   # str() and sympy.latex print the registered notation
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)


_NO_VALUE = "a differential has no numeric value"
construct(DifferentialSymbol, "matrix", leaf=True,
          refuses={"numpy": _NO_VALUE, "codegen": _NO_VALUE})
construct(ScalarDifferentialSymbol, "scalar", leaf=True,
          refuses={"numpy": _NO_VALUE, "codegen": _NO_VALUE})
construct(Differential, "matrix", refuses={
    "differential": "d(U) is a derivation step, expanded by U's own rule",
    "numpy": _NO_VALUE, "codegen": _NO_VALUE})
@TRANSPOSE.register(Differential)
def transpose_differential(M):
    """d(U)^T, shown as written in a derivation step."""
    return Transpose(M)


construct(ScalarDifferential, "scalar", refuses={
    "differential": "d(s) is a derivation step, expanded by s's own rule",
    "numpy": _NO_VALUE, "codegen": _NO_VALUE})


# == printing ==

@LATEX.register(DifferentialSymbol)
def latex_differential_symbol(dX, printer):
    r"""``\mathrm{d}X``."""
    return r"\mathrm{d}%s" % printer._print(MatrixSymbol(dX.variable_name, *dX.shape))


@LATEX.register(ScalarDifferentialSymbol)
def latex_scalar_differential_symbol(dt, printer):
    r"""``\mathrm{d}t``."""
    return r"\mathrm{d}%s" % printer._print(Symbol(dt.variable_name))


@TEXT.register(ScalarDifferentialSymbol)
def text_scalar_differential_symbol(dt, printer):
    """``dt``."""
    return dt.name


@LATEX.register(Differential)
def latex_differential(D, printer):
    r"""``\mathrm{d}X`` of a symbol, ``\mathrm{d}\left(A X\right)``."""
    if isinstance(D.arg, MatrixSymbol) and not isinstance(D.arg, DifferentialSymbol):
        return r"\mathrm{d}%s" % printer._print(D.arg)
    return r"\mathrm{d}\left(%s\right)" % printer._print(D.arg)


@LATEX.register(ScalarDifferential)
def latex_scalar_differential(D, printer):
    r"""``\mathrm{d}t`` of a symbol, ``\mathrm{d}\left(\log\det\left(X\right)\right)``."""
    if D.arg.is_Symbol:
        return r"\mathrm{d}%s" % printer._print(D.arg)
    return r"\mathrm{d}\left(%s\right)" % printer._print(D.arg)


@TEXT.register(Differential)
@TEXT.register(ScalarDifferential)
def text_differential(D, printer):
    """``d(U)``."""
    return f"d({printer._print(D.arg)})"


ATOMIC_LATEX.register(DifferentialSymbol)(lambda dX: False)   # \mathrm{d}X takes parentheses
ATOMIC_TEXT.register(DifferentialSymbol)(lambda dX: False)    # (dX)'


# == parsing ==
