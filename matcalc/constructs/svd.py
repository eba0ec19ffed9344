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

from ..algebra import transpose_of
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, DIFFERENTIAL, DRAW, FUNCTIONS, LATEX,
                        NUMPY, TEXT, TRANSPOSE, construct)
from .pinv import pinv
from .scalars import scalar
from .spectral import (SpectralMatrix, SpectralScalar, call_text, matrix_argument, runtime,
                       spectral_index)
from .trace import trace

__all__ = ["SingularValue", "SingularVector", "SingularVectors", "NuclearNorm",
           "singular_value", "singular_vector", "singular_vectors", "spectral_norm",
           "nuclear_norm"]

SIDES = ("left", "right")


def _rank(X):
    """k = min(m, n): the number of singular values."""
    return Min(*X.shape)


def _side(side):
    side = str(side)
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return Str(side)


class SingularValue(SpectralScalar):
    """sigma_i(X): the i-th largest singular value (1-based); sigma_1(X) = ||X||_2."""

    def __new__(cls, X, i):
        X = matrix_argument(X, "singval()")
        return Expr.__new__(cls, X, spectral_index(i, _rank(X), f"a singular value of {X}"))

    @property
    def arg(self):
        return self.args[0]

    @property
    def index(self):
        return self.args[1]


class SingularVector(SpectralMatrix):
    """u_i(X) (left, m x 1) or v_i(X) (right, n x 1), the singular vectors of sigma_i(X)."""

    def __new__(cls, X, i, side):
        X = matrix_argument(X, "singvec()")
        index = spectral_index(i, _rank(X), f"a singular vector of {X}")
        return SpectralMatrix.__new__(cls, X, index, _side(side))

    arg = property(lambda self: self.args[0])
    index = property(lambda self: self.args[1])
    side = property(lambda self: self.args[2].name)

    @property
    def shape(self):
        return (self.arg.shape[0 if self.side == "left" else 1], S.One)


class SingularVectors(SpectralMatrix):
    """U(X) (m x k) or V(X) (n x k) of the thin SVD X = U diag(sigma) V^T."""

    def __new__(cls, X, side):
        return SpectralMatrix.__new__(cls, matrix_argument(X, "singvecs()"), _side(side))

    arg = property(lambda self: self.args[0])
    side = property(lambda self: self.args[1].name)

    @property
    def shape(self):
        return (self.arg.shape[0 if self.side == "left" else 1], _rank(self.arg))


class NuclearNorm(SpectralScalar):
    """||X||_* = sum_i sigma_i(X), the nuclear (trace) norm."""

    is_nonnegative = True

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


# == structure ==

@TRANSPOSE.register(SingularVector)
@TRANSPOSE.register(SingularVectors)
def transpose_singular(M):
    """u_i^T, U^T: kept as written."""
    return Transpose(M)


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
    return call_text(printer, read_singval.name, s.arg, s.index)


@TEXT.register(SingularVector)
def text_singular_vector(M, printer):
    """``singvec(X, i)`` (right), ``lsingvec(X, i)`` (left)."""
    name = read_singvec.name if M.side == "right" else read_lsingvec.name
    return call_text(printer, name, M.arg, M.index)


@TEXT.register(SingularVectors)
def text_singular_vectors(M, printer):
    """``singvecs(X)`` (V), ``lsingvecs(X)`` (U)."""
    name = read_singvecs.name if M.side == "right" else read_lsingvecs.name
    return call_text(printer, name, M.arg)


@TEXT.register(NuclearNorm)
def text_nuclear_norm(s, printer):
    """``nuclear(X)``."""
    return call_text(printer, read_nuclear.name, s.arg)


# == parsing ==

def _index(call):
    i = call.expr(1)
    if call.shape(1) is not None or not i.is_integer:
        raise call.error(f"{call.name}() takes an index (an integer or a dimension) as its "
                         f"second argument, got \"{call.snippet(1)}\"")
    return i


@FUNCTIONS.define("singval", args=2)
def read_singval(call):
    """singval(X, i): the i-th largest singular value."""
    return singular_value(call.matrix(0), _index(call))


@FUNCTIONS.define("norm2")
def read_norm2(call):
    """norm2(X): the spectral norm, the largest singular value."""
    return spectral_norm(call.matrix(0))


@FUNCTIONS.define("singvec", args=2)
def read_singvec(call):
    """singvec(X, i): the right singular vector v_i."""
    return singular_vector(call.matrix(0), _index(call), "right")


@FUNCTIONS.define("lsingvec", args=2)
def read_lsingvec(call):
    """lsingvec(X, i): the left singular vector u_i = X v_i / sigma_i."""
    return singular_vector(call.matrix(0), _index(call), "left")


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

@NUMPY.register(SingularValue)
def numpy_singular_value(s, printer):
    """sigma_i(X) -> ``matcalc_singular_value(X, i)``."""
    return "%s(%s, %s)" % (runtime(printer, "matcalc_singular_value"), printer._print(s.arg),
                           printer._print(s.index))


@NUMPY.register(SingularVector)
def numpy_singular_vector(M, printer):
    """u_i(X), v_i(X) -> ``matcalc_singular_vector(X, i, side)``."""
    return "%s(%s, %s, %r)" % (runtime(printer, "matcalc_singular_vector"),
                               printer._print(M.arg), printer._print(M.index), M.side)


@NUMPY.register(SingularVectors)
def numpy_singular_vectors(M, printer):
    """U(X), V(X) -> ``matcalc_singular_vectors(X, side)``."""
    return "%s(%s, %r)" % (runtime(printer, "matcalc_singular_vectors"), printer._print(M.arg),
                           M.side)


@NUMPY.register(NuclearNorm)
def numpy_nuclear_norm(s, printer):
    """||X||_* -> ``matcalc_nuclear_norm(X)``."""
    return "%s(%s)" % (runtime(printer, "matcalc_nuclear_norm"), printer._print(s.arg))


@DRAW.register(SingularValue)
@DRAW.register(SingularVector)
@DRAW.register(SingularVectors)
@DRAW.register(NuclearNorm)
def draw_svd(e):
    """X's symbols get well-separated singular values (simple, positive: full rank)."""
    return [e.arg]


# == codegen ==

@CODEGEN.register(SingularValue)
def codegen_singular_value(s, emit, env):
    """sigma_i(X) -> ``B.singular_value(X, i)``."""
    return emit.emit(f"B.singular_value({emit.value(s.arg, env)}, {emit.dim(s.index)})")


@CODEGEN.register(SingularVector)
def codegen_singular_vector(M, emit, env):
    """u_i(X), v_i(X) -> ``B.singular_vector(X, i, side)``."""
    return emit.emit(f"B.singular_vector({emit.value(M.arg, env)}, {emit.dim(M.index)}, "
                     f"{M.side!r})")


@CODEGEN.register(SingularVectors)
def codegen_singular_vectors(M, emit, env):
    """U(X), V(X) -> ``B.singular_vectors(X, side)``."""
    return emit.emit(f"B.singular_vectors({emit.value(M.arg, env)}, {M.side!r})")


@CODEGEN.register(NuclearNorm)
def codegen_nuclear_norm(s, emit, env):
    """||X||_* -> ``B.nuclear_norm(X)``."""
    return emit.emit(f"B.nuclear_norm({emit.value(s.arg, env)})")
