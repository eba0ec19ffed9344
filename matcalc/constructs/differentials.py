"""Differentials: the symbol ``dX`` of the variable, and the unevaluated ``d(U)`` / ``d(s)``
nodes a derivation shows before each rule expands them.

None of them has a numeric value or generated code: they exist to be identified
(``dX``) or to be printed (``d(U)``).
"""
from sympy import Add, Basic, Expr, MatAdd, MatrixSymbol, Symbol, Transpose
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr

from ..algebra import matadd, matmul, split_coeff
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CANONICAL, FUNCTIONS, LATEX, TEXT, TRANSPOSE,
                        construct)

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

    def _entry(self, i, j, **kwargs):   # (d(M))_{00} of a 1x1 M, a scalar step
        from .scalars import ScalarElement   # scalars -> ... -> differentials
        return ScalarElement(self, i, j)

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


# == simplification ==

# One spelling of a derivation step when deciding equality: the text ``(d(M))`` of
# (dM)_{00} reads back as d(M_{00}) or the other way round, and ``d(a + b)`` as whatever
# the parser built.

@CANONICAL.register(MatrixElement)
def entry_of_a_differential(e):
    """(dM)_{00} = d(M_{00}) for a 1x1 M (a scalar's differential, whose linear parts
    then come out: d(c M_{00}) = c d(M_{00}) for a number c)."""
    if isinstance(e.parent, Differential) and e.parent.shape == (1, 1):
        from .scalars import scalar   # scalars -> ... -> differentials
        return ScalarDifferential(scalar(e.parent.arg))
    return e


@CANONICAL.register(ScalarDifferential)
def scalar_differential_linear(s):
    """d(a + b) = da + db; d(c a) = c da (c a number)."""
    arg = s.arg
    if isinstance(arg, Add):
        return Add(*[ScalarDifferential(t) for t in arg.args])
    coeff, rest = arg.as_coeff_Mul()
    if coeff != 1 and rest != 1:
        return coeff * ScalarDifferential(rest)
    return s


@CANONICAL.register(Differential)
def differential_linear(D):
    """d(U + V) = dU + dV; d(c U) = c dU (c a number: a scalar function's differential
    is not zero)."""
    if isinstance(D.arg, MatAdd):
        return matadd(*[Differential(t) for t in D.arg.args])
    coeff, rest = split_coeff(D.arg)
    if coeff.is_Number and coeff != 1:
        return matmul(coeff, Differential(rest))
    return D


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
    """``d(U)``; ``d(scalar(M))`` of the scalar of a 1x1 M (``d(M)`` is the 1x1 matrix's)."""
    arg = D.arg
    if isinstance(arg, MatrixElement) and arg.parent.shape == (1, 1):
        return f"d(scalar({printer._print(arg.parent)}))"
    return f"d({printer._print(arg)})"


ATOMIC_LATEX.register(DifferentialSymbol)(lambda dX: False)   # \mathrm{d}X takes parentheses
ATOMIC_TEXT.register(DifferentialSymbol)(lambda dX: False)    # (dX)'


# == parsing ==
# ``dX`` reads as the differential of the variable X where X is declared or named in the
# text and ``dX`` is not declared itself (parse/symbols.py)

@FUNCTIONS.define("d", soft=True)
def read_differential(call):
    """d(U): the differential of U, as a derivation step writes it (d(s) of a scalar s).

    A soft name: a variable may be called ``d`` too, and a declared ``d`` is no call."""
    U = call.expr(0)
    return Differential(U) if call.shape(0) is not None else ScalarDifferential(U)
