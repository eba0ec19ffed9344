"""Functions of the language that are spellings of other constructs, as matrixcalculus.org
writes them: ``sum``, ``norm1``, ``vector(c)``, ``matrix(c)`` and the bare ``eye``.

    sum(M) = 1^T M 1                 (all entries; 1^T v of a column, v 1 of a row)
    norm1(M) = sum(abs(M))           (the 1-norm of a vector, elementwise of a matrix)
    vector(c), matrix(c), eye        c times a vector / matrix of ones, the identity, sized by
                                     the operand they meet (``exp(x) + vector(1)``)

They build matcalc's own constructs (products with ones, ``abs`` elementwise), so what is
printed back is that construct's spelling (``ones(1, n)*x``), which reads back as the same
expression.  (``norm2`` is ``norm``'s other name, ``arcsin`` ... are scalar functions:
their own modules define them.)
"""
from sympy import Abs, Integer, OneMatrix

from ..algebra import matmul
from ..constructs.elementwise import elementwise
from ..constructs.scalars import scalar
from ..errors import ShapeError
from ..registry import FUNCTIONS
from .operands import Broadcast

__all__ = ["CONSTANTS", "entry_sum"]

#: names that stand for a constant without a call (``eye``: the identity, sized by context)
CONSTANTS = {"eye": Broadcast("identity")}


def entry_sum(M):
    """The sum of the entries of M as a scalar: 1^T M 1 (a column: 1^T v; a row: v 1)."""
    rows, cols = M.shape
    if rows == 1 and cols == 1:
        return scalar(M)
    if cols == 1:
        return scalar(matmul(OneMatrix(Integer(1), rows), M))
    if rows == 1:
        return scalar(matmul(M, OneMatrix(cols, Integer(1))))
    return scalar(matmul(OneMatrix(Integer(1), rows), M, OneMatrix(cols, Integer(1))))


@FUNCTIONS.define("sum")
def read_sum(call):
    """sum(M): the sum of all entries of a vector or matrix (of a scalar: itself)."""
    return call.expr(0) if call.shape(0) is None else entry_sum(call.expr(0))


@FUNCTIONS.define("norm1")
def read_norm1(call):
    """norm1(M): the sum of the absolute values of the entries (the 1-norm of a vector)."""
    if call.shape(0) is None:
        return Abs(call.expr(0))
    M = call.expr(0)
    return Abs(scalar(M)) if M.shape == (1, 1) else entry_sum(elementwise(Abs, M))


def _constant(kind):
    def read_constant(call):
        if call.shape(0) is not None:
            raise ShapeError(f"{call.name}(c) takes the scalar value of its entries, got "
                             f"{call.describe(0)}")
        return Broadcast(kind, call.expr(0))
    read_constant.__doc__ = (f"{kind}(c): a {kind} with every entry c, sized by the operand "
                             f"it meets (n{' x 1' if kind == 'vector' else ' x n'} alone)")
    return read_constant


FUNCTIONS.define("vector")(_constant("vector"))
FUNCTIONS.define("matrix")(_constant("matrix"))
