"""The inverse ``U^{-1}`` and integer matrix powers ``U^k``.

    d(U^{-1}) = -U^{-1} dU U^{-1}
    d(U^k)    = sum_{i=0}^{k-1} U^i dU U^{k-1-i}         (k > 0; k < 0 through U^{-1})
    d(M^p)    = p M^{p-1} dM                              (M 1x1: the scalar power)
    (U^{-1})^T = (U^T)^{-1}        (U^k)^T = (U^T)^k

``Inverse`` is a ``MatPow`` subclass in SymPy; both live here.
"""
from sympy import Identity, Inverse, MatAdd, MatMul, MatPow, S
from sympy.matrices.expressions.special import ZeroMatrix

from ..algebra import transpose_of
from ..errors import UnsupportedError
from ..registry import DIFFERENTIAL, TRANSPOSE, VALIDATE, construct
from ..shapes import require_square
from .scalars import scalar
from sympy.matrices.expressions.transpose import Transpose
from ..registry import FUNCTIONS, LATEX, TEXT

__all__ = ["inverse"]


def inverse(M):
    """M^{-1} (SymPy's ``Inverse``)."""
    return Inverse(M)


construct(Inverse, "matrix")
construct(MatPow, "matrix")


# == differential ==

@DIFFERENTIAL.register(Inverse, "d(U^{-1}) = -U^{-1} dU U^{-1}",
                       note=r"$\mathrm{d}(U^{-1}) = -U^{-1}\,\mathrm{d}U\,U^{-1}$")
def d_inverse(U, d):
    """d(U^{-1}) = -U^{-1} dU U^{-1}."""
    inv = Inverse(U.arg)
    return MatMul(S.NegativeOne, inv, d(U.arg), inv)


@DIFFERENTIAL.register(MatPow, "d(U^k) = sum_i U^i dU U^{k-1-i}",
                       note=r"$\mathrm{d}(U^{k}) = \sum_{i} U^{i}\,\mathrm{d}U\,U^{k-1-i}$")
def d_matpow(U, d):
    """d(U^k) = sum_i U^i dU U^{k-1-i}; negative k through U^{-1}; 1x1 U: k U^{k-1} dU."""
    base, k = U.args
    if d.depends(k):
        raise UnsupportedError(f"a matrix power with a variable exponent, {U}")
    if tuple(base.shape) == (1, 1) and not (k.is_integer and k.is_number):
        return MatMul(k * scalar(base) ** (k - 1), d(base))
    if not (k.is_integer and k.is_number):
        raise UnsupportedError(f"the matrix power {U} with a non-integer or symbolic exponent",
                               "only integer exponents of square matrices are supported")
    k = int(k)
    if k == 0:
        return ZeroMatrix(*U.shape)
    if k < 0:
        base, k = Inverse(base), -k
    db = d(base)
    terms = [MatMul(_power(base, i), db, _power(base, k - 1 - i)) for i in range(k)]
    return MatAdd(*terms)


def _power(base, i):
    if i == 0:
        return Identity(base.shape[0])
    return base if i == 1 else MatPow(base, i)


# == identification ==


# == simplification ==


# == structure ==

@TRANSPOSE.register(Inverse)
def transpose_inverse(M):
    """(U^{-1})^T = (U^T)^{-1}."""
    return Inverse(transpose_of(M.arg))


@TRANSPOSE.register(MatPow)
def transpose_power(M):
    """(U^k)^T = (U^T)^k."""
    return MatPow(transpose_of(M.base), M.exp)


VALIDATE.register(MatPow)(require_square)


# == printing ==

def _is_transposed_inverse(M):
    """(U^{-1})^T of a U that is not itself a transpose."""
    return isinstance(M.arg, MatPow) and M.arg.exp == -1 and not isinstance(M.arg.base, Transpose)


@LATEX.register(Transpose, when=_is_transposed_inverse)
def latex_inverse_transpose(M, printer):
    """(U^{-1})^T = ``U^{-T}``, as the Cookbook writes it."""
    return printer.power(M.arg.base, "-T")


@LATEX.register(MatPow)
def latex_matpow(M, printer):
    """``X^{k}``, ``X^{-1}``; ``X^{-T}`` for (X^T)^{-1}; ``X^{-2}`` for (X^{-1})^2."""
    base, e = M.base, M.exp
    if e == -1 and isinstance(base, Transpose):
        return printer.power(base.arg, "-T")
    if isinstance(base, MatPow) and base.exp == -1 and e.is_Integer and e > 0:
        return printer.power(base.base, "-%s" % printer._print(e))
    return printer.power(base, printer.exponent(e))


def _inverse_text(U, printer):
    """U^-1, or U^-T when U is a transpose."""
    if isinstance(U, Transpose):
        return printer.postfix_base(U.arg) + INVERSE_TRANSPOSE
    return printer.postfix_base(U) + "^-1"


@TEXT.register(Transpose, when=lambda M: type(M.arg) is Inverse)
def text_inverse_transpose(M, printer):
    """(U^{-1})^T is ``U^-T``."""
    return printer.postfix_base(M.arg.arg) + INVERSE_TRANSPOSE


@TEXT.register(Transpose, when=lambda M: type(M.arg) is MatPow)
def text_transposed_power(M, printer):
    """(U^k)^T is ``(U^k)'``."""
    return f"({printer._print(M.arg)})'"


@TEXT.register(Inverse)
def text_inverse(M, printer):
    """``X^-1``, ``(A*B)^-1``, ``X^-T``."""
    return _inverse_text(M.arg, printer)


@TEXT.register(MatPow)
def text_matpow(M, printer):
    """``X^2``, ``X'^2``, ``(A*B)^-2``."""
    base, e = M.args
    if e == -1:
        return _inverse_text(base, printer)
    if isinstance(base, Transpose) and printer.is_atomic(base.arg):
        base_text = printer._print(base)
    else:
        base_text = printer.postfix_base(base)
    return f"{base_text}^{printer._print(e)}"


# == parsing ==

#: the postfix spelling of the inverse transpose, ``X^-T`` (the parser reads it too)
INVERSE_TRANSPOSE = "^-T"


@FUNCTIONS.define("inv")
def read_inverse(call):
    """inv(M): the inverse of a square matrix."""
    return inverse(call.square_matrix(0))


def matrix_power(M, k):
    """M^k for a square M and an integer k: ``X^-1`` is ``Inverse(X)``, ``X^0`` is I."""
    return MatPow(M, k).doit(deep=False)


def inverse_transpose(M):
    """M^{-T} = (M^{-1})^T with the transpose pushed in: ``Inverse(M^T)``."""
    return transpose_of(inverse(M))


# == numeric ==


# == codegen ==
