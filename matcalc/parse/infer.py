"""Shapes the expression fixes: ``A*x`` with A declared m x k makes an undeclared x k x 1.

A name nobody declared gets its default shape (``symbols.py``).  When an operation finds
two operands that do not fit -- the inner dimensions of a product, the shapes of a sum
or a Hadamard product, a square argument --, one side has a size the declarations give
(of their dimensions, or a number above 1: never the default n, nor a vector's 1), and
the other side holds a name whose shape came from the defaults, the dimension that name would have to
change is read off the
expression (the name's shape replaced by fresh dimensions, the operand's shape rebuilt),
and the parse starts again with that shape for the name (``Reparse``).  Each restart fixes
one axis of one name for good, and the passes are bounded (``MAX_PASSES``, fewer for long
texts: ``PASS_CHARACTERS``); an operation that no name can repair is the ``ShapeError``
it always was.
"""
from sympy import Dummy, MatrixSymbol

__all__ = ["Reparse", "repair", "MAX_PASSES", "PASS_CHARACTERS"]

#: parses of one text at most: beyond it the defaults stand and a misfit is an error
MAX_PASSES = 16
#: characters read over all passes at most (a 100,000-character text gets 4 passes)
PASS_CHARACTERS = 400_000


class Reparse(Exception):
    """Parse again: ``name`` has the shape ``shape`` (fixed by the expression)."""

    def __init__(self, name, shape, axes):
        super().__init__(name)
        self.name, self.shape, self.axes = name, shape, axes


def _reshaped(expr, symbol, axes):
    """(fresh dims by axis, expr with ``symbol``'s free ``axes`` made fresh dimensions)."""
    fresh = {axis: Dummy(f"d{axis}") for axis in axes}
    dims = [fresh.get(axis, symbol.shape[axis]) for axis in (0, 1)]
    return fresh, expr.xreplace({symbol: MatrixSymbol(symbol.name, *dims)})


def repair(table, expr, axis, target):
    """A ``Reparse`` giving one defaulted name of ``expr`` the shape that makes
    ``expr.shape[axis] == target``, or None when no name can."""
    if not table.fixed(target):   # only a default's size: nothing the expression fixes
        return None
    candidates = [s for s in expr.atoms(MatrixSymbol) if table.free_axes(s.name)]
    for symbol in sorted(candidates, key=lambda s: s.name):
        free = table.free_axes(symbol.name)
        try:
            fresh, probe = _reshaped(expr, symbol, free)
            dim = probe.shape[axis]
        except Exception:  # the name's other uses in expr pin its shape: not this name
            continue
        for ax, d in fresh.items():
            if dim == d:
                shape = list(symbol.shape)
                shape[ax] = target
                return Reparse(symbol.name, tuple(shape), (ax,))
    return None
