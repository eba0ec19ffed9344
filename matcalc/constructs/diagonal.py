"""Diagonal constructs: ``diag(v)`` (``DiagMatrix``), ``diagvec(M)`` (``DiagonalOf``) and
``M ∘ I`` (``DiagonalMatrix``).

    d diag(u) = diag(du)            d diagvec(U) = diagvec(dU)         d(U ∘ I) = dU ∘ I
    <G, diag(l)> = <diagvec(G), l>  <G, diagvec(L)> = <diag(G), L>     <G, L ∘ I> = <G ∘ I, L>
    vec(diag(l)) = diag(vec(I_n)) (1_n ⊗ I_n) l          vec(diagvec(L)) = (1_n^T ⊗ I_n) diag(vec(I_n)) vec(L)
    diag(v)^T = diag(v)             (M ∘ I)^T = M ∘ I
"""
from sympy import Identity, MatAdd, MatMul, Transpose
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf
from sympy.matrices.expressions.special import OneMatrix

from ..algebra import flat_matmul, scaled, split_coeff, transpose_of
from ..codegen.plan import StructuredFactor, formed_alone
from ..errors import ShapeError
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, COTANGENT, DIFFERENTIAL, FUNCTIONS,
                        JACOBIAN_FACTOR, LATEX, NEGATE, NUMPY, PAIRS, REWRITE, STRUCTURED_FACTOR,
                        SUM_MERGES, TEXT, TRANSPOSE, VEC, construct, sympy_notation)
from ..simplify.rewrite import negated, tidied
from .hadamard import collect_hadamard, hadamard_collected
from .kronecker import kron
from .vec import Vec

__all__ = ["diagm", "diagvec", "diagonal_entries"]


def diagm(v):
    """diag(v): the square matrix with the vector v on its diagonal."""
    return DiagMatrix(v)


def diagonal_entries(M):
    """v when M is diag(v) for a column v, else None."""
    if isinstance(M, DiagMatrix) and M.args[0].shape[1] == 1:
        return M.args[0]
    return None


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

@COTANGENT.register(DiagMatrix)
def cotangent_diag(L, G, walk):
    """<G, diag(l)> = <diagvec(G), l>  (a row l: <diagvec(G)^T, l>)."""
    v = L.args[0]
    cot = DiagonalOf(G)
    yield from walk(v, cot if v.shape[1] == 1 else transpose_of(cot))


@COTANGENT.register(DiagonalOf)
def cotangent_diagonal_of(L, G, walk):
    """<g, diagvec(L)> = <diag(g), L>."""
    yield from walk(L.args[0], DiagMatrix(G))


@COTANGENT.register(DiagonalMatrix)
def cotangent_diagonal_part(L, G, walk):
    """<G, L ∘ I> = <G ∘ I, L>."""
    yield from walk(L.args[0], DiagonalMatrix(G))

@VEC.register(DiagonalMatrix)
def vec_diagonal_part(L, walk):
    """vec(L ∘ I) = diag(vec(I_n)) vec(L)."""
    n = L.shape[0]
    D = DiagMatrix(Vec(Identity(n)))
    for J in walk(L.args[0]):
        yield MatMul(D, J)


@VEC.register(DiagMatrix)
def vec_diag(L, walk):
    """vec(diag(l)) = diag(vec(I_n)) (1_n ⊗ I_n) l."""
    n = L.shape[0]
    S = MatMul(DiagMatrix(Vec(Identity(n))), kron(OneMatrix(n, 1), Identity(n)))
    for J in walk(L.args[0]):
        yield MatMul(S, J)


@VEC.register(DiagonalOf)
def vec_diagonal_of(L, walk):
    """vec(diagvec(L)) = (1_n^T ⊗ I_n) diag(vec(I_n)) vec(L)."""
    n = L.args[0].shape[0]
    S = MatMul(kron(transpose_of(OneMatrix(n, 1)), Identity(n)), DiagMatrix(Vec(Identity(n))))
    for J in walk(L.args[0]):
        yield MatMul(S, J)


# == simplification ==


@REWRITE.register(DiagonalOf)
def diagonal_ignores_transpose(e):
    """diagvec(M^T) = diagvec(M)."""
    if isinstance(e.args[0], Transpose):
        return DiagonalOf(e.args[0].arg)
    return e


@REWRITE.register(DiagonalOf)
def diagonal_of_identity(e):
    """diagvec(c I_n) = c 1_n."""
    c, M = split_coeff(e.args[0])
    return scaled(c, OneMatrix(M.shape[0], 1)) if M.is_Identity else e


@REWRITE.register(DiagonalOf)
def diagonal_of_diag(e):
    """diagvec(diag(v)) = v."""
    if isinstance(e.args[0], DiagMatrix) and e.args[0].args[0].shape[1] == 1:
        return e.args[0].args[0]
    return e


def _is_diagonal(M):
    """diag(v) (a column v), its inverse or integer powers, scaled: diagonal by construction."""
    coeff, mats = flat_matmul(M)
    if len(mats) != 1:
        return False
    D = mats[0]
    while getattr(D, "is_Inverse", False) or (hasattr(D, "base") and hasattr(D, "exp")
                                               and D.exp.is_Integer):
        D = D.arg if getattr(D, "is_Inverse", False) else D.base
    return isinstance(D, DiagMatrix) and D.args[0].shape[1] == 1


@REWRITE.register(DiagMatrix)
def diag_of_diagonal_of_diagonal(e):
    """diag(diagvec(D)) = D for a diagonal D (diag(v), its inverse and powers, scaled)."""
    v = e.args[0]
    if isinstance(v, DiagonalOf) and _is_diagonal(v.args[0]):
        return v.args[0]
    return e


@REWRITE.register(DiagMatrix)
def diag_of_ones(e):
    """diag(c 1_n) = c I_n."""
    c, v = split_coeff(e.args[0])
    if isinstance(v, OneMatrix) and 1 in (v.shape[0], v.shape[1]):
        return scaled(c, Identity(max(v.shape, key=lambda d: d != 1)))
    return e


@NEGATE.register(DiagMatrix)
def negate_diag(M):
    """-diag(u) = diag(-u) when u absorbs the sign."""
    inner = negated(M.args[0])
    return None if inner is None else DiagMatrix(inner)

@JACOBIAN_FACTOR.register(DiagMatrix)
def canonical_diag_factor(F, form):
    """diag(c u) = c diag(u), u's elementwise functions in lowest terms."""
    c, inner = split_coeff(tidied(F.args[0]))
    return c, DiagMatrix(inner)


@PAIRS.register(DiagMatrix, DiagMatrix)
def diag_product(P, Q, form):
    """diag(u) diag(v) = diag(u ∘ v)."""
    u, v = P.args[0], Q.args[0]
    if u.shape == v.shape and u.shape[1] == 1:
        c, uv = split_coeff(hadamard_collected(u, v))
        return c, [DiagMatrix(uv)]
    return None


@SUM_MERGES.register(MatAdd)
def merge_diagonal_terms(terms, form):
    """c diag(u) + d diag(v) = diag(c u + d v), the sum collected over common Hadamard factors."""
    diags, rest = [], []
    for a in terms:
        c, mats = flat_matmul(a)
        if len(mats) == 1 and isinstance(mats[0], DiagMatrix) and mats[0].args[0].shape[1] == 1:
            diags.append(scaled(c, mats[0].args[0]))
        else:
            rest.append(a)
    if len(diags) < 2:
        return terms
    c, inner = split_coeff(collect_hadamard(diags, form))
    return [scaled(c, DiagMatrix(inner))] + rest


# == structure ==

@TRANSPOSE.register(DiagMatrix, when=lambda M: M.shape[0] == M.shape[1])
@TRANSPOSE.register(DiagonalMatrix, when=lambda M: M.shape[0] == M.shape[1])
def transpose_diagonal(M):
    """diag(v)^T = diag(v);  (M ∘ I)^T = M ∘ I."""
    return M

@TRANSPOSE.register(DiagonalOf)
def transpose_diagonal_of(M):
    """diagvec(M)^T: the diagonal as a row, kept as written."""
    return Transpose(M)


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

    def fused(self, coeff, factors, emit, env):
        """c diag(v) alone: diag(c v), the scaling on the vector."""
        if len(factors) == 1 and coeff != 1:
            return emit.emit(f"B.diag({emit.scaled(coeff, emit.value(self.v, env), env)})")
        return None

    def congruence(self, coeff, M, emit, env):
        """c M^T diag(v) M = ``B.congruence(M, c v)``: a symmetric product (half the
        flops when c v >= 0, as (sqrt(c v) ∘ M)^T (sqrt(c v) ∘ M))."""
        d = emit.scaled(coeff, emit.value(self.v, env), env)
        return emit.emit(f"B.congruence({emit.value(M, env)}, {d})")


CODEGEN.register(DiagMatrix)(formed_alone)


@CODEGEN.register(DiagonalOf)
def codegen_diagonal_of(M, emit, env):
    """diagvec(M) -> ``B.diagonal(M)`` (a column)."""
    return emit.emit(f"B.diagonal({emit.value(M.arg, env)})")


@CODEGEN.register(DiagonalMatrix)
def codegen_diagonal_matrix(M, emit, env):
    """M ∘ I -> ``M * B.eye(n)``."""
    return emit.emit(f"{emit.value(M.arg, env)} * B.eye({emit.dim(M.shape[0])})")
