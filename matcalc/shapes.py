"""Shape checks with symbolic sizes (the validation stage).

SymPy validates shapes only when they are concrete: ``Trace(Y)`` of an n x m
``Y`` and ``X + Y`` of n x n and n x m are built without complaint.  matcalc
refuses them before differentiating: sizes must be equal as expressions
(``n`` and ``m`` are different sizes unless the user says otherwise).  Each
construct registers its own check (``VALIDATE``); this module walks the tree.
"""
from sympy import expand
from sympy.matrices.expressions.matexpr import MatrixExpr, MatrixSymbol

from .errors import NonSquareMatrixError, ShapeError
from .registry import VALIDATE

__all__ = ["check_shapes", "same_size", "shape_text", "require_square", "require_equal_shapes"]


def same_size(a, b):
    """Are two (symbolic) sizes equal as expressions?"""
    return a == b or expand(a - b) == 0


def shape_text(M):
    return f"{M.shape[0]} x {M.shape[1]}"


def require_square(node):
    """``node``'s matrix argument is square (for tr, det, inverse, powers)."""
    arg = node.args[0]
    if isinstance(arg, MatrixExpr) and not same_size(*arg.shape):
        raise NonSquareMatrixError(
            f"{type(node).__name__} needs a square matrix; {arg} is {shape_text(arg)}")


def require_equal_shapes(node):
    """The terms of a sum (the factors of a Hadamard product) have equal shapes."""
    first = node.args[0]
    for other in node.args[1:]:
        if not (same_size(first.shape[0], other.shape[0])
                and same_size(first.shape[1], other.shape[1])):
            raise ShapeError(f"the terms of {node} have different shapes: {first} is "
                             f"{shape_text(first)}, {other} is {shape_text(other)}")


def check_shapes(expr):
    """Raise ShapeError / NonSquareMatrixError for the first ill-shaped node of ``expr``."""
    seen = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if node in seen or not getattr(node, "args", ()) or isinstance(node, MatrixSymbol):
            continue
        seen.add(node)
        rule = VALIDATE.lookup(node)
        if rule is not None:
            rule(node)
        stack.extend(node.args)
