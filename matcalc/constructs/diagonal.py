"""Diagonal constructs: ``diag(v)`` (``DiagMatrix``), ``diagvec(M)`` (``DiagonalOf``) and
``M ∘ I`` (``DiagonalMatrix``).

    d diag(u) = diag(du)            d diagvec(U) = diagvec(dU)         d(U ∘ I) = dU ∘ I
    <G, diag(l)> = <diagvec(G), l>  <G, diagvec(L)> = <diag(G), L>     <G, L ∘ I> = <G ∘ I, L>
    vec(diag(l)) = diag(vec(I_n)) (1_n ⊗ I_n) l          vec(diagvec(L)) = (1_n^T ⊗ I_n) diag(vec(I_n)) vec(L)
    diag(v)^T = diag(v)             (M ∘ I)^T = M ∘ I
"""
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf

from ..registry import DIFFERENTIAL, TRANSPOSE, construct
from ..registry import CODEGEN, NUMPY, STRUCTURED_FACTOR
from ..codegen.plan import StructuredFactor, formed_alone

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


# == parsing ==


# == numeric ==

@NUMPY.register(DiagMatrix)
def numpy_diag(M, printer):
    """diag(v), v a column or a row -> ``numpy.diag(numpy.ravel(v))`` (n x n)."""
    return "%s(%s(%s))" % (printer.np("diag"), printer.np("ravel"), printer._print(M.args[0]))


@NUMPY.register(DiagonalOf)
def numpy_diagonal_of(M, printer):
    """diagvec(M), the diagonal of M as a column -> ``reshape(diagonal(M), (-1, 1))``."""
    return "%s(%s(%s), (-1, 1))" % (printer.np("reshape"), printer.np("diagonal"),
                                    printer._print(M.arg))


@NUMPY.register(DiagonalMatrix)
def numpy_diagonal_matrix(M, printer):
    """M ∘ I, M with its off-diagonal entries zeroed -> ``multiply(M, eye(r, c))``."""
    rows, cols = M.shape
    return "%s(%s, %s(%s, %s))" % (printer.np("multiply"), printer._print(M.arg),
                                   printer.np("eye"), printer._print(rows), printer._print(cols))


# == codegen ==

@STRUCTURED_FACTOR.register(DiagMatrix)
class DiagonalFactor(StructuredFactor):
    """diag(v) in a product: diag(v) W = v ∘ W (rows scaled), W diag(v) = W ∘ v^T (columns
    scaled); formed (``B.diag``) only when alone."""

    def __init__(self, M, emit):
        self.v, self.shape = M.args[0], emit.shape(M)

    def form(self, emit, env):
        return emit.emit(f"B.diag({emit.value(self.v, env)})")

    def apply_left(self, emit, W, env):
        return emit.emit(f"B.column({emit.value(self.v, env)}) * {W}")

    def apply_right(self, emit, W, env):
        return emit.emit(f"{W} * B.row({emit.value(self.v, env)})")


CODEGEN.register(DiagMatrix)(formed_alone)


@CODEGEN.register(DiagonalOf)
def codegen_diagonal_of(M, emit, env):
    """diagvec(M) -> ``B.diagonal(M)`` (a column)."""
    return emit.emit(f"B.diagonal({emit.value(M.arg, env)})")


@CODEGEN.register(DiagonalMatrix)
def codegen_diagonal_matrix(M, emit, env):
    """M ∘ I -> ``M * B.eye(n)``."""
    return emit.emit(f"{emit.value(M.arg, env)} * B.eye({emit.dim(M.shape[0])})")
