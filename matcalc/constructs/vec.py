r"""``vec(M)``: the columns of M stacked into one column (the Jacobian's coordinates).

    vec(u) = u (a column)      vec(w) = w^T (a row)      vec(u w) = w^T ⊗ u  (u a column, w a row)

``vec`` appears in Jacobians and Hessians, never inside a differential: it has no
differential rule of its own.
"""
from sympy import Basic, Integer, Mod, Transpose, ZeroMatrix, floor
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.immutable import ImmutableDenseMatrix
from sympy.matrices.matrixbase import MatrixBase

from ..algebra import flat_matmul, product, scaled, split_coeff, transpose_of
from ..registry import (ATOMIC_TEXT, CODEGEN, FUNCTIONS, JACOBIAN_FACTOR, LATEX, NUMPY, REWRITE,
                        STRUCTURAL_FACTORS, TEXT, TRANSPOSE, construct, numpycode_hook)

__all__ = ["Vec", "vec"]


class Vec(MatrixExpr):
    r"""``vec(M)``: the columns of M (r x s) stacked into an rs x 1 column.

    Entry ``i + j r`` of vec(M) is ``M[i, j]``.  Prints ``vec(M)`` and
    ``\operatorname{vec}\left(M\right)``; NumPy: ``reshape(M, (-1, 1), order='F')``.
    """

    def __new__(cls, M):
        M = _sympify(M)
        if not isinstance(M, (MatrixExpr, MatrixBase)):
            raise TypeError(f"vec() needs a matrix expression, got {M!r}")
        return Basic.__new__(cls, M)

    @property
    def arg(self):
        return self.args[0]

    @property
    def shape(self):
        rows, cols = self.arg.shape
        return (rows * cols, Integer(1))

    def _entry(self, i, j, **kwargs):
        rows = self.arg.shape[0]
        i = _sympify(i)
        if i.is_Integer and _sympify(rows).is_Integer:
            return self.arg[int(i) % int(rows), int(i) // int(rows)]
        return self.arg[Mod(i, rows), floor(i / rows)]

    def doit(self, **hints):
        arg = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if isinstance(arg, MatrixBase):
            rows, cols = arg.shape
            return ImmutableDenseMatrix([arg[i, j] for j in range(cols) for i in range(rows)])
        return vec(arg)

    def _sympystr(self, printer):   # str() and sympy.latex print the registered notation
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)


def vec(M):
    """vec(M), simplified: a column stays itself, a row becomes its transpose,
    ``vec(u w) = w^T ⊗ u`` for an outer product of a column u and a row w."""
    rows, cols = M.shape
    if isinstance(M, ZeroMatrix):
        return ZeroMatrix(rows * cols, 1)
    if cols == 1:
        return M
    if rows == 1:
        return transpose_of(M)
    outer = _outer_product(M)
    if outer is not None:
        from .kronecker import kron  # kronecker.py's rules use Vec: it imports this module
        coeff, u, w = outer
        return scaled(coeff, kron(transpose_of(w), u))
    return Vec(M)


def _outer_product(M):
    """(c, u, w) with M = c u w, u a column and w a row; None when M is not one."""
    coeff, mats = flat_matmul(M)
    for t in range(1, len(mats)):
        if mats[t - 1].shape[1] == 1:
            return coeff, product(mats[:t]), product(mats[t:])
    return None


construct(Vec, "matrix", refuses={
    "differential": "vec(U) appears in Jacobians only; differentiate U itself"})


# == identification ==


# == simplification ==


STRUCTURAL_FACTORS.add(Vec)


@JACOBIAN_FACTOR.register(Vec)
def canonical_vec(F, form):
    """vec(c M) = c vec(M), with M simplified (``vec`` of a column is itself ...)."""
    c, inner = split_coeff(form.simplified(F.arg))
    return c, vec(inner)


@REWRITE.register(Vec)
def vec_of_zero(e):
    """vec(0) = 0 (an argument simplified to zero after vec was taken)."""
    return ZeroMatrix(*e.shape) if isinstance(e.arg, ZeroMatrix) else e


# == structure ==


@TRANSPOSE.register(Vec)
def transpose_vec(M):
    """vec(M)^T: the row of the Jacobian's coordinates, kept as written."""
    return Transpose(M)


# == printing ==

@LATEX.register(Vec)
def latex_vec(V, printer):
    r"""``\operatorname{vec}\left(M\right)``."""
    return r"\operatorname{vec}\left(%s\right)" % printer._print(V.arg)


@TEXT.register(Vec)
def text_vec(V, printer):
    """``vec(M)``."""
    return "%s(%s)" % (read_vec.name, printer._print(V.arg))


ATOMIC_TEXT.register(Vec)(lambda V: True)   # vec(M) is a call


# == parsing ==

@FUNCTIONS.define("vec")
def read_vec(call):
    """vec(M): the columns of M stacked (a column stays itself, a row becomes a column)."""
    return vec(call.matrix(0))


# == numeric ==

@NUMPY.register(Vec)
def numpy_vec(M, printer):
    """vec(M) -> ``numpy.reshape(M, (-1, 1), order='F')`` (columns stacked)."""
    return "%s(%s, (-1, 1), order='F')" % (printer.np("reshape"), printer._print(M.arg))


Vec._numpycode = numpycode_hook  # SymPy's own NumPy printers (sympy.lambdify) call it


# == codegen ==

@CODEGEN.register(Vec)
def codegen_vec(M, emit, env):
    """vec(M) -> ``B.vec(M)`` (columns stacked)."""
    return emit.emit(f"B.vec({emit.value(M.arg, env)})")
