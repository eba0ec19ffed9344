"""Function calls of the language: the parser's side of ``FUNCTIONS``.

Each construct defines its functions in its own module (``FUNCTIONS.define("tr",
"trace")(read_trace)``); the parser checks the number of arguments and hands the builder a
``Call``, through which the builder asks for its arguments in the shape it needs (a
matrix, a square matrix) and gets errors that quote the text.
"""
from sympy import Lambda
from sympy.core.symbol import Dummy

from ..constructs.elementwise import ELEMENT, derivative_body
from ..constructs.functions import applied

from ..errors import NonSquareMatrixError, ShapeError
from ..registry import FUNCTIONS
from .operands import Operand, is_matrix

__all__ = ["Call", "FUNCTIONS", "ELEMENTWISE_FUNCTIONS", "arguments_text", "bound_variable",
           "derivative_of"]

#: name -> SymPy function, the scalar functions (applied elementwise to a matrix)
ELEMENTWISE_FUNCTIONS = FUNCTIONS.scalar_functions()


def arguments_text(least, most):
    if most == least:
        return f"{least} argument" + ("s" if least != 1 else "")
    if most is None:
        return f"at least {least} arguments"
    return f"{least} to {most} arguments"


def derivative_of(function):
    """The builder of ``f'(a)``: f's derivative (matcalc's own scalar rules), applied as f
    is -- to a scalar, to the scalar of a 1x1, elementwise to a matrix."""
    body = derivative_body(function(ELEMENT), ELEMENT)
    if not body.has(ELEMENT):   # a constant derivative (sign' = 0): one for every entry
        return lambda call: applied(Lambda(ELEMENT, body))(call)
    return applied(Lambda(ELEMENT, body))


def bound_variable(name):
    """The scalar that ``name`` stands for in the body of ``map(name -> body, U)``."""
    return Dummy(name)


class Call:
    """``name(args)`` as its builder sees it: the arguments (SymPy objects; dimensions
    for a function of dimensions) and the text they were written as."""

    def __init__(self, name, operands, source, position, bound=None):
        self.name, self.operands, self.source, self.bound = name, operands, source, bound
        self.position = position
        self.args = [a.expr if isinstance(a, Operand) else a for a in operands]

    def error(self, message):
        """A ParseError pointing at the call."""
        return self.source.error(message, self.position)

    def expr(self, i):
        return self.args[i]

    def shape(self, i):
        """The matrix shape of argument ``i``, or None for a scalar."""
        return self.operands[i].shape

    def snippet(self, i):
        return self.source.snippet(self.operands[i])

    def describe(self, i):
        return self.source.describe(self.operands[i])

    def matrix(self, i, square=False):
        """Argument ``i``, which must be a matrix (square when ``square``)."""
        expr = self.args[i]
        if not is_matrix(expr):
            kind = "a square matrix" if square else "a matrix"
            raise ShapeError(f"{self.name}() needs {kind}, got the scalar \"{self.snippet(i)}\"")
        if square and expr.shape[0] != expr.shape[1]:
            self.source.repair((expr, 0, expr.shape[1]), (expr, 1, expr.shape[0]))
            raise NonSquareMatrixError(f"{self.name}() needs a square matrix, got "
                                       f"{self.describe(i)}")
        return expr

    def square_matrix(self, i):
        return self.matrix(i, square=True)
