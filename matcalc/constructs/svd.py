"""Singular values and vectors, the spectral norm and the nuclear norm.

X = U diag(sigma) V^T (thin, k = min(m, n) columns), sigma_1 >= sigma_2 >= ... (1-based, the
largest first, as every text and ``numpy.linalg.svd`` number them); v_i unit with its largest
entry positive and u_i = X v_i / sigma_i.  Where sigma_i is simple and positive
(Magnus & Neudecker ch. 8; Townsend 2016):

    d sigma_i = u_i^T dX v_i                                 grad sigma_i(X) = u_i v_i^T
    d u_i = (sigma_i^2 I - X X^T)^+ (dX X^T + X dX^T) u_i    (u_i: an eigenvector of X X^T)
    d v_i = (sigma_i^2 I - X^T X)^+ (dX^T X + X^T dX) v_i
    ||X||_2 = sigma_1(X)                                     grad ||X||_2 = u_1 v_1^T
    d ||X||_* = tr(V U^T dX)                                 grad ||X||_* = U V^T (full rank)

The matrices U(X), V(X) of all singular vectors appear only in the nuclear norm's gradient;
their own differential is not implemented (refused by name: a Hessian of the nuclear norm).
"""
from sympy import Expr, Identity, MatAdd, MatMul, Min, S, Transpose, ZeroMatrix
from sympy.core.symbol import Str

from ..algebra import adjacent_pair_rewritten, transpose_of
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, DIFFERENTIAL, DRAW, FUNCTIONS, LATEX,
                        NUMPY, REWRITE, TEXT, TRANSPOSE, construct)
from .matrix_functions import MatrixSqrt
from .pinv import pinv
from .scalars import scalar
from .norm import norm
from .spectral import (IndexedScalar, IndexedVector, OfMatrix, SpectralMatrix, SpectralScalar,
                       call_text, codegen_rule, draw_argument, index_argument, indexed_arguments,
                       kept_transposed, matrix_argument, numpy_rule, text_rule)
from .trace import trace

__all__ = ["SingularValue", "SingularVector", "SingularVectors", "NuclearNorm",
           "singular_value", "singular_vector", "singular_vectors", "spectral_norm",
           "nuclear_norm"]

SIDES = ("left", "right")


def _side(side):
    side = str(side)
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return Str(side)


class SingularValue(IndexedScalar):
    """sigma_i(X): the i-th largest singular value (1-based); sigma_1(X) = ||X||_2."""
    function_name = "singval"
    square = False


class SingularVector(IndexedVector):
    """u_i(X) (left, m x 1) or v_i(X) (right, n x 1), the singular vectors of sigma_i(X)."""
    square = False

    def __new__(cls, X, i, side):
        return IndexedVector.__new__(cls, X, i, _side(side))

    side = property(lambda self: self.args[2].name)
    function_name = property(lambda self: "singvec" if self.side == "right" else "lsingvec")

    @property
    def shape(self):
        return (self.arg.shape[0 if self.side == "left" else 1], S.One)


class SingularVectors(OfMatrix):
    """U(X) (m x k) or V(X) (n x k) of the thin SVD X = U diag(sigma) V^T, k = min(m, n)."""
    any_shape = True

    def __new__(cls, X, side):
        return SpectralMatrix.__new__(cls, matrix_argument(X, "singvecs()"), _side(side))

    side = property(lambda self: self.args[1].name)
    function_name = property(lambda self: "singvecs" if self.side == "right" else "lsingvecs")

    @property
    def shape(self):
        return (self.arg.shape[0 if self.side == "left" else 1], Min(*self.arg.shape))


class NuclearNorm(SpectralScalar):
    """||X||_* = sum_i sigma_i(X), the nuclear (trace) norm."""

    is_nonnegative = True
    function_name = "nuclear"

    def __new__(cls, X):
        return Expr.__new__(cls, matrix_argument(X, "nuclear()"))

    @property
    def arg(self):
        return self.args[0]


def singular_value(X, i):
    """sigma_i(X), the i-th largest singular value."""
    return SingularValue(X, i)


def singular_vector(X, i, side="right"):
    """v_i(X) (``side="right"``) or u_i(X) (``"left"``)."""
    return SingularVector(X, i, side)


def singular_vectors(X, side="right"):
    """V(X) or U(X) of the thin SVD."""
    return SingularVectors(X, side)


def spectral_norm(X):
    """||X||_2 = sigma_1(X)."""
    return SingularValue(X, 1)


def nuclear_norm(X):
    """||X||_* = sum_i sigma_i(X)."""
    return NuclearNorm(X)


construct(SingularValue, "scalar")
construct(SingularVector, "matrix")
construct(SingularVectors, "matrix", refuses={
    "differential": "the differential of the whole matrix of singular vectors U(X) or V(X) is "
                    "not implemented (it would give the Hessian of the nuclear norm); the "
                    "singular vectors one at a time, singvec(X, i), have one"})
construct(NuclearNorm, "scalar")


# == differential ==

@DIFFERENTIAL.register(SingularValue, "d sigma_i = u_i^T dX v_i",
                       note=r"$\mathrm{d}\sigma_i = u_i^{T}\mathrm{d}X\,v_i$")
def d_singular_value(s, d):
    """d sigma_i = u_i^T dX v_i (sigma_i simple and positive)."""
    X, i = s.args
    u, v = SingularVector(X, i, "left"), SingularVector(X, i, "right")
    return scalar(MatMul(transpose_of(u), d(X), v))


@DIFFERENTIAL.register(SingularVector, "d u_i = (sigma_i^2 I - X X^T)^+ d(X X^T) u_i "
                                       "(v_i: X^T X)",
                       note=r"$\mathrm{d}u_i = (\sigma_i^{2} I - XX^{T})^{+}\,\mathrm{d}(XX^{T})"
                            r"\,u_i$, alike $v_i$ with $X^{T}X$")
def d_singular_vector(w, d):
    """u_i is the unit eigenvector of X X^T for sigma_i^2 (v_i of X^T X):
    d u_i = (sigma_i^2 I - X X^T)^+ (dX X^T + X dX^T) u_i."""
    X, i = w.arg, w.index
    F = X if w.side == "left" else transpose_of(X)     # w is an eigenvector of F F^T
    if F.shape[0] == 1:          # a 1 x 1 singular vector is the constant 1
        return ZeroMatrix(1, 1)
    dF = d(X) if w.side == "left" else transpose_of(d(X))
    gram = MatMul(F, transpose_of(F))
    size = F.shape[0]
    shifted = MatAdd(MatMul(SingularValue(X, i) ** 2, Identity(size)), MatMul(S.NegativeOne, gram))
    d_gram = MatAdd(MatMul(dF, transpose_of(F)), MatMul(F, transpose_of(dF)))
    return MatMul(pinv(shifted), d_gram, w)


@DIFFERENTIAL.register(NuclearNorm, "d ||X||_* = tr(V U^T dX)",
                       note=r"$\mathrm{d}\|X\|_{*} = \operatorname{tr}(VU^{T}\mathrm{d}X)$")
def d_nuclear_norm(s, d):
    """d ||X||_* = tr(V U^T dX) (X of full rank)."""
    X = s.arg
    U, V = SingularVectors(X, "left"), SingularVectors(X, "right")
    return trace(MatMul(V, transpose_of(U), d(X)))


# == simplification ==

def _singular_pair(a, b):
    """X v_i = sigma_i u_i, X^T u_i = sigma_i v_i (and their transposes) for a and b adjacent
    in a product; else None."""
    polar = _polar_factor(a, b)
    if polar is not None:
        return polar
    for A, w, transposed in ((a, b, False), (transpose_of(b), transpose_of(a), True)):
        if isinstance(w, SingularVector):
            X, i = w.args[0], w.args[1]
            other = "left" if w.side == "right" else "right"
            if A == (X if w.side == "right" else transpose_of(X)):
                found = MatMul(SingularValue(X, i), SingularVector(X, i, other))
                return transpose_of(found) if transposed else found
    return None


def _polar_factor(a, b):
    """X (X^T X)^{-1/2} = U V^T = (X X^T)^{-1/2} X: X = U Sigma V^T, and the inverse square
    root exists only when X has full rank (then V or U is square)."""
    for X, R, gram in ((a, b, lambda X: MatMul(transpose_of(X), X)),
                       (b, a, lambda X: MatMul(X, transpose_of(X)))):
        if getattr(R, "is_Inverse", False) and isinstance(R.arg, MatrixSqrt) \
                and R.arg.arg == gram(X):
            return MatMul(SingularVectors(X, "left"), transpose_of(SingularVectors(X, "right")))
    return None


@REWRITE.register(MatMul)
def singular_vector_products(e):
    """X v_i(X) = sigma_i(X) u_i(X), u_i(X)^T X = sigma_i(X) v_i(X)^T (the SVD, column i),
    and the polar factor X (X^T X)^{-1/2} = U V^T."""
    return adjacent_pair_rewritten(e, _singular_pair)


# == structure ==

TRANSPOSE.register(SingularVector)(kept_transposed)
TRANSPOSE.register(SingularVectors)(kept_transposed)


# == printing ==

@LATEX.register(SingularValue)
def latex_singular_value(s, printer):
    r"""``\sigma_{i}\left(X\right)``; ``\left\|X\right\|_{2}`` for i = 1."""
    if s.index == 1:
        return r"\left\|%s\right\|_{2}" % printer._print(s.arg)
    return r"\sigma_{%s}\left(%s\right)" % (printer._print(s.index), printer._print(s.arg))


@LATEX.register(SingularVector)
def latex_singular_vector(M, printer):
    r"""``\mathbf{u}_{i}\left(X\right)``, ``\mathbf{v}_{i}\left(X\right)`` (bold: not the
    eigenvectors u_i, v_i)."""
    letter = "u" if M.side == "left" else "v"
    return r"\mathbf{%s}_{%s}\left(%s\right)" % (letter, printer._print(M.index),
                                                 printer._print(M.arg))


@LATEX.register(SingularVectors)
def latex_singular_vectors(M, printer):
    r"""``\mathbf{U}\left(X\right)``, ``\mathbf{V}\left(X\right)``."""
    letter = "U" if M.side == "left" else "V"
    return r"\mathbf{%s}\left(%s\right)" % (letter, printer._print(M.arg))


@LATEX.register(NuclearNorm)
def latex_nuclear_norm(s, printer):
    r"""``\left\|X\right\|_{*}``."""
    return r"\left\|%s\right\|_{*}" % printer._print(s.arg)


for _cls in (SingularVector, SingularVectors):
    ATOMIC_LATEX.register(_cls)(lambda M: True)
for _cls in (SingularValue, SingularVector, SingularVectors, NuclearNorm):
    ATOMIC_TEXT.register(_cls)(lambda M: True)     # calls


@TEXT.register(SingularValue)
def text_singular_value(s, printer):
    """``norm2(X)`` for sigma_1, ``singval(X, i)`` otherwise."""
    if s.index == 1:
        return call_text(printer, read_norm2.name, s.arg)
    return call_text(printer, s.function_name, s.arg, s.index)


TEXT.register(SingularVector)(text_rule(indexed_arguments))   # singvec(X, i), lsingvec(X, i)
TEXT.register(SingularVectors)(text_rule())                   # singvecs(X), lsingvecs(X)
TEXT.register(NuclearNorm)(text_rule())                       # nuclear(X)


# == parsing ==

@FUNCTIONS.define("singval", args=2)
def read_singval(call):
    """singval(X, i): the i-th largest singular value."""
    return singular_value(call.matrix(0), index_argument(call))


@FUNCTIONS.define("norm2")
def read_norm2(call):
    """norm2(E): the 2-norm -- of a vector the Euclidean norm ``norm(E)``, of a matrix the
    induced (spectral) norm, its largest singular value (matrixcalculus.org's meaning)."""
    E = call.matrix(0)
    if 1 in (E.shape[0], E.shape[1]):
        return norm(E)
    return spectral_norm(E)


@FUNCTIONS.define("singvec", args=2)
def read_singvec(call):
    """singvec(X, i): the right singular vector v_i."""
    return singular_vector(call.matrix(0), index_argument(call), "right")


@FUNCTIONS.define("lsingvec", args=2)
def read_lsingvec(call):
    """lsingvec(X, i): the left singular vector u_i = X v_i / sigma_i."""
    return singular_vector(call.matrix(0), index_argument(call), "left")


@FUNCTIONS.define("singvecs")
def read_singvecs(call):
    """singvecs(X): V of the thin SVD X = U diag(sigma) V'."""
    return singular_vectors(call.matrix(0), "right")


@FUNCTIONS.define("lsingvecs")
def read_lsingvecs(call):
    """lsingvecs(X): U of the thin SVD."""
    return singular_vectors(call.matrix(0), "left")


@FUNCTIONS.define("nuclear")
def read_nuclear(call):
    """nuclear(X): the nuclear norm, the sum of the singular values."""
    return nuclear_norm(call.matrix(0))


# == numeric ==

_WITH_SIDE = lambda e: [e.arg, e.index, e.side]
NUMPY.register(SingularValue)(numpy_rule("matcalc_singular_value", indexed_arguments))
NUMPY.register(SingularVector)(numpy_rule("matcalc_singular_vector", _WITH_SIDE))
NUMPY.register(SingularVectors)(numpy_rule("matcalc_singular_vectors",
                                           lambda e: [e.arg, e.side]))
NUMPY.register(NuclearNorm)(numpy_rule("matcalc_nuclear_norm"))
for _cls in (SingularValue, SingularVector, SingularVectors, NuclearNorm):
    DRAW.register(_cls)(draw_argument)      # separated singular values: simple, full rank


# == codegen ==

CODEGEN.register(SingularValue)(codegen_rule("singular_value", indexed_arguments))
CODEGEN.register(SingularVector)(codegen_rule("singular_vector", _WITH_SIDE))
CODEGEN.register(SingularVectors)(codegen_rule("singular_vectors", lambda e: [e.arg, e.side]))
CODEGEN.register(NuclearNorm)(codegen_rule("nuclear_norm"))
