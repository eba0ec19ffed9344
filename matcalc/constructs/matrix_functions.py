"""Matrix functions ``expm(X)``, ``logm(X)``, ``sqrtm(X)``: e^X, the principal logarithm and
the principal square root of a square matrix (Higham, Functions of Matrices).

    d f(X)   = L_f(X, dX)                     the Frechet derivative (``block_function``)
    f(X)^T   = f(X^T)
    tr L_f(X, E) = tr(f'(X) E)                so  grad tr f(X) = f'(X)^T:
    f' :  exp -> e^X,   log -> X^{-1},   sqrt -> X^{-1/2}/2

so grad tr e^X = (e^X)^T, grad tr log X = X^{-T} (= grad log det X), and grad log det e^X = I
(= grad tr X).  NumPy has none of the three: their values come from SciPy
(``scipy.linalg.expm/logm/sqrtm``), an optional dependency (``pip install
"sympy-matcalc[scipy]"``); without it, evaluating them raises an ImportError that says so.
logm and sqrtm need a spectrum off the closed negative real axis (their values are nan
where the principal branch is not real).
"""
from sympy import Rational

from ..algebra import transpose_of
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, CONDITION, DIFFERENTIAL, DRAW,
                        FUNCTIONS, LATEX, NUMPY, TEXT, TRANSPOSE, VALIDATE, construct)
from ..shapes import require_square
from .block_function import MATRIX_FUNCTIONS, frechet
from .inverse import inverse
from .spectral import OfMatrix, codegen_rule, draw_argument, numpy_rule, text_rule

__all__ = ["MatrixFunction", "MatrixExp", "MatrixLog", "MatrixSqrt", "expm", "logm", "sqrtm"]


class MatrixFunction(OfMatrix):
    """f(X) for a square X, a primary matrix function; subclasses name f (``function_name``,
    also its name in ``numeric.linalg`` and the backends)."""

    @classmethod
    def derivative(cls, A):
        """f'(A), the matrix function of the scalar derivative."""
        raise NotImplementedError


class MatrixExp(MatrixFunction):
    """e^X = sum_k X^k / k!."""
    function_name = "expm"

    @classmethod
    def derivative(cls, A):
        return MatrixExp(A)


class MatrixLog(MatrixFunction):
    """log X, the principal logarithm (e^{log X} = X, eigenvalues' imaginary parts in (-pi, pi))."""
    function_name = "logm"

    @classmethod
    def derivative(cls, A):
        return inverse(A)


class MatrixSqrt(MatrixFunction):
    """X^{1/2}, the principal square root (eigenvalues in the open right half-plane)."""
    function_name = "sqrtm"

    @classmethod
    def derivative(cls, A):
        return Rational(1, 2) * inverse(MatrixSqrt(A))


def expm(X):
    """e^X, the matrix exponential."""
    return MatrixExp(X)


def logm(X):
    """log X, the principal matrix logarithm."""
    return MatrixLog(X)


def sqrtm(X):
    """X^{1/2}, the principal matrix square root."""
    return MatrixSqrt(X)


for _cls in (MatrixExp, MatrixLog, MatrixSqrt):
    construct(_cls, "matrix")
    MATRIX_FUNCTIONS[_cls.function_name] = _cls


# == differential ==

@DIFFERENTIAL.register(MatrixFunction, "d f(X) = L_f(X, dX) (the Frechet derivative)",
                       note=r"$\mathrm{d}f(X) = L_f(X, \mathrm{d}X)$")
def d_matrix_function(F, d):
    """d f(X) = L_f(X, dX): the upper-right block of f([[X, dX], [0, X]])."""
    return frechet(F.function_name, F.arg, d(F.arg))


# == structure ==

VALIDATE.register(MatrixFunction)(require_square)


@TRANSPOSE.register(MatrixFunction)
def transpose_matrix_function(F):
    """f(X)^T = f(X^T) (f has real Taylor coefficients)."""
    return type(F)(transpose_of(F.arg))


# == printing ==

@LATEX.register(MatrixExp)
def latex_expm(F, printer):
    r"""``e^{X}``."""
    return "e^{%s}" % printer._print(F.arg)


@LATEX.register(MatrixLog)
def latex_logm(F, printer):
    r"""``\operatorname{logm}\left(X\right)`` (``\log`` prints the elementwise logarithm)."""
    return printer.operator("logm", F.arg)


@LATEX.register(MatrixSqrt)
def latex_sqrtm(F, printer):
    r"""``X^{1/2}``."""
    return printer.power(F.arg, "1/2")


ATOMIC_LATEX.register(MatrixLog)(lambda F: True)
ATOMIC_LATEX.register(MatrixExp)(lambda F: False)     # (e^{X})^{T}
ATOMIC_LATEX.register(MatrixSqrt)(lambda F: False)


TEXT.register(MatrixFunction)(text_rule())             # expm(X), logm(X), sqrtm(X)
ATOMIC_TEXT.register(MatrixFunction)(lambda F: True)   # a call


# == parsing ==

def _reader(cls):
    def read(call):
        return cls(call.square_matrix(0))
    read.__doc__ = f"{cls.function_name}(X): {cls.__doc__}"
    return read


for _cls in (MatrixExp, MatrixLog, MatrixSqrt):
    FUNCTIONS.define(_cls.function_name)(_reader(_cls))


# == numeric ==

NUMPY.register(MatrixFunction)(numpy_rule(          # SciPy's expm, logm, sqrtm
    "matcalc_matrix_function", lambda F: [F.function_name, F.arg]))


@CONDITION.register(MatrixLog)
@CONDITION.register(MatrixSqrt)
def condition_log_sqrt(F):
    """log X and X^{1/2} are as accurate as X's conditioning allows (near-singular X: not)."""
    return F.arg


DRAW.register(MatrixLog)(draw_argument)    # a positive real spectrum: the principal branch is real
DRAW.register(MatrixSqrt)(draw_argument)


# == codegen ==

@CODEGEN.register(MatrixFunction)
def codegen_matrix_function(F, emit, env):
    """f(X) -> ``B.expm(X)`` / ``B.logm(X)`` / ``B.sqrtm(X)`` (a backend without one refuses
    it by name)."""
    return codegen_rule(F.function_name)(F, emit, env)
