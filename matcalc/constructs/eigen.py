"""Eigenvalues and eigenvectors, one at a time: ``lambda_i(X)``, ``v_i(X)``, ``u_i(X)``.

For a square X with a simple real eigenvalue lambda_i (eigenvalues ascending, 1-based), unit
right eigenvector v_i (X v_i = lambda_i v_i, largest entry positive) and left eigenvector u_i
(u_i^T X = lambda_i u_i^T) normalised by u_i^T v_i = 1 (Magnus & Neudecker ch. 8.8-8.9):

    d lambda_i = u_i^T dX v_i                 (Cookbook eq. 68 for symmetric S: v_i^T dS v_i)
    d v_i      = (lambda_i I - X)^+ (dX - d lambda_i I) v_i   (eq. 69 for S: (lambda_i I - S)^+ dS v_i)
    u_i        = w_i / (w_i^T v_i),  w_i = v_i(X^T)           (its differential through this)

so grad lambda_i(X) = u_i v_i^T and, for a symmetric S, v_i v_i^T.  "Symmetric" is known by
construction (a declared symmetric/SPD symbol, A + A^T, B^T B); the general rules hold at
symmetric points too, where they reduce to the symmetric ones.  Every derivative needs
lambda_i simple: the oracle draws the symbols of a decomposition's argument with a
separated spectrum (``DRAW``).
"""
from sympy import Expr, Identity, MatAdd, MatMul, S, Transpose, ZeroMatrix

from ..algebra import canonical_product, transpose_of
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, DIFFERENTIAL, DRAW, FUNCTIONS, LATEX,
                        NUMPY, REWRITE, TEXT, TRANSPOSE, VALIDATE, construct)
from ..shapes import require_square
from ..simplify.rewrite import normalize
from .eigensystem import eigenvalues, eigenvectors
from .pinv import PseudoInverse, pinv
from .scalars import scalar
from .spectral import (call_text, SpectralMatrix, SpectralScalar, is_symmetric_matrix, runtime,
                       spectral_index, square_argument)

__all__ = ["Eigenvalue", "Eigenvector", "LeftEigenvector", "eigenvalue", "eigenvector",
           "left_eigenvector"]


class Eigenvalue(SpectralScalar):
    """lambda_i(X): the i-th smallest eigenvalue of the square X (1-based)."""

    def __new__(cls, X, i):
        X = square_argument(X, "eig()")
        return Expr.__new__(cls, X, spectral_index(i, X.shape[0], f"an eigenvalue of {X}"))

    @property
    def arg(self):
        return self.args[0]

    @property
    def index(self):
        return self.args[1]


class _IndexedVector(SpectralMatrix):
    """A vector of the spectrum of X, with X and its 1-based index as arguments."""

    def __new__(cls, X, i):
        X = square_argument(X, cls.function_name + "()")
        index = spectral_index(i, X.shape[0], f"an eigenvector of {X}")
        return SpectralMatrix.__new__(cls, X, index)

    @property
    def arg(self):
        return self.args[0]

    @property
    def index(self):
        return self.args[1]

    @property
    def shape(self):
        return (self.arg.shape[0], S.One)


class Eigenvector(_IndexedVector):
    """v_i(X): the unit right eigenvector of lambda_i(X), its largest entry positive."""
    function_name = "eigvec"


class LeftEigenvector(_IndexedVector):
    """u_i(X): the left eigenvector of lambda_i(X), u_i^T X = lambda_i u_i^T, u_i^T v_i = 1."""
    function_name = "lefteigvec"


def eigenvalue(X, i):
    """lambda_i(X), ascending (i = 1 the smallest, i = n the largest)."""
    return Eigenvalue(X, i)


def eigenvector(X, i):
    """v_i(X), the unit eigenvector of lambda_i(X)."""
    return Eigenvector(X, i)


def left_eigenvector(X, i):
    """u_i(X) with u_i^T v_i = 1 (v_i itself for a symmetric X)."""
    return LeftEigenvector(X, i)


construct(Eigenvalue, "scalar")
construct(Eigenvector, "matrix")
construct(LeftEigenvector, "matrix")


def _shifted(X, i):
    """lambda_i(X) I - X."""
    return MatAdd(MatMul(Eigenvalue(X, i), Identity(X.shape[0])), MatMul(S.NegativeOne, X))


# == differential ==

@DIFFERENTIAL.register(Eigenvalue, "d lambda_i = u_i^T dX v_i (v_i^T dS v_i, S symmetric)",
                       note=r"$\mathrm{d}\lambda_i = u_i^{T}\mathrm{d}X\,v_i$ ($v_i^{T}"
                            r"\mathrm{d}S\,v_i$ for a symmetric $S$)")
def d_eigenvalue(s, d):
    """d lambda_i = u_i^T dX v_i; for a symmetric S, v_i^T dS v_i (Cookbook eq. 68)."""
    X, i = s.args
    v = Eigenvector(X, i)
    u = v if is_symmetric_matrix(X) else LeftEigenvector(X, i)
    return scalar(MatMul(transpose_of(u), d(X), v))


@DIFFERENTIAL.register(Eigenvector, "d v_i = (lambda_i I - X)^+ (dX - d lambda_i I) v_i",
                       note=r"$\mathrm{d}v_i = (\lambda_i I - X)^{+}(\mathrm{d}X - "
                            r"\mathrm{d}\lambda_i I)\,v_i$")
def d_eigenvector(v, d):
    """d v_i = (lambda_i I - X)^+ (dX - d lambda_i I) v_i; for a symmetric S the second
    term vanishes ((lambda_i I - S)^+ v_i = 0): (lambda_i I - S)^+ dS v_i (Cookbook eq. 69)."""
    X, i = v.args
    if X.shape[0] == 1:          # the eigenvector of a 1 x 1 matrix is the constant 1
        return ZeroMatrix(1, 1)
    R = pinv(_shifted(X, i))
    first = MatMul(R, d(X), v)
    if is_symmetric_matrix(X):
        return first
    return MatAdd(first, MatMul(S.NegativeOne, d(Eigenvalue(X, i)), R, v))


@DIFFERENTIAL.register(LeftEigenvector, "d u_i = d(w_i / (w_i^T v_i)), w_i = v_i(X^T)",
                       note=r"$u_i = w_i / (w_i^{T} v_i)$, $w_i = v_i(X^{T})$")
def d_left_eigenvector(u, d):
    """u_i = w_i / (w_i^T v_i) with w_i = v_i(X^T): its differential by the quotient rule."""
    X, i = u.args
    w = Eigenvector(transpose_of(X), i)
    return d(MatMul(1 / scalar(MatMul(transpose_of(w), Eigenvector(X, i))), w))


# == simplification ==

@REWRITE.register(LeftEigenvector)
def left_eigenvector_of_symmetric(e):
    """u_i(S) = v_i(S) for a symmetric S (then v_i^T v_i = 1)."""
    return Eigenvector(*e.args) if is_symmetric_matrix(e.arg) else e


@REWRITE.register(MatMul)
def unit_eigenvectors(e):
    """v_i^T v_i = 1: the eigenvectors have unit length."""
    coeff, mats = e.as_coeff_matrices()
    for k in range(len(mats) - 1):
        v = mats[k + 1]
        if isinstance(v, Eigenvector) and mats[k] == Transpose(v):
            rest = mats[:k] + mats[k + 2:]
            return canonical_product(coeff, rest or [Identity(1)])
    return e


def _annihilates(P, v, X):
    """Is P = (lambda_i I - S)^+ for v = v_i(S), S symmetric (so P v = 0, v^T P = 0)?"""
    return (isinstance(P, PseudoInverse) and isinstance(v, Eigenvector) and v.arg == X
            and is_symmetric_matrix(X) and normalize(P.arg) == normalize(_shifted(*v.args)))


@REWRITE.register(MatMul)
def pinv_kills_eigenvector(e):
    """(lambda_i I - S)^+ v_i = 0 and v_i^T (lambda_i I - S)^+ = 0 for a symmetric S: v_i spans
    the null space of lambda_i I - S, which the pseudo-inverse maps to zero."""
    coeff, mats = e.as_coeff_matrices()
    for k in range(len(mats) - 1):
        a, b = mats[k], mats[k + 1]
        v = b if isinstance(b, Eigenvector) else transpose_of(a)
        P = a if v is b else b
        if isinstance(v, Eigenvector) and _annihilates(P, v, v.arg):
            return ZeroMatrix(mats[0].shape[0], mats[-1].shape[1])
    return e


# == structure ==

VALIDATE.register(Eigenvalue)(require_square)
VALIDATE.register(_IndexedVector)(require_square)


@TRANSPOSE.register(_IndexedVector)
def transpose_eigenvector(M):
    """v_i^T: kept as written."""
    return Transpose(M)


# == printing ==

def _subscripted(printer, letter, M):
    return r"%s_{%s}\left(%s\right)" % (letter, printer._print(M.index), printer._print(M.arg))


@LATEX.register(Eigenvalue)
def latex_eigenvalue(s, printer):
    r"""``\lambda_{i}\left(X\right)``."""
    return _subscripted(printer, r"\lambda", s)


@LATEX.register(Eigenvector)
def latex_eigenvector(M, printer):
    r"""``v_{i}\left(X\right)``."""
    return _subscripted(printer, "v", M)


@LATEX.register(LeftEigenvector)
def latex_left_eigenvector(M, printer):
    r"""``u_{i}\left(X\right)``."""
    return _subscripted(printer, "u", M)


ATOMIC_LATEX.register(_IndexedVector)(lambda M: True)


@TEXT.register(Eigenvalue)
def text_eigenvalue(s, printer):
    """``eig(X, i)``."""
    return call_text(printer, read_eig.name, s.arg, s.index)


@TEXT.register(_IndexedVector)
def text_eigenvector(M, printer):
    """``eigvec(X, i)``, ``lefteigvec(X, i)``."""
    return call_text(printer, M.function_name, M.arg, M.index)


ATOMIC_TEXT.register(Eigenvalue)(lambda s: True)      # eig(X, i) is a call
ATOMIC_TEXT.register(_IndexedVector)(lambda M: True)


# == parsing ==

@FUNCTIONS.define("eig", args=(1, 2))
def read_eig(call):
    """eig(X): the eigenvalues of X ascending (a column); eig(X, i): the i-th smallest."""
    X = call.square_matrix(0)
    if len(call.args) == 1:
        return eigenvalues(X)
    return eigenvalue(X, _index_argument(call))


@FUNCTIONS.define("eigvec", args=(1, 2))
def read_eigvec(call):
    """eigvec(X, i): the unit eigenvector of eig(X, i); eigvec(X): all of them as columns."""
    X = call.square_matrix(0)
    if len(call.args) == 1:
        return eigenvectors(X)
    return eigenvector(X, _index_argument(call))


@FUNCTIONS.define("lefteigvec", args=2)
def read_left_eigvec(call):
    """lefteigvec(X, i): the left eigenvector u_i of eig(X, i), u_i' * eigvec(X, i) = 1."""
    return left_eigenvector(call.square_matrix(0), _index_argument(call))


def _index_argument(call):
    if call.shape(1) is not None:
        raise call.error(f"{call.name}() takes an index (an integer or a dimension) as its "
                         f"second argument, got the matrix \"{call.snippet(1)}\" (a name is "
                         "a dimension only when a declared shape uses it, e.g. X: \"n,n\")")
    i = call.expr(1)
    if not i.is_integer:
        raise call.error(f"{call.name}(): the index \"{call.snippet(1)}\" is not an integer "
                         "or a dimension")
    return i


# == numeric ==

@NUMPY.register(Eigenvalue)
def numpy_eigenvalue(s, printer):
    """lambda_i(X) -> ``matcalc_eigenvalue(X, i)``."""
    return "%s(%s, %s)" % (runtime(printer, "matcalc_eigenvalue"), printer._print(s.arg),
                           printer._print(s.index))


@NUMPY.register(Eigenvector)
def numpy_eigenvector(M, printer):
    """v_i(X) -> ``matcalc_eigenvector(X, i)``."""
    return "%s(%s, %s)" % (runtime(printer, "matcalc_eigenvector"), printer._print(M.arg),
                           printer._print(M.index))


@NUMPY.register(LeftEigenvector)
def numpy_left_eigenvector(M, printer):
    """u_i(X) -> ``matcalc_left_eigenvector(X, i)``: row i of V^{-1}."""
    return "%s(%s, %s)" % (runtime(printer, "matcalc_left_eigenvector"), printer._print(M.arg),
                           printer._print(M.index))


@DRAW.register(Eigenvalue)
@DRAW.register(_IndexedVector)
def draw_eigen(e):
    """X's symbols get a separated spectrum: lambda_i simple, its neighbours far."""
    return [e.arg]


# == codegen ==

@CODEGEN.register(Eigenvalue)
def codegen_eigenvalue(s, emit, env):
    """lambda_i(X) -> ``B.eigenvalue(X, i)``."""
    return emit.emit(f"B.eigenvalue({emit.value(s.arg, env)}, {emit.dim(s.index)})")


@CODEGEN.register(Eigenvector)
def codegen_eigenvector(M, emit, env):
    """v_i(X) -> ``B.eigenvector(X, i)``."""
    return emit.emit(f"B.eigenvector({emit.value(M.arg, env)}, {emit.dim(M.index)})")


@CODEGEN.register(LeftEigenvector)
def codegen_left_eigenvector(M, emit, env):
    """u_i(X) -> ``B.left_eigenvector(X, i)``."""
    return emit.emit(f"B.left_eigenvector({emit.value(M.arg, env)}, {emit.dim(M.index)})")
