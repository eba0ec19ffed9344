"""What the decompositions share: a matrix-valued construct class, 1-based spectral
indices, symmetric arguments, and the oracle's runtime functions.

The decompositions (``eigen``, ``eigensystem``, ``svd``, ``cholesky``, ``pinv``,
``matrix_functions``, ``block_function``) evaluate through ``matcalc.numeric.linalg``, whose
functions fix the conventions (order, signs, branches); their NumPy code calls them by name.
"""
from sympy import Basic, Expr, Integer
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import transpose_of
from ..errors import NonSquareMatrixError, ShapeError
from ..registry import LATEX, TEXT, numpycode_hook
from ..shapes import shape_text

__all__ = ["SpectralMatrix", "SpectralScalar", "spectral_index", "is_symmetric_matrix",
           "runtime", "matrix_argument", "square_argument", "call_text"]

#: the module holding the runtime functions the NumPy code calls
RUNTIME = "matcalc.numeric.linalg"


def runtime(printer, name):
    """The name of the runtime function ``name`` in NumPy code (imported by ``lambdify``
    from ``matcalc.numeric.linalg``; its names start with ``matcalc_``, so they clash with
    no NumPy name)."""
    printer._module_format(f"{RUNTIME}.{name}")   # registers the import
    return name


def matrix_argument(M, what):
    """``M`` as a matrix expression, or a TypeError naming ``what`` needs one."""
    M = _sympify(M)
    if not isinstance(M, MatrixExpr):
        raise TypeError(f"{what} needs a matrix expression, got {M!r}")
    return M


def square_argument(M, what):
    """``M`` as a square matrix expression (sizes compared symbolically)."""
    M = matrix_argument(M, what)
    rows, cols = M.shape
    if rows != cols and (rows - cols).expand() != 0:
        raise NonSquareMatrixError(f"{what} needs a square matrix; {M} is {shape_text(M)}")
    return M


def spectral_index(i, count, what):
    """A 1-based index into a spectrum of ``count`` values: an integer or an integer
    expression in the dimensions (``n`` is the last one); refused when it is provably out
    of range 1..count."""
    i = _sympify(i)
    if not isinstance(i, Expr) or isinstance(i, MatrixExpr) or not i.is_integer:
        raise TypeError(f"the index of {what} must be an integer or an integer expression in "
                        f"the dimensions, got {i!r}")
    if (i - 1).is_negative or (i - 1).is_Integer and i < 1:
        raise ShapeError(f"the index of {what} is {i}; indices start at 1")
    if (count - i).is_negative or (count - i).is_Integer and count - i < 0:
        raise ShapeError(f"the index of {what} is {i}, beyond the {count} values there are")
    return Integer(i) if i.is_Integer else i


def is_symmetric_matrix(M):
    """Is M symmetric by construction (``S`` declared symmetric, ``A + A^T``, ``B^T B``)?"""
    return transpose_of(M) == M


def call_text(printer, name, *args):
    """``name(a, b)`` with any string printer (``str()`` uses SymPy's plain StrPrinter)."""
    call = getattr(printer, "call", None)
    if call is not None:
        return call(name, *args)
    return "%s(%s)" % (name, ", ".join(printer._print(a) for a in args))


class SpectralMatrix(MatrixExpr):
    """A matrix-valued construct of matcalc's own (its ``shape`` from its arguments); it
    prints by its registered rules (``str`` and ``sympy.latex`` too)."""

    def doit(self, **hints):
        if not hints.get("deep", True):
            return self
        return self.func(*[a.doit(**hints) if isinstance(a, Basic) else a for a in self.args])

    def _sympystr(self, printer):
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)

    _numpycode = numpycode_hook   # SymPy's own NumPy printers (sympy.lambdify) call it


class SpectralScalar(Expr):
    """A real scalar construct of matcalc's own (an eigenvalue, a singular value, a norm)."""

    is_commutative = True
    is_real = True
    is_extended_real = True
    is_finite = True

    def _eval_is_zero(self):
        return None

    def doit(self, **hints):
        if not hints.get("deep", True):
            return self
        return self.func(*[a.doit(**hints) if isinstance(a, Basic) else a for a in self.args])

    def _sympystr(self, printer):
        return TEXT(self, printer)

    def _latex(self, printer, exp=None):
        tex = LATEX(self, printer)
        return tex if exp is None else r"%s^{%s}" % (tex, exp)

    _numpycode = numpycode_hook
