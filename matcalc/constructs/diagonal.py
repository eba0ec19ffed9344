"""Diagonal constructs: ``diag(v)`` (``DiagMatrix``), ``diagvec(M)`` (``DiagonalOf``) and
``M ∘ I`` (``DiagonalMatrix``).

    d diag(u) = diag(du)            d diagvec(U) = diagvec(dU)         d(U ∘ I) = dU ∘ I
    <G, diag(l)> = <diagvec(G), l>  <G, diagvec(L)> = <diag(G), L>     <G, L ∘ I> = <G ∘ I, L>
    vec(diag(l)) = diag(vec(I_n)) (1_n ⊗ I_n) l          vec(diagvec(L)) = (1_n^T ⊗ I_n) diag(vec(I_n)) vec(L)
    diag(v)^T = diag(v)             (M ∘ I)^T = M ∘ I
"""
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf

from ..registry import DIFFERENTIAL, TRANSPOSE, construct
from ..registry import ATOMIC_LATEX, ATOMIC_TEXT, FUNCTIONS, LATEX, TEXT, sympy_notation
from ..errors import ShapeError

__all__ = ["diagm", "diagvec"]


def diagm(v):
    """diag(v): the square matrix with the vector v on its diagonal."""
    return DiagMatrix(v)


def diagvec(M):
    """diagvec(M): the diagonal of the square matrix M as a column."""
    return DiagonalOf(M)


construct(DiagMatrix, "matrix", linear=True)
construct(DiagonalOf, "matrix", linear=True)
construct(DiagonalMatrix, "matrix", linear=True)


# == differential ==

@DIFFERENTIAL.register(DiagMatrix, "d diag(u) = diag(du)",
                       note=r"$\mathrm{d}\operatorname{diag}(u) = \operatorname{diag}(\mathrm{d}u)$")
def d_diag_matrix(U, d):
    """d diag(u) = diag(du)."""
    return DiagMatrix(d(U.args[0]))


@DIFFERENTIAL.register(DiagonalOf, "d diagvec(U) = diagvec(dU)",
                       note=r"$\mathrm{d}\operatorname{diag}(U) = \operatorname{diag}(\mathrm{d}U)$")
def d_diagonal_of(U, d):
    """d diagvec(U) = diagvec(dU)."""
    return DiagonalOf(d(U.args[0]))


@DIFFERENTIAL.register(DiagonalMatrix, "d(U ∘ I) = dU ∘ I",
                       note=r"$\mathrm{d}(U \circ I) = \mathrm{d}U \circ I$")
def d_diagonal_matrix(U, d):
    """d (U ∘ I) = dU ∘ I."""
    return DiagonalMatrix(d(U.args[0]))


# == identification ==


# == simplification ==


# == structure ==

@TRANSPOSE.register(DiagMatrix, when=lambda M: M.shape[0] == M.shape[1])
@TRANSPOSE.register(DiagonalMatrix, when=lambda M: M.shape[0] == M.shape[1])
def transpose_diagonal(M):
    """diag(v)^T = diag(v);  (M ∘ I)^T = M ∘ I."""
    return M


# == printing ==

@LATEX.register(DiagMatrix)
def latex_diag_matrix(M, printer):
    r"""``\operatorname{diag}\left(v\right)``."""
    return printer.operator("diag", M.args[0])


@LATEX.register(DiagonalOf)
def latex_diagonal_of(M, printer):
    r"""``\operatorname{diag}\left(M\right)`` too, as the Cookbook and MATLAB write it: the
    argument (vector or square matrix) tells which one is meant."""
    return printer.operator("diag", M.arg)


LATEX.register(DiagonalMatrix)(sympy_notation)   # M ∘ I as SymPy writes it


ATOMIC_LATEX.register(DiagMatrix)(lambda M: True)
ATOMIC_LATEX.register(DiagonalOf)(lambda M: True)


@TEXT.register(DiagMatrix)
def text_diag_matrix(M, printer):
    """``diagm(v)``."""
    return printer.call(read_diagm.name, M.args[0])


@TEXT.register(DiagonalOf)
def text_diagonal_of(M, printer):
    """``diag(M)``."""
    return printer.call(read_diag.name, M.args[0])


TEXT.register(DiagonalMatrix)(sympy_notation)   # SymPy's DiagonalMatrix(M): not in the language


ATOMIC_TEXT.register(DiagMatrix)(lambda M: True)   # diagm(v) is a call
ATOMIC_TEXT.register(DiagonalOf)(lambda M: True)   # diag(M) is a call


# == parsing ==

@FUNCTIONS.define("diag")
def read_diag(call):
    """diag(v) of a vector: the diagonal matrix; diag(M) of a square matrix: its diagonal."""
    v = call.matrix(0)
    rows, cols = v.shape
    if rows == 1 or cols == 1:
        return diagm(v)
    if rows == cols:
        return diagvec(v)
    raise ShapeError(f"diag() needs a vector or a square matrix, got {call.describe(0)}")


@FUNCTIONS.define("diagm")
def read_diagm(call):
    """diagm(v): the diagonal matrix of a vector."""
    v = call.matrix(0)
    if 1 not in v.shape:
        raise ShapeError(f"diagm() needs a vector, got {call.describe(0)}")
    return diagm(v)


@FUNCTIONS.define("diagonal")
def read_diagonal(call):
    """diagonal(M): the diagonal of a square matrix, as a column."""
    return diagvec(call.square_matrix(0))


# == numeric ==


# == codegen ==
