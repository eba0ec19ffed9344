"""Shape checks with symbolic sizes.

SymPy validates shapes only when they are concrete: ``Trace(Y)`` of an n x m
``Y`` and ``X + Y`` of n x n and n x m are built without complaint.  matcalc
refuses them before differentiating: sizes must be equal as expressions
(``n`` and ``m`` are different sizes unless the user says otherwise).
"""
from sympy import Determinant, Inverse, MatAdd, MatMul, MatPow, Trace, expand
from sympy.matrices.expressions.hadamard import HadamardProduct
from sympy.matrices.expressions.matexpr import MatrixExpr, MatrixSymbol

from .errors import NonSquareMatrixError, ShapeError

__all__ = ["check_shapes"]

_SQUARE = (Trace, Determinant, Inverse, MatPow)


def _same(a, b):
    return a == b or expand(a - b) == 0


def _shape(M):
    return f"{M.shape[0]} x {M.shape[1]}"


def check_shapes(expr):
    """Raise ShapeError / NonSquareMatrixError for the first ill-shaped node of ``expr``."""
    seen = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if node in seen or not getattr(node, "args", ()) or isinstance(node, MatrixSymbol):
            continue
        seen.add(node)
        if isinstance(node, _SQUARE):
            arg = node.args[0]
            if isinstance(arg, MatrixExpr) and not _same(*arg.shape):
                raise NonSquareMatrixError(
                    f"{type(node).__name__} needs a square matrix; {arg} is {_shape(arg)}")
        elif isinstance(node, (MatAdd, HadamardProduct)):
            first = node.args[0]
            for other in node.args[1:]:
                if not (_same(first.shape[0], other.shape[0]) and _same(first.shape[1], other.shape[1])):
                    raise ShapeError(f"the terms of {node} have different shapes: {first} is "
                                     f"{_shape(first)}, {other} is {_shape(other)}")
        elif isinstance(node, MatMul):
            mats = [a for a in node.args if isinstance(a, MatrixExpr)]
            for left, right in zip(mats, mats[1:]):
                if not _same(left.shape[1], right.shape[0]):
                    raise ShapeError(f"the product {node} is not conformable: {left} is "
                                     f"{_shape(left)}, {right} is {_shape(right)}")
        stack.extend(node.args)
