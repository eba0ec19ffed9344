"""The Cholesky factor ``L = chol(S)`` and ``Phi(M)``, the lower triangle with half the diagonal.

chol(S) is the lower factor of the symmetric part of S, L L^T = (S + S^T)/2, L_ii > 0 (so it
is defined, and smooth, for every S near an SPD matrix: NumPy reads only the lower triangle,
JAX and PyTorch symmetrize alike).  From L L^T = S (Murray 2016, eq. 8; Giles 2008, sec. 3.4):

    d L      = L Phi(L^{-1} sym(dS) L^{-T}),   sym(dS) = (dS + dS^T)/2
    Phi(M)   = tril(M, -1) + diag(M)/2          (linear and self-adjoint:  <G, Phi(M)> = <Phi(G), M>)
    vec(Phi(M)) = diag(vec(Phi(1 1^T))) vec(M)

so a gradient through L is  S_bar = sym(L^{-T} Phi(L^T L_bar) L^{-1})  (Murray's eq. 10).
In the text language Phi is ``cholphi(M)`` (``Phi`` is a common variable name).
Simplification knows that chol(S) is lower triangular: Phi of an upper triangular product
(L^T D, D diagonal) is its diagonal halved.
"""
from sympy import Identity, MatAdd, MatMul, OneMatrix, Rational, S, Transpose
from sympy.matrices.expressions.diagonal import DiagonalMatrix

from ..algebra import adjacent_pair_rewritten, flat_matmul, scaled, split_coeff, transpose_of
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, CONDITION, COTANGENT, DIFFERENTIAL,
                        FUNCTIONS, LATEX, NUMPY, REWRITE, TEXT, TRANSPOSE, VALIDATE, VEC,
                        construct)
from ..shapes import require_square
from .diagonal import diagm
from .hadamard import hadamard
from .inverse import inverse
from .spectral import (OfMatrix, codegen_rule, kept_transposed, latex_rule, numpy_rule, reader,
                       text_rule)
from .vec import vec

__all__ = ["Cholesky", "Phi", "cholesky", "phi"]


class Cholesky(OfMatrix):
    """chol(S): the lower triangular L with L L^T = (S + S^T)/2 and a positive diagonal."""
    function_name = "chol"


class Phi(OfMatrix):
    """Phi(M): the strictly lower triangle of the square M plus half its diagonal."""
    function_name = "cholphi"


def cholesky(S_):
    """chol(S): the lower Cholesky factor L of (S + S')/2, L L' = (S + S')/2."""
    return Cholesky(S_)


def phi(M):
    """cholphi(M): Phi(M) = tril(M, -1) + diag(M)/2, the lower triangle with half the diagonal
    (Murray 2016)."""
    return Phi(M)


construct(Cholesky, "matrix")
construct(Phi, "matrix", linear=True)


def _symmetric_part(M):
    """(M + M^T)/2, or M when it is symmetric by construction."""
    Mt = transpose_of(M)
    if Mt == M:
        return M
    return MatMul(Rational(1, 2), MatAdd(M, Mt))


# == differential ==

@DIFFERENTIAL.register(Cholesky, "d L = L Phi(L^{-1} sym(dS) L^{-T})",
                       note=r"$\mathrm{d}L = L\,\Phi(L^{-1}\operatorname{sym}(\mathrm{d}S)"
                            r"\,L^{-T})$")
def d_cholesky(L, d):
    """d L = L Phi(L^{-1} sym(dS) L^{-T}), sym(dS) = (dS + dS^T)/2 (Murray 2016, eq. 8)."""
    Linv = inverse(L)
    return MatMul(L, Phi(MatMul(Linv, _symmetric_part(d(L.arg)), transpose_of(Linv))))


@DIFFERENTIAL.register(Phi, "linearity: d Phi(M) = Phi(dM)",
                       note=r"$\mathrm{d}\,\Phi(M) = \Phi(\mathrm{d}M)$")
def d_phi(P, d):
    """d Phi(M) = Phi(dM)."""
    return Phi(d(P.arg))


# == identification ==

@COTANGENT.register(Phi)
def cotangent_phi(L, G, walk):
    """<G, Phi(L)> = <Phi(G), L>: Phi masks entries, so it is its own adjoint."""
    yield from walk(L.arg, Phi(G))


@VEC.register(Phi)
def vec_phi(L, walk):
    """vec(Phi(L)) = diag(vec(Phi(1 1^T))) vec(L)."""
    n = L.shape[0]
    mask = diagm(vec(Phi(OneMatrix(n, n))))
    for J in walk(L.arg):
        yield MatMul(mask, J)


# == simplification ==

def _is_triangular(M, lower):
    """Is M lower (upper) triangular by construction: chol(S), its transpose, inverses and
    products of such factors, diagonal matrices?"""
    if isinstance(M, Cholesky):
        return lower
    if isinstance(M, Transpose):
        return _is_triangular(M.arg, not lower)
    if getattr(M, "is_Inverse", False):
        return _is_triangular(M.arg, lower)
    if M.is_Identity or _is_diagonal(M):
        return True
    if isinstance(M, MatMul):
        return all(_is_triangular(F, lower) for F in flat_matmul(M)[1])
    return False


def _is_diagonal(M):
    """M ∘ I (a Hadamard product with I) or diag(v), by construction."""
    if isinstance(M, DiagonalMatrix):
        return True
    args = M.args
    if not args or not all(getattr(a, "is_Matrix", False) for a in args):
        return False
    if len(args) == 1:
        return 1 in args[0].shape and M == diagm(args[0])
    return any(a.is_Identity for a in args) and M == hadamard(*args)


@REWRITE.register(Phi)
def phi_of_scaled(e):
    """Phi(c M) = c Phi(M)."""
    c, M = split_coeff(e.arg)
    return scaled(c, Phi(M)) if c != 1 else e


@REWRITE.register(Phi)
def phi_of_triangular(e):
    """Phi(M) = (M ∘ I)/2 for an upper triangular M; M - (M ∘ I)/2 for a lower one."""
    M = e.arg
    if _is_triangular(M, lower=False):
        return MatMul(Rational(1, 2), _diagonal_part(M))
    if _is_triangular(M, lower=True):
        return MatAdd(M, MatMul(Rational(-1, 2), _diagonal_part(M)))
    return e


def _diagonal_part(M):
    """M ∘ I."""
    return hadamard(M, Identity(M.shape[0]))


def _factor_pair(a, b):
    """The product a b for L = chol(S): L L^T = sym(S), L^{-T} L^{-1} = sym(S)^{-1}, and
    for a symmetric S (S = L L^T) L^T S^{-1} = L^{-1}, S^{-1} L = L^{-T}; else None."""
    if isinstance(a, Cholesky) and b == transpose_of(a):
        return _symmetric_part(a.arg)
    if getattr(b, "is_Inverse", False) and isinstance(b.arg, Cholesky) and a == transpose_of(b):
        return inverse(_symmetric_part(b.arg.arg))
    if getattr(b, "is_Inverse", False) and isinstance(a, Transpose) \
            and isinstance(a.arg, Cholesky) and a.arg.arg == b.arg == transpose_of(b.arg):
        return inverse(a.arg)
    if getattr(a, "is_Inverse", False) and isinstance(b, Cholesky) \
            and b.arg == a.arg == transpose_of(a.arg):
        return transpose_of(inverse(b))
    return None


@REWRITE.register(MatMul)
def cholesky_product(e):
    """L L^T = (S + S^T)/2, L^{-T} L^{-1} = ((S + S^T)/2)^{-1}, and for a symmetric S
    L^T S^{-1} = L^{-1}, S^{-1} L = L^{-T}, for L = chol(S)."""
    return adjacent_pair_rewritten(e, _factor_pair)


def _phi_of(term):
    """(c, M, transposed) for a term c Phi(M) or c Phi(M)^T, else None."""
    c, mats = split_coeff(term) if isinstance(term, MatMul) else (S.One, term)
    if isinstance(mats, Phi):
        return c, mats.arg, False
    if isinstance(mats, Transpose) and isinstance(mats.arg, Phi):
        return c, mats.arg.arg, True
    return None


@REWRITE.register(MatAdd)
def phi_halves(e):
    """c Phi(M) + c Phi(M^T)^T = c M: the lower triangle with half the diagonal and the
    upper one with the other half (for a symmetric M: Phi(M) + Phi(M)^T = M)."""
    terms = list(e.args)
    for i, t in enumerate(terms):
        left = _phi_of(t)
        if left is None or left[2]:
            continue
        c, M, _ = left
        for j, u in enumerate(terms):
            right = _phi_of(u)
            if j != i and right is not None and right[2] and right[0] == c \
                    and right[1] == transpose_of(M):
                rest = [x for k, x in enumerate(terms) if k not in (i, j)]
                return MatAdd(scaled(c, M), *rest) if rest else scaled(c, M)
    return e


# == structure ==

VALIDATE.register(Cholesky)(require_square)


TRANSPOSE.register(Cholesky)(kept_transposed)     # L^T, Phi(M)^T: upper triangular
TRANSPOSE.register(Phi)(kept_transposed)


# == printing ==

@LATEX.register(Cholesky)
def latex_cholesky(M, printer):
    r"""``\operatorname{chol}\left(S\right)``."""
    return printer.operator("chol", M.arg)


LATEX.register(Phi)(latex_rule(r"\Phi\left(%s\right)"))


for _cls in (Cholesky, Phi):
    ATOMIC_LATEX.register(_cls)(lambda M: True)
    ATOMIC_TEXT.register(_cls)(lambda M: True)    # chol(S), cholphi(M): calls
    TEXT.register(_cls)(text_rule())


# == parsing ==

FUNCTIONS.define("chol")(reader(cholesky))
FUNCTIONS.define("cholphi")(reader(phi))


# == numeric ==

NUMPY.register(Cholesky)(numpy_rule("matcalc_cholesky"))   # of (S + S^T)/2; nan off the SPD cone
NUMPY.register(Phi)(numpy_rule("matcalc_phi"))


@CONDITION.register(Cholesky)
def condition_cholesky(M):
    """chol(S) is as accurate as S's condition number allows."""
    return M.arg


# == codegen ==

CODEGEN.register(Cholesky)(codegen_rule("cholesky"))
CODEGEN.register(Phi)(codegen_rule("phi"))
