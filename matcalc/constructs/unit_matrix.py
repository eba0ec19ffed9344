r"""The unit matrix ``E_{ij}`` (a 1 at (i, j), zeros elsewhere) and entries of matrices.

    ∂X_{ij}/∂X = E_{ij}            ∂(A X B)_{ij}/∂X = A^T E_{ij} B^T
    <c, L_{ij}> = <c E_{ij}, L>    (an entry of a differential: constructs/scalars.py)
    E_{ij}^T = E_{ji}              (P E_{ij} Q)_{mn} = P_{mi} Q_{jn}

Indices are concrete (0-based) or symbolic; with concrete indices and sizes E_{ij} is an
explicit matrix.  ``entry(M, m, n)`` is the (m, n) entry of a result kept in matrix form
(the derivative with respect to an entry X_{mn}: ``grad(f, X[m, n])``).
"""
from sympy import Basic, Identity, KroneckerDelta, MatAdd, MatMul, MatrixSymbol, Mul, S, Transpose
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix
from sympy.matrices.immutable import ImmutableDenseMatrix

from ..algebra import flat_matmul, product, scaled
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, COTANGENT, ENTRY, LATEX, NUMPY, REWRITE,
                        TEXT, TRANSPOSE, construct)
from .scalars import ScalarElement

__all__ = ["UnitMatrix", "unit_matrix", "entry"]


class UnitMatrix(MatrixExpr):
    """``E_{ij}`` of shape rows x cols: 1 at (i, j), 0 elsewhere (0-based indices)."""

    def __new__(cls, rows, cols, i, j):
        return Basic.__new__(cls, *(_sympify(a) for a in (rows, cols, i, j)))

    @property
    def shape(self):
        return self.args[0], self.args[1]

    @property
    def i(self):
        return self.args[2]

    @property
    def j(self):
        return self.args[3]

    def _entry(self, m, n, **kwargs):
        return KroneckerDelta(m, self.i) * KroneckerDelta(n, self.j)

    def _sympystr(self, printer):   # str() and sympy.latex print the registered notation
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)


def unit_matrix(rows, cols, i, j):
    """E_{ij} (rows x cols); an explicit matrix when sizes and indices are all concrete."""
    E = UnitMatrix(rows, cols, i, j)
    return explicit_unit(E)


def _concrete(E):
    return all(_sympify(a).is_Integer for a in E.args)


def explicit_unit(E):
    """E_{ij} as an explicit matrix when its sizes and indices are concrete."""
    return ImmutableDenseMatrix(E.as_explicit()) if _concrete(E) else E


construct(UnitMatrix, "matrix", leaf=True, refuses={
    "codegen": "a unit matrix E_ij has no generated code yet (write the entry's matrix form)"})


# == identification ==

@COTANGENT.register(MatrixElement)
def cotangent_entry(s, c, walk):
    """<c, L_{ij}> = <c E_{ij}, L>: an entry of a matrix differential."""
    L, i, j = s.args
    yield from walk(L, scaled(c, unit_matrix(L.shape[0], L.shape[1], i, j)))


# == simplification ==

REWRITE.register(UnitMatrix)(explicit_unit)


def element(M, m, n):
    """M_{mn} kept in matrix form: X[m, n] of a symbol, δ_{mn} of I, (P E_{ij} Q)_{mn} =
    P_{mi} Q_{jn}, linear over sums, a construct's own ``ENTRY`` rule ((A ∘ B)_{mn} =
    A_{mn} B_{mn}, φ(U)_{mn} = φ(U_{mn})); any other M as the entry of the whole (never
    SymPy's index sum)."""
    if isinstance(M, MatAdd):
        return sum((element(t, m, n) for t in M.args), S.Zero)
    if isinstance(M, ZeroMatrix):
        return S.Zero
    if isinstance(M, Identity):
        return KroneckerDelta(m, n)
    if isinstance(M, UnitMatrix):
        return KroneckerDelta(m, M.i) * KroneckerDelta(n, M.j)
    if isinstance(M, ImmutableDenseMatrix) and _sympify(m).is_Integer and _sympify(n).is_Integer:
        return M[int(m), int(n)]
    if isinstance(M, Transpose):
        return element(M.arg, n, m)
    if isinstance(M, MatrixSymbol):
        return MatrixElement(M, m, n)
    rule = ENTRY.lookup(M)
    if rule is not None:
        out = rule(M, m, n, element)
        if out is not None:
            return out
    if isinstance(M, MatMul):
        coeff, mats = flat_matmul(M)
        at = next((k for k, F in enumerate(mats) if isinstance(F, UnitMatrix)), None)
        if at is not None:
            E = mats[at]
            left = element(product(mats[:at]), m, E.i) if at else KroneckerDelta(m, E.i)
            right = (element(product(mats[at + 1:]), E.j, n) if at + 1 < len(mats)
                     else KroneckerDelta(E.j, n))
            return Mul(coeff, left, right)
        if coeff != 1:
            return coeff * element(product(mats), m, n)
    return ScalarElement(M, _sympify(m), _sympify(n))


def entry(M, m, n):
    """The (m, n) entry of the matrix result M (``element``), or M itself for a scalar."""
    if not isinstance(M, MatrixExpr):
        return M
    return element(M, m, n)


# == structure ==

@TRANSPOSE.register(UnitMatrix)
def transpose_unit(E):
    """E_{ij}^T = E_{ji}."""
    rows, cols, i, j = E.args
    return UnitMatrix(cols, rows, j, i)


# == printing ==

def _indices(E, printer):
    i, j = printer._print(E.i), printer._print(E.j)
    return i + j if len(i) == 1 and len(j) == 1 else f"{i},{j}"


@LATEX.register(UnitMatrix)
def latex_unit(E, printer):
    """``E_{ij}``, ``E_{i,j+1}``."""
    return "E_{%s}" % _indices(E, printer)


@TEXT.register(UnitMatrix)
def text_unit(E, printer):
    """``E(i, j, m, n)``: indices, then the shape (printed only)."""
    return "E(%s)" % ", ".join(printer._print(a) for a in (E.i, E.j, *E.shape))


ATOMIC_LATEX.register(UnitMatrix)(lambda E: True)
ATOMIC_TEXT.register(UnitMatrix)(lambda E: True)


# == numeric ==

@NUMPY.register(UnitMatrix)
def numpy_unit(E, printer):
    """E_{ij} -> ``numpy.outer(numpy.arange(rows) == i, numpy.arange(cols) == j) * 1.0``."""
    rows, cols, i, j = (printer._print(a) for a in E.args)
    arange = printer.np("arange")
    return "(%s(%s(%s) == %s, %s(%s) == %s) * 1.0)" % (printer.np("outer"), arange, rows, i,
                                                      arange, cols, j)
