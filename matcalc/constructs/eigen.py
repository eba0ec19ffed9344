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
from sympy import Identity, MatAdd, MatMul, S, Transpose, ZeroMatrix

from ..algebra import canonical_product, transpose_of
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, DIFFERENTIAL, DRAW, FUNCTIONS, LATEX,
                        NUMPY, REWRITE, TEXT, TRANSPOSE, VALIDATE, construct)
from ..shapes import require_square
from ..simplify.rewrite import normalize
from .eigensystem import eigenvalues, eigenvectors
from .pinv import PseudoInverse, pinv
from .scalars import scalar
from .spectral import (IndexedScalar, IndexedVector, codegen_rule, draw_argument, index_argument,
                       indexed_arguments, is_symmetric_matrix, kept_transposed, numpy_rule,
                       text_rule)

__all__ = ["Eigenvalue", "Eigenvector", "LeftEigenvector", "eigenvalue", "eigenvector",
           "left_eigenvector"]


class Eigenvalue(IndexedScalar):
    """lambda_i(X): the i-th smallest eigenvalue of the square X (1-based)."""
    function_name = "eig"


class Eigenvector(IndexedVector):
    """v_i(X): the unit right eigenvector of lambda_i(X), its largest entry positive."""
    function_name = "eigvec"


class LeftEigenvector(IndexedVector):
    """u_i(X): the left eigenvector of lambda_i(X), u_i^T X = lambda_i u_i^T, u_i^T v_i = 1."""
    function_name = "lefteigvec"


def eigenvalue(X, i):
    """eig(X, i): the i-th smallest eigenvalue (i = n the largest)."""
    return Eigenvalue(X, i)


def eigenvector(X, i):
    """eigvec(X, i): the unit eigenvector of eig(X, i), its largest entry positive."""
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

for _cls in (Eigenvalue, Eigenvector, LeftEigenvector):
    VALIDATE.register(_cls)(require_square)
TRANSPOSE.register(Eigenvector)(kept_transposed)
TRANSPOSE.register(LeftEigenvector)(kept_transposed)


# == printing ==

def _subscripted(letter):
    def latex(M, printer):
        return r"%s_{%s}\left(%s\right)" % (letter, printer._print(M.index), printer._print(M.arg))
    latex.__doc__ = r"``%s_{i}\left(X\right)``." % letter
    return latex


LATEX.register(Eigenvalue)(_subscripted(r"\lambda"))
LATEX.register(Eigenvector)(_subscripted("v"))
LATEX.register(LeftEigenvector)(_subscripted("u"))
ATOMIC_LATEX.register(Eigenvector)(lambda M: True)
ATOMIC_LATEX.register(LeftEigenvector)(lambda M: True)
for _cls in (Eigenvalue, Eigenvector, LeftEigenvector):
    TEXT.register(_cls)(text_rule(indexed_arguments))   # eig(X, i), eigvec(X, i), ...
    ATOMIC_TEXT.register(_cls)(lambda e: True)                     # a call


# == parsing ==

def _reader(all_of, one_of):
    def read(call):
        X = call.square_matrix(0)
        return all_of(X) if len(call.args) == 1 else one_of(X, index_argument(call))
    read.__doc__ = f"{one_of.__doc__} With one argument: {all_of.__doc__}"
    return read


FUNCTIONS.define("eig", args=(1, 2))(_reader(eigenvalues, eigenvalue))
FUNCTIONS.define("eigvec", args=(1, 2))(_reader(eigenvectors, eigenvector))


@FUNCTIONS.define("lefteigvec", args=2)
def read_left_eigvec(call):
    """lefteigvec(X, i): the left eigenvector u_i of eig(X, i), u_i' * eigvec(X, i) = 1."""
    return left_eigenvector(call.square_matrix(0), index_argument(call))


# == numeric ==

NUMPY.register(Eigenvalue)(numpy_rule("matcalc_eigenvalue", indexed_arguments))
NUMPY.register(Eigenvector)(numpy_rule("matcalc_eigenvector", indexed_arguments))
NUMPY.register(LeftEigenvector)(numpy_rule("matcalc_left_eigenvector", indexed_arguments))  # V^{-1}'s row
for _cls in (Eigenvalue, Eigenvector, LeftEigenvector):
    DRAW.register(_cls)(draw_argument)     # lambda_i simple, its neighbours far


# == codegen ==

CODEGEN.register(Eigenvalue)(codegen_rule("eigenvalue", indexed_arguments))
CODEGEN.register(Eigenvector)(codegen_rule("eigenvector", indexed_arguments))
CODEGEN.register(LeftEigenvector)(codegen_rule("left_eigenvector", indexed_arguments))
