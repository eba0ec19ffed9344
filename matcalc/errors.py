"""Exceptions raised by matcalc.

Every failure a user can cause or meet has its own type and a message that
names the construct, the position or the file concerned.
"""
from sympy.matrices.exceptions import NonSquareMatrixError, ShapeError

__all__ = ["MatcalcError", "UnsupportedError", "ShapeError", "NonSquareMatrixError",
           "ParseError", "CatalogueError", "NonFiniteError"]


class MatcalcError(Exception):
    """Base class of matcalc's own errors."""


class UnsupportedError(MatcalcError, NotImplementedError):
    """matcalc has no rule for a construct; the message names it.

    Raised instead of ever returning a wrong (e.g. zero) derivative.
    """

    def __init__(self, construct, detail=""):
        self.construct = construct
        message = f"matcalc has no rule for {construct}"
        if detail:
            message += f": {detail}"
        super().__init__(message)


class ParseError(MatcalcError, ValueError):
    """Text that is not a valid matcalc expression.

    ``position`` is the 0-based column of the offending character (or None).
    """

    def __init__(self, message, text=None, position=None):
        self.text = text
        self.position = position
        if text is not None and position is not None:
            pointer = " " * position + "^"
            message = f"{message} (at column {position + 1})\n  {text}\n  {pointer}"
        super().__init__(message)


class CatalogueError(MatcalcError, ValueError):
    """A malformed identity catalogue file or entry; the message names file and id."""


class NonFiniteError(MatcalcError, ValueError):
    """A function or a derivative that is not finite (nan, zoo, oo): e.g. ``tr(X)/0``."""
