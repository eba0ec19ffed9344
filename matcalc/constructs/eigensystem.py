"""The whole eigensystem: ``lambda(X)`` (the eigenvalues ascending, a column), ``V(X)`` (the unit
eigenvectors as columns) and the inverse gaps ``F(lambda)`` their differentials need.

For a square X with simple real eigenvalues, X V = V diag(lambda), unit columns
(Magnus & Neudecker ch. 8.8; Giles 2008, sec. 3.1):

    d lambda = diagvec(V^{-1} dX V)                  (a symmetric S: diagvec(V^T dS V))
    d V      = V (C - (V^T V C) ∘ I),  C = F(lambda) ∘ (V^{-1} dX V)   (S: V (F ∘ (V^T dS V)))
    F(l)_ij  = 1/(l_j - l_i) for i != j, 0 on the diagonal;   d F(l) = F ∘ F ∘ (dl 1^T - 1 dl^T)

so a spectral function sum_i f(lambda_i(S)) = 1^T f(lambda(S)) of a symmetric S has the
gradient V diag(f'(lambda)) V^T.  Simplification knows the spectral theorem,
V diag(f(lambda)) V^{-1} = f(X) for f(u) = c u, 1/u, u^k, e^u, log u, sqrt u (so the gradient of
sum_i exp(lambda_i(S)) reads e^S), and V^T V = V V^T = I for a symmetric X.
"""
from sympy import (Determinant, Dummy, Identity, Lambda, MatAdd, MatMul, OneMatrix, S,
                   Transpose, exp, log, sqrt)

from ..algebra import canonical_product, scaled, split_coeff, transpose_of
from ..errors import ShapeError
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, DIFFERENTIAL, DRAW, FUNCTIONS, LATEX,
                        NUMPY, REWRITE, TEXT, TRANSPOSE, VALIDATE, construct)
from ..shapes import require_square
from .diagonal import diagm, diagonal_entries, diagvec
from .hadamard import hadamard
from .inverse import inverse, matrix_power
from .matrix_functions import expm, logm, sqrtm
from .spectral import (OfMatrix, codegen_rule, draw_argument, is_symmetric_matrix,
                       kept_transposed, latex_rule, matrix_argument, numpy_rule, reader,
                       text_rule)

__all__ = ["Eigenvalues", "Eigenvectors", "GapMatrix", "eigenvalues", "eigenvectors",
           "gap_matrix"]


class Eigenvalues(OfMatrix):
    """lambda(X): the eigenvalues of the square X, ascending, as an n x 1 column."""
    function_name = "eig"

    @property
    def shape(self):
        return (self.arg.shape[0], S.One)


class Eigenvectors(OfMatrix):
    """V(X): the unit eigenvectors of X as columns, in the order of lambda(X)."""
    function_name = "eigvec"


class GapMatrix(OfMatrix):
    """F(l) for a column l: F_ij = 1/(l_j - l_i) off the diagonal, 0 on it."""
    function_name = "invgaps"
    any_shape = True

    def __new__(cls, v):
        v = matrix_argument(v, "invgaps()")
        if v.shape[1] != 1:
            raise ShapeError(f"invgaps() needs a column, got {v} of shape {v.shape[0]} x "
                             f"{v.shape[1]}")
        return OfMatrix.__new__(cls, v)

    @property
    def shape(self):
        return (self.arg.shape[0], self.arg.shape[0])


def eigenvalues(X):
    """eig(X): the eigenvalues of X ascending, as a column."""
    return Eigenvalues(X)


def eigenvectors(X):
    """eigvec(X): the unit eigenvectors of X as columns, in the order of eig(X)."""
    return Eigenvectors(X)


def gap_matrix(v):
    """invgaps(l): the matrix of 1/(l_j - l_i), zero on the diagonal (l a column)."""
    return GapMatrix(v)


construct(Eigenvalues, "matrix")
construct(Eigenvectors, "matrix")
construct(GapMatrix, "matrix")


def _projected(X, dX):
    """(V^{-1} dX V, symmetric?): dX in the eigenbasis (V^T for a symmetric X)."""
    V = Eigenvectors(X)
    symmetric = is_symmetric_matrix(X)
    left = transpose_of(V) if symmetric else inverse(V)
    return MatMul(left, dX, V), symmetric


# == differential ==

@DIFFERENTIAL.register(Eigenvalues, "d lambda = diagvec(V^{-1} dX V) (V^T dS V, S symmetric)",
                       note=r"$\mathrm{d}\lambda = \operatorname{diag}(V^{-1}\mathrm{d}X\,V)$")
def d_eigenvalues(e, d):
    """d lambda = diagvec(V^{-1} dX V); diagvec(V^T dS V) for a symmetric S."""
    projected, _ = _projected(e.arg, d(e.arg))
    return diagvec(projected)


@DIFFERENTIAL.register(Eigenvectors, "d V = V (C - (V^T V C) ∘ I), C = F ∘ (V^{-1} dX V)",
                       note=r"$\mathrm{d}V = V\,(C - (V^{T}VC)\circ I)$, $C = F \circ "
                            r"(V^{-1}\mathrm{d}X\,V)$")
def d_eigenvectors(e, d):
    """d V = V (C - (V^T V C) ∘ I) with C = F(lambda) ∘ (V^{-1} dX V) (unit columns); for a
    symmetric S, V^T V = I and C has a zero diagonal: d V = V (F ∘ (V^T dS V))."""
    X = e.arg
    projected, symmetric = _projected(X, d(X))
    C = hadamard(GapMatrix(Eigenvalues(X)), projected)
    if symmetric:
        return MatMul(e, C)
    normalised = hadamard(MatMul(transpose_of(e), e, C), Identity(X.shape[0]))
    return MatMul(e, MatAdd(C, MatMul(S.NegativeOne, normalised)))


@DIFFERENTIAL.register(GapMatrix, "d F(l) = F ∘ F ∘ (dl 1^T - 1 dl^T)",
                       note=r"$\mathrm{d}F(l) = F \circ F \circ (\mathrm{d}l\,\mathbf{1}^{T} - "
                            r"\mathbf{1}\,\mathrm{d}l^{T})$")
def d_gap_matrix(F, d):
    """d F_ij = -(dl_j - dl_i) / (l_j - l_i)^2:  d F = F ∘ F ∘ (dl 1^T - 1 dl^T)."""
    dl = d(F.arg)
    ones = OneMatrix(F.arg.shape[0], 1)
    spread = MatAdd(MatMul(dl, transpose_of(ones)), MatMul(S.NegativeOne, ones, transpose_of(dl)))
    return hadamard(F, F, spread)


# == simplification ==

def _spectral_value(D, X):
    """f(X) when D = diag(f(lambda(X))) for an f matcalc knows as a matrix function (c u,
    1/u, u^k, exp, log, sqrt) or D = diag(lambda)^{-1}; else None (the spectral theorem:
    V diag(f(lambda)) V^{-1} = f(X))."""
    lam = Eigenvalues(X)
    if D == inverse(diagm(lam)):
        return inverse(X)
    w = D.args[0] if len(D.args) == 1 else None
    if not (getattr(w, "is_Matrix", False) and w.shape[1] == 1 and D == diagm(w)):
        return None
    c, core = split_coeff(w)
    if core == lam:
        return scaled(c, X)
    function, argument = getattr(core, "function", None), getattr(core, "expr", None)
    if argument != lam or not isinstance(function, Lambda):
        return None
    t = Dummy("t")
    body = function(t)
    value = _MATRIX_VALUES.get(body.xreplace({t: _T}))
    if value is None and body.is_Pow and body.base == t and body.exp.is_Integer:
        value = matrix_power(X, body.exp)
    elif value is not None:
        value = value(X)
    return None if value is None else scaled(c, value)


_T = Dummy("t")
#: f(t) -> the matrix function f(X)
_MATRIX_VALUES = {1 / _T: inverse, exp(_T): expm, log(_T): logm, sqrt(_T): sqrtm}


def _decomposition_product(mats, k):
    """f(X) when mats[k:k+3] is V diag(f(lambda)) V^{-1} of X's eigensystem (V^T for
    V^{-1} when X is symmetric), f(X)^T when it is V^{-T} diag(f(lambda)) V^T; else None."""
    triple = mats[k:k + 3]
    for transposed in (False, True):
        E, D, W = triple if not transposed else [transpose_of(m) for m in reversed(triple)]
        if not isinstance(E, Eigenvectors):
            continue
        X = E.arg
        if W != inverse(E) and not (W == transpose_of(E) and is_symmetric_matrix(X)):
            continue
        value = _spectral_value(D, X)
        if value is not None:
            return transpose_of(value) if transposed else value
    return None


@REWRITE.register(MatMul)
def eigendecomposition_product(e):
    """V diag(f(lambda)) V^{-1} = f(X) (the spectral theorem) for f(u) = c u, 1/u, u^k, exp,
    log, sqrt, and V diag(lambda)^{-1} V^{-1} = X^{-1}; V^T for V^{-1} when X is symmetric."""
    coeff, mats = e.as_coeff_matrices()
    for k in range(len(mats) - 2):
        found = _decomposition_product(mats, k)
        if found is not None:
            return canonical_product(coeff, mats[:k] + [found] + mats[k + 3:])
    return e


@REWRITE.register(MatMul)
def orthonormal_eigenvectors(e):
    """V^T V = V V^T = I for the eigenvectors of a symmetric X."""
    coeff, mats = e.as_coeff_matrices()
    for k in range(len(mats) - 1):
        a, b = mats[k], mats[k + 1]
        for V in (a, b):
            if (isinstance(V, Eigenvectors) and is_symmetric_matrix(V.arg)
                    and {a, b} == {V, Transpose(V)}):
                return canonical_product(coeff, mats[:k] + [Identity(V.shape[0])] + mats[k + 2:])
    return e


@REWRITE.register(Determinant)
def determinant_is_product_of_eigenvalues(e):
    """det(diag(lambda(X))) = prod_i lambda_i(X) = det(X) (Cookbook eq. 67)."""
    v = diagonal_entries(e.arg)
    return Determinant(v.arg) if isinstance(v, Eigenvalues) else e


# == structure ==

VALIDATE.register(Eigenvalues)(require_square)
VALIDATE.register(Eigenvectors)(require_square)


TRANSPOSE.register(Eigenvalues)(kept_transposed)
TRANSPOSE.register(Eigenvectors)(kept_transposed)


@TRANSPOSE.register(GapMatrix)
def transpose_gap_matrix(M):
    """F(l)^T = -F(l): 1/(l_i - l_j) = -1/(l_j - l_i)."""
    return MatMul(S.NegativeOne, M)


# == printing ==

LATEX.register(Eigenvalues)(latex_rule(r"\lambda\left(%s\right)"))
LATEX.register(Eigenvectors)(latex_rule(r"V\left(%s\right)"))
LATEX.register(GapMatrix)(latex_rule(r"\mathcal{F}\left(%s\right)"))
for _cls in (Eigenvalues, Eigenvectors, GapMatrix):
    ATOMIC_LATEX.register(_cls)(lambda M: True)
    ATOMIC_TEXT.register(_cls)(lambda M: True)     # eig(X), eigvec(X), invgaps(l): calls
    TEXT.register(_cls)(text_rule())


# == parsing ==
# eig(X) and eigvec(X) are read by eigen.py (one function each, with an optional index)

FUNCTIONS.define("invgaps")(reader(gap_matrix, square=False))   # invgaps(l), l a column


# == numeric ==

NUMPY.register(Eigenvalues)(numpy_rule("matcalc_eigenvalues"))
NUMPY.register(Eigenvectors)(numpy_rule("matcalc_eigenvectors"))
NUMPY.register(GapMatrix)(numpy_rule("matcalc_gap_matrix"))
DRAW.register(Eigenvalues)(draw_argument)       # simple eigenvalues
DRAW.register(Eigenvectors)(draw_argument)


# == codegen ==

CODEGEN.register(Eigenvalues)(codegen_rule("eigenvalues"))
CODEGEN.register(Eigenvectors)(codegen_rule("eigenvectors"))
CODEGEN.register(GapMatrix)(codegen_rule("gap_matrix"))
