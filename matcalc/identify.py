"""Identify the gradient from a differential: df = tr(G^T dX)  =>  grad f = G.

Each term of df is brought to ``<G, dX> = tr(G^T dX)`` by moving everything
that surrounds dX onto the cotangent G, one construct at a time (the trace is
cyclic, ``tr(M^T) = tr(M)``, ``tr(A^T (B ∘ dX)) = tr((A ∘ B)^T dX)``):

    <G, A L B>        = <A^T G B^T, L>
    <G, L^T>          = <G^T, L>
    <G, c L>          = <c G, L>
    <G, A ∘ L>        = <A ∘ G, L>
    <G, diag(l)>      = <diagvec(G), l>
    <G, diagvec(L)>   = <diag(G), L>
    <G, L ∘ I>        = <G ∘ I, L>
    <C ⊗ D, A ⊗ L>    = tr(C^T A) <D, L>
    <G, s A>          = s tr(G^T A)        (s a scalar differential)

Anything else in a differential is a construct without a rule and raises
``UnsupportedError``.
"""
from sympy import Add, Identity, MatAdd, MatMul, Mul, S, Trace
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf
from sympy.matrices.expressions.hadamard import HadamardProduct
from sympy.matrices.expressions.kronecker import KroneckerProduct
from sympy.matrices.expressions.matexpr import MatrixElement
from sympy.matrices.expressions.special import ZeroMatrix
from sympy.matrices.expressions.transpose import Transpose

from .errors import UnsupportedError
from .algebra import transpose_of

__all__ = ["gradient_terms", "matrix_cotangent_terms"]


def gradient_terms(df, dX):
    """The gradient contributions G_i with df = sum_i tr(G_i^T dX), df scalar."""
    if df == 0:
        return []
    _CONTAINS.clear()
    return list(_scalar_terms(df, S.One, dX))


def matrix_cotangent_terms(L, G, dX):
    """Contributions G_i with <G, L> = sum_i <G_i, dX>, L matrix and linear in dX."""
    _CONTAINS.clear()
    return list(_matrix_terms(L, G, dX))


#: (node, dX) -> does the node contain dX; a pure function, memoised, cleared per call
_CONTAINS = {}


def _has(expr, dX):
    """``expr.has(dX)``, bottom-up and memoised: each distinct node is visited once
    (``Basic.has`` walks every subtree again, quadratic in the nesting depth)."""
    key = (expr, dX)
    hit = _CONTAINS.get(key)
    if hit is None:
        hit = _CONTAINS[key] = expr == dX or any(_has(a, dX) for a in expr.args)
    return hit


def _scalar_terms(s, coeff, dX):
    """Yield contributions of the scalar differential ``coeff * s``."""
    if isinstance(s, Add):
        for a in s.args:
            if _has(a, dX):
                yield from _scalar_terms(a, coeff, dX)
    elif isinstance(s, Mul):
        inner = [a for a in s.args if _has(a, dX)]
        if len(inner) != 1:
            raise UnsupportedError(f"a differential that is not linear in {dX}: {s}")
        outer = Mul(*[a for a in s.args if a is not inner[0]])
        yield from _scalar_terms(inner[0], coeff * outer, dX)
    elif isinstance(s, Trace):
        yield from _matrix_terms(s.arg, _scaled(coeff, Identity(s.arg.shape[0])), dX)
    elif isinstance(s, MatrixElement) and tuple(s.parent.shape) == (1, 1):
        yield from _matrix_terms(s.parent, _scaled(coeff, Identity(1)), dX)
    else:
        raise UnsupportedError(f"{type(s).__name__} in a differential ({s})")


def _scaled(coeff, M):
    return M if coeff == 1 else MatMul(coeff, M)


def _split_coeff(G):
    """(c, M) with G = c M and M free of scalar factors."""
    if isinstance(G, MatMul):
        coeff, mats = G.as_coeff_matrices()
        return coeff, MatMul(*mats) if len(mats) > 1 else mats[0]
    return S.One, G


def _matrix_terms(L, G, dX):
    """Yield contributions of <G, L> for a matrix differential L."""
    if L == dX:
        yield G
    elif isinstance(L, ZeroMatrix) or not _has(L, dX):
        return
    elif isinstance(L, MatAdd):
        for a in L.args:
            yield from _matrix_terms(a, G, dX)
    elif isinstance(L, Transpose):
        yield from _matrix_terms(L.arg, transpose_of(G), dX)
    elif isinstance(L, MatMul):
        yield from _matmul_terms(L, G, dX)
    elif isinstance(L, HadamardProduct):
        inner, others = _one_linear_factor(L, dX)
        yield from _matrix_terms(inner, HadamardProduct(*others, G), dX)
    elif isinstance(L, DiagMatrix):
        v = L.args[0]
        cot = DiagonalOf(G)
        yield from _matrix_terms(v, cot if v.shape[1] == 1 else transpose_of(cot), dX)
    elif isinstance(L, DiagonalOf):
        yield from _matrix_terms(L.args[0], DiagMatrix(G), dX)
    elif isinstance(L, DiagonalMatrix):
        yield from _matrix_terms(L.args[0], DiagonalMatrix(G), dX)
    elif isinstance(L, KroneckerProduct):
        yield from _kronecker_terms(L, G, dX)
    else:
        raise UnsupportedError(f"{type(L).__name__} in a differential ({L})")


def _one_linear_factor(L, dX):
    inner = [a for a in L.args if _has(a, dX)]
    if len(inner) != 1:
        raise UnsupportedError(f"a differential that is not linear in {dX}: {L}")
    return inner[0], [a for a in L.args if a is not inner[0]]


def _matmul_terms(L, G, dX):
    """<G, c A L B> = <c A^T G B^T, L>;  <G, s A> = s tr(G^T A) for scalar s."""
    coeff, mats = L.as_coeff_matrices()
    if _has(coeff, dX):
        if any(_has(m, dX) for m in mats):
            raise UnsupportedError(f"a differential that is not linear in {dX}: {L}")
        M = MatMul(*mats) if len(mats) > 1 else mats[0]
        yield from _scalar_terms(coeff, Trace(MatMul(transpose_of(G), M)), dX)
        return
    i = next(k for k, m in enumerate(mats) if _has(m, dX))
    left, right = mats[:i], mats[i + 1:]
    parts = [transpose_of(m) for m in reversed(left)] + [G] + [transpose_of(m) for m in reversed(right)]
    cot = MatMul(coeff, *parts) if coeff != 1 else MatMul(*parts)
    if len(parts) == 1 and coeff == 1:
        cot = G
    yield from _matrix_terms(mats[i], cot, dX)


def _kronecker_terms(L, G, dX):
    """<C ⊗ D, A ⊗ L> = tr(C^T A) <D, L>  (and mirrored), with I_{pq} = I_p ⊗ I_q."""
    if len(L.args) != 2:
        left, rest = L.args[0], KroneckerProduct(*L.args[1:])
        L = KroneckerProduct(left, rest)
    A, B = L.args
    coeff, M = _split_coeff(G)
    if isinstance(M, Identity):
        if A.shape[0] != A.shape[1] or B.shape[0] != B.shape[1]:
            raise UnsupportedError(f"the trace of the Kronecker product {L} of non-square factors",
                                   "tr(A ⊗ B) = tr A tr B needs square A and B")
        C, D = Identity(A.shape[0]), Identity(B.shape[0])
    elif isinstance(M, KroneckerProduct) and len(M.args) == 2 and M.args[0].shape == A.shape:
        C, D = M.args
    else:
        raise UnsupportedError(f"the Kronecker product {L} under a general cotangent",
                               "gradients through ⊗ need the cotangent in Kronecker form")
    if _has(A, dX) and _has(B, dX):
        raise UnsupportedError(f"a differential that is not linear in {dX}: {L}")
    if _has(B, dX):
        yield from _matrix_terms(B, MatMul(coeff * Trace(MatMul(transpose_of(C), A)), D), dX)
    else:
        yield from _matrix_terms(A, MatMul(coeff * Trace(MatMul(transpose_of(D), B)), C), dX)
