r"""The block form of a matrix function's derivatives: ``L_f(A_1, C_1, A_2, ..., A_k)``.

For a primary matrix function f (``expm``, ``logm``, ``sqrtm``) and the block upper
bidiagonal matrix T with diagonal blocks A_1 ... A_k and the blocks C_1 ... C_{k-1} above
them, ``L_f(A_1, C_1, ..., A_k)`` is the upper-right block of f(T).  With f = sum_m c_m x^m,

    L_f(A_1, C_1, A_2, ...) = sum_m c_m sum_{a_1 + ... + a_k = m - k + 1} A_1^{a_1} C_1 A_2^{a_2} ... A_k^{a_k}

(Higham, Functions of Matrices, thm 3.6 and sec. 3.2; Mathias 1996).  k = 2, A_1 = A_2 = X is
the Frechet derivative, d f(X) = L_f(X, dX) = the upper-right block of f([[X, dX], [0, X]]).
It is linear in each C_j, and (from the series, term by term):

    d L_f(.., A_j, ..) = L_f(.., A_j, dA_j, A_j, ..)            (a diagonal block: one more)
    <G, L_f(A_1, C_1, .., C_j, .., A_k)> = <L_f(A_j^T, C_{j-1}^T, .., A_1^T, G, A_k^T, .., A_{j+1}^T), C_j>
    vec L_f(.., C_j, ..) = L_f(I ⊗ A_1, I ⊗ C_1, .., I ⊗ A_j, I, A_k^T ⊗ I, .., A_{j+1}^T ⊗ I) vec(C_j)
    L_f(A_1, C_1, .., A_k)^T = L_f(A_k^T, C_{k-1}^T, .., A_1^T)
    L_f(A, C) = f'(A) C  when C commutes with A (a function of A: I, A^{-1}, e^A ...)

so grad tr(B^T e^X) = L_exp(X^T, B), the upper-right block of expm([[X^T, B], [0, X^T]]).
"""
from sympy import Identity, MatAdd, MatMul, S, ZeroMatrix
from sympy.core.symbol import Str

from ..algebra import scaled, split_coeff, transpose_of
from ..errors import ShapeError
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, COTANGENT, DIFFERENTIAL, FUNCTIONS,
                        LATEX, NUMPY, REWRITE, TEXT, TRANSPOSE, VALIDATE, VEC, construct)
from ..shapes import same_size
from .kronecker import kron
from .spectral import SpectralMatrix, codegen_rule, matrix_argument, numpy_rule

__all__ = ["BlockFunction", "frechet", "block_function", "MATRIX_FUNCTIONS"]

#: name ("expm", ...) -> its MatrixFunction class (filled by ``matrix_functions``)
MATRIX_FUNCTIONS = {}
_LATEX_NAMES = {"expm": r"\exp", "logm": r"\log", "sqrtm": r"\sqrt{\cdot}"}


class BlockFunction(SpectralMatrix):
    """L_f(A_1, C_1, A_2, ..., A_k): the upper-right block of f of the block bidiagonal
    matrix with diagonal A_1..A_k and superdiagonal C_1..C_{k-1} (args: name, A_1, C_1, ...)."""

    def __new__(cls, name, *blocks):
        name = str(name)
        if name not in _LATEX_NAMES:
            raise ValueError(f"unknown matrix function {name!r}; choose one of "
                             f"{', '.join(_LATEX_NAMES)}")
        blocks = [matrix_argument(b, f"d{name}()") for b in blocks]
        if len(blocks) < 3 or len(blocks) % 2 == 0:
            raise ShapeError(f"d{name}() takes the blocks A_1, C_1, A_2, ..., A_k (an odd "
                             f"number, at least 3), got {len(blocks)}")
        return SpectralMatrix.__new__(cls, Str(name), *blocks)

    name = property(lambda self: self.args[0].name)
    blocks = property(lambda self: list(self.args[1:]))
    diagonal = property(lambda self: list(self.args[1::2]))
    off_diagonal = property(lambda self: list(self.args[2::2]))

    @property
    def shape(self):
        return (self.args[1].shape[0], self.args[-1].shape[1])


def block_function(name, blocks):
    """L_f of the chain ``blocks`` = [A_1, C_1, A_2, ..., A_k]."""
    return BlockFunction(name, *blocks)


def frechet(name, A, E, B=None):
    """L_f(A, E) (the Frechet derivative of f at A in the direction E), or L_f(A, E, B)."""
    return BlockFunction(name, A, E, A if B is None else B)


construct(BlockFunction, "matrix", linear=True)


def _chain(diagonal, off):
    """[A_1, C_1, A_2, ..., A_k] from the diagonal and off-diagonal blocks."""
    out = [diagonal[0]]
    for C, A in zip(off, diagonal[1:]):
        out += [C, A]
    return out


# == differential ==

@DIFFERENTIAL.register(BlockFunction, "d L_f(.., A, ..) = L_f(.., A, dA, A, ..); L_f is linear "
                                      "in each C",
                       note=r"$\mathrm{d}L_f(\ldots, A, \ldots) = L_f(\ldots, A, \mathrm{d}A, A, "
                            r"\ldots)$, linear in each $C_j$")
def d_block_function(F, d):
    """A diagonal block A_j contributes L_f(.., A_j, dA_j, A_j, ..); an off-diagonal C_j,
    L_f(.., dC_j, ..)."""
    blocks, terms = F.blocks, []
    for p, block in enumerate(blocks):
        if not d.depends(block):
            continue
        if p % 2:   # an off-diagonal block
            new = blocks[:p] + [d(block)] + blocks[p + 1:]
        else:
            new = blocks[:p + 1] + [d(block), block] + blocks[p + 1:]
        terms.append(BlockFunction(F.name, *new))
    return MatAdd(*terms)


# == identification ==

def _linear_position(F, walk):
    """j: the one off-diagonal block C_j holding dX (a diagonal one is not linear)."""
    holding = [p for p, b in enumerate(F.blocks) if walk.has(b)]
    if len(holding) != 1 or holding[0] % 2 == 0:
        raise walk.nonlinear(F)
    return holding[0] // 2


@COTANGENT.register(BlockFunction)
def cotangent_block_function(L, G, walk):
    """<G, L_f(A_1, C_1, .., C_j, .., A_k)> = <L_f(A_j^T, C_{j-1}^T, .., A_1^T, G, A_k^T, ..,
    A_{j+1}^T), C_j>."""
    j = _linear_position(L, walk)
    A = [transpose_of(a) for a in L.diagonal]
    C = [transpose_of(c) for c in L.off_diagonal]
    diagonal = A[j::-1] + A[:j:-1]
    off = C[:j][::-1] + [G] + C[j + 1:][::-1]
    yield from walk(L.off_diagonal[j], BlockFunction(L.name, *_chain(diagonal, off)))


@VEC.register(BlockFunction)
def vec_block_function(L, walk):
    """vec L_f(.., C_j, ..) = L_f(I ⊗ A_1, I ⊗ C_1, .., I ⊗ A_j, I, A_k^T ⊗ I, ..,
    A_{j+1}^T ⊗ I) vec(C_j)  (vec(P C Q) = (I ⊗ P)(Q^T ⊗ I) vec(C), term by term)."""
    j = _linear_position(L, walk)
    A, C = L.diagonal, L.off_diagonal
    outer = Identity(L.shape[1])
    inner = Identity(C[j].shape[0])
    diagonal = ([kron(outer, a) for a in A[:j + 1]]
                + [kron(transpose_of(a), inner) for a in A[:j:-1]])
    off = ([kron(outer, c) for c in C[:j]] + [Identity(L.shape[1] * C[j].shape[0])]
           + [kron(transpose_of(c), inner) for c in C[j + 1:][::-1]])
    K = BlockFunction(L.name, *_chain(diagonal, off))
    for J in walk(C[j]):
        yield MatMul(K, J)


# == simplification ==

def _is_function_of(M, A):
    """Is M a function of A (so that it commutes with A): I, A, products, sums, integer
    powers and inverses of such, and matrix functions of them?"""
    if M == A or M.is_Identity:
        return True
    if isinstance(M, (MatMul, MatAdd)):
        return all(_is_function_of(a, A) for a in M.args if a.is_Matrix)
    if getattr(M, "is_Inverse", False):
        return _is_function_of(M.arg, A)
    if hasattr(M, "base") and hasattr(M, "exp") and M.exp.is_Integer:   # an integer power
        return _is_function_of(M.base, A)
    if isinstance(M, tuple(MATRIX_FUNCTIONS.values())):
        return _is_function_of(M.arg, A)
    return False


@REWRITE.register(BlockFunction)
def frechet_of_commuting(e):
    """L_f(A, C) = f'(A) C when C commutes with A (tr L_f(A, E) = tr(f'(A) E) with C = I)."""
    if len(e.blocks) == 3 and e.diagonal[0] == e.diagonal[1] \
            and _is_function_of(e.off_diagonal[0], e.diagonal[0]):
        A = e.diagonal[0]
        return MatMul(MATRIX_FUNCTIONS[e.name].derivative(A), e.off_diagonal[0])
    return e


@REWRITE.register(BlockFunction)
def block_function_multilinear(e):
    """L_f(.., c C_j, ..) = c L_f(.., C_j, ..); a zero C_j gives 0."""
    blocks, coeff = e.blocks, S.One
    for p in range(1, len(blocks), 2):
        if isinstance(blocks[p], ZeroMatrix):
            return ZeroMatrix(*e.shape)
        c, rest = split_coeff(blocks[p])
        if c != 1:
            coeff, blocks = coeff * c, blocks[:p] + [rest] + blocks[p + 1:]
    return scaled(coeff, BlockFunction(e.name, *blocks)) if coeff != 1 else e


# == structure ==

@VALIDATE.register(BlockFunction)
def validate_block_function(F):
    """Square diagonal blocks; C_j is rows(A_j) x cols(A_{j+1})."""
    A, C = F.diagonal, F.off_diagonal
    for a in A:
        if not same_size(*a.shape):
            raise ShapeError(f"the diagonal block {a} of {F.name}'s block form is not square")
    for j, c in enumerate(C):
        if not (same_size(c.shape[0], A[j].shape[0]) and same_size(c.shape[1], A[j + 1].shape[0])):
            raise ShapeError(f"the block {c} does not fit between {A[j]} and {A[j + 1]}")


@TRANSPOSE.register(BlockFunction)
def transpose_block_function(F):
    """L_f(A_1, C_1, .., A_k)^T = L_f(A_k^T, C_{k-1}^T, .., A_1^T)."""
    return BlockFunction(F.name, *[transpose_of(b) for b in reversed(F.blocks)])


# == printing ==

def _is_frechet(F):
    return len(F.blocks) == 3 and F.diagonal[0] == F.diagonal[1]


@LATEX.register(BlockFunction)
def latex_block_function(F, printer):
    r"""``L_{\exp}\left(X, E\right)`` (Higham's notation); a longer chain with all its blocks."""
    blocks = F.blocks[:2] if _is_frechet(F) else F.blocks
    return r"L_{%s}\left(%s\right)" % (_LATEX_NAMES[F.name],
                                       ", ".join(printer._print(b) for b in blocks))


ATOMIC_LATEX.register(BlockFunction)(lambda F: True)


@TEXT.register(BlockFunction)
def text_block_function(F, printer):
    """``dexpm(X, E)``, ``dexpm(A, C, B)``, ``dexpm(A_1, C_1, A_2, C_2, A_3)``."""
    blocks = F.blocks[:2] if _is_frechet(F) else F.blocks
    call = getattr(printer, "argument", printer._print)
    return "d%s(%s)" % (F.name, ", ".join(call(b) for b in blocks))


ATOMIC_TEXT.register(BlockFunction)(lambda F: True)   # a call


# == parsing ==

def _reader(name):
    def read(call):
        blocks = [call.matrix(i) for i in range(len(call.args))]
        if len(blocks) == 2:
            blocks.append(blocks[0])
        elif len(blocks) % 2 == 0:
            raise call.error(f"d{name}() takes A and E (the Frechet derivative L(A, E)) or the "
                             f"blocks A_1, C_1, A_2, ..., A_k (an odd number)")
        return BlockFunction(name, *blocks)
    read.__doc__ = (f"d{name}(A, E): the Frechet derivative of {name} at A in the direction E; "
                    f"d{name}(A_1, C_1, ..., A_k): the upper-right block of {name} of the block "
                    "bidiagonal matrix.")
    return read


for _name in _LATEX_NAMES:
    FUNCTIONS.define("d" + _name, args=(2, None))(_reader(_name))


# == numeric ==

_BLOCKS = lambda F: [F.name, F.diagonal, F.off_diagonal]
NUMPY.register(BlockFunction)(numpy_rule("matcalc_block_function", _BLOCKS))


# == codegen ==

CODEGEN.register(BlockFunction)(codegen_rule("block_function", _BLOCKS))
