"""The inverse ``U^{-1}`` and integer matrix powers ``U^k``.

    d(U^{-1}) = -U^{-1} dU U^{-1}
    d(U^k)    = sum_{i=0}^{k-1} U^i dU U^{k-1-i}         (k > 0; k < 0 through U^{-1})
    d(M^p)    = p M^{p-1} dM                              (M 1x1: the scalar power)
    (U^{-1})^T = (U^T)^{-1}        (U^k)^T = (U^T)^k

``Inverse`` is a ``MatPow`` subclass in SymPy; both live here.
"""
from sympy import Identity, Inverse, MatAdd, MatMul, MatPow, MatrixSymbol, S
from sympy.matrices.expressions.special import ZeroMatrix
from sympy.matrices.expressions.transpose import Transpose

from ..algebra import is_matrix, matmul, transpose_of
from ..codegen.plan import LINALG_CALL, Computed, StructuredFactor
from ..errors import UnsupportedError
from ..registry import (CODEGEN, CONDITION, DIFFERENTIAL, FUNCTIONS, INVERTED, LATEX, NUMPY,
                        ONE_BY_ONE, PRODUCT_FACTORS, REWRITE, STRUCTURED_FACTOR, TEXT, TRANSPOSE,
                        VALIDATE, construct)
from ..shapes import require_square
from .matrix_sum import PRODUCT_CLOSED_FORMS, matrix_sum, summation_index
from .scalars import scalar, scalar_value

__all__ = ["inverse"]

#: d(U^k) is written out term by term up to this exponent, as a sum over i beyond it
EXPANDED_POWER = 8


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
    """d(U^k) = sum_{i=0}^{k-1} U^i dU U^{k-1-i}; negative k through U^{-1}; 1x1 U:
    k U^{k-1} dU.  Up to ``EXPANDED_POWER`` the terms are written out; a larger or symbolic
    k gives the sum itself (constructs/matrix_sum.py), whose cost does not grow with k."""
    base, k = U.args
    if d.depends(k):
        raise UnsupportedError(f"a matrix power with a variable exponent, {U}")
    if tuple(base.shape) == (1, 1) and not (k.is_integer and k.is_number):
        return MatMul(k * scalar(base) ** (k - 1), d(base))
    if k.is_integer is not True:
        raise UnsupportedError(f"the matrix power {U} with a non-integer or symbolic exponent "
                               "not declared an integer",
                               "only integer exponents of square matrices are supported "
                               "(declare a symbolic exponent integer: symbols('p', integer=True, "
                               "positive=True))")
    if k.is_nonnegative is not True:
        if k.is_nonpositive is not True:
            raise UnsupportedError(f"the matrix power {U}: a symbolic exponent of unknown sign",
                                   f"declare {k} positive (symbols('{k}', integer=True, "
                                   "positive=True)) or negative")
        base, k = Inverse(base), -k
    if k == 0:
        return ZeroMatrix(*U.shape)
    db = d(base)
    if k.is_Integer and k <= EXPANDED_POWER:
        return MatAdd(*[MatMul(_power(base, i), db, _power(base, int(k) - 1 - i))
                        for i in range(int(k))])
    return power_sum(base, db, k)


def _power(base, i):
    if i == 0:
        return Identity(base.shape[0])
    return base if i == 1 else MatPow(base, i)


def power_sum(base, middle, k):
    """Σ_{i=0}^{k-1} U^i M U^{k-1-i}: d(U^k) with M = dU (k >= 0, symbolic or concrete)."""
    i = summation_index(base, middle, k)
    term = MatMul(integer_power(base, i), middle, integer_power(base, k - 1 - i))
    return matrix_sum(term, i, 0, k - 1)


def power_of(F):
    """(base, exponent) with F = base^exponent (U^{-1}: -1, (U^a)^b = U^{ab})."""
    if isinstance(F, Inverse):
        base, e = power_of(F.arg)
        return base, -e
    if isinstance(F, MatPow):
        base, e = power_of(F.base)
        return base, e * F.exp
    return F, S.One


def integer_power(base, e):
    """base^e: I for e = 0, base for e = 1, U^{-1} for e = -1."""
    if e == 0:
        return Identity(base.shape[0])
    if e == 1:
        return base
    if e == -1:
        return Inverse(base)
    return MatPow(base, e)


def merged_powers(mats):
    """U^{e_1} ... U^{e_r} = U^{e_1 + ... + e_r} when every factor is a power of one U
    (identities skipped), else None."""
    powers = [power_of(F) for F in mats if not isinstance(F, Identity)]
    if not powers or any(base != powers[0][0] for base, _ in powers):
        return None
    return integer_power(powers[0][0], sum((e for _, e in powers), S.Zero))


PRODUCT_CLOSED_FORMS.append(merged_powers)


# == identification ==


# == simplification ==


@REWRITE.register(MatPow)
def trivial_power(e):
    """U^0 = I, U^1 = U (a power sum written out)."""
    if isinstance(e, Inverse) or e.exp not in (0, 1):
        return e
    return integer_power(e.base, e.exp)


@REWRITE.register(Inverse)
def inverse_the_symbol_knows(e):
    """Q^{-1} = Q^T for a symbol whose own ``_eval_inverse`` knows its inverse (a declared
    orthogonal matrix; SymPy applies it when it builds ``Q**-1``, the parser builds Inverse)."""
    symbol, transposed = (e.arg.arg, True) if isinstance(e.arg, Transpose) else (e.arg, False)
    if isinstance(symbol, MatrixSymbol):
        own = symbol._eval_inverse()
        if not isinstance(own, Inverse):
            return transpose_of(own) if transposed else own
    return e


@REWRITE.register(Inverse)
def inverse_of_product(e):
    """(c A B)^{-1} = c^{-1} B^{-1} A^{-1} when every factor is square."""
    if isinstance(e.arg, MatMul):
        coeff, mats = e.arg.as_coeff_matrices()
        if all(m.shape[0] == m.shape[1] for m in mats) and (len(mats) > 1 or coeff != 1):
            return matmul(1 / coeff, *[Inverse(m) for m in reversed(mats)])
    return e


#: (A B)^{-k} is written out as k copies of B^{-1} A^{-1} up to this k
INVERSE_POWER_COPIES = 3


@REWRITE.register(MatPow)
def negative_power_of_product(e):
    """(c A B)^{-k} = (c^{-1} B^{-1} A^{-1})^k when every factor is square, written out for
    k <= 3: one spelling for (X A X^T)^{-1} and (X A X^T)^{-2}, as ``inverse_of_product``."""
    if isinstance(e, Inverse) or not isinstance(e.base, MatMul):
        return e
    k = -e.exp
    if not (k.is_Integer and 2 <= k <= INVERSE_POWER_COPIES):
        return e
    coeff, mats = e.base.as_coeff_matrices()
    if len(mats) > 1 and all(m.shape[0] == m.shape[1] for m in mats):
        once = [Inverse(m) for m in reversed(mats)]
        return matmul(coeff ** -k, *(once * int(k)))
    return e


@REWRITE.register(Inverse)
def inverse_of_power(e):
    """(A^k)^{-1} = A^{-k}, so that powers merge: A^{-3} A^2 = A^{-1}."""
    if isinstance(e.arg, MatPow) and e.arg.exp.is_integer:
        return MatPow(e.arg.base, -e.arg.exp)
    return e


@ONE_BY_ONE.register(Inverse)
def one_by_one_inverse(M):
    """A 1x1 M^{-1} is 1/m."""
    return 1 / scalar_value(M.arg)


@ONE_BY_ONE.register(MatPow)
def one_by_one_power(M):
    """A 1x1 M^p is m^p (any p: the scalar power)."""
    return scalar_value(M.base) ** M.exp

@INVERTED.register(Inverse)
def inverted(F):
    """N^{-1} inverts N."""
    return F.arg


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
    """``X^2``, ``X'^2``, ``(A*B)^-2``, ``X^(k - 1)``."""
    base, e = M.args
    if e == -1:
        return _inverse_text(base, printer)
    if isinstance(base, Transpose) and printer.is_atomic(base.arg):
        base_text = printer._print(base)
    else:
        base_text = printer.postfix_base(base)
    exponent = printer._print(e)
    if not (e.is_Atom or (e.is_Integer and e < 0)):   # X^(k - 1 - i), not X^k - 1 - i
        exponent = f"({exponent})"
    return f"{base_text}^{exponent}"


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

@NUMPY.register(Inverse)
def numpy_inverse(M, printer):
    """U^{-1} -> ``numpy.linalg.inv(U)``."""
    return "%s(%s)" % (printer.np("linalg.inv"), printer._print(M.arg))


@NUMPY.register(MatPow)
def numpy_power(M, printer):
    """U^k -> ``matrix_power(U, k)`` (k < 0: of ``inv(U)``); any other power only of a 1x1
    matrix, where it is the scalar power."""
    base, exp = M.args
    if exp.is_Integer:
        if exp.is_negative:
            return "%s(%s(%s), %s)" % (printer.np("linalg.matrix_power"), printer.np("linalg.inv"),
                                       printer._print(base), printer._print(-exp))
        return "%s(%s, %s)" % (printer.np("linalg.matrix_power"), printer._print(base),
                               printer._print(exp))
    if base.shape == (1, 1):
        return "%s(%s, %s)" % (printer.np("power"), printer._print(base),
                               printer.float_exponent(exp))
    if exp.is_integer:
        return "%s(%s, int(%s))" % (printer.np("linalg.matrix_power"), printer._print(base),
                                    printer._print(exp))
    raise NotImplementedError(
        f"NumPy code for the non-integer matrix power {M} of a "
        f"{base.shape[0]} x {base.shape[1]} matrix is not supported")


@CONDITION.register(Inverse)
def condition_inverse(M):
    """U^{-1} is evaluated to the accuracy U's condition number allows."""
    return M.arg


@CONDITION.register(MatPow)
def condition_power(M):
    """U^{-k} (k > 0, U not 1x1) inverts U."""
    if M.exp.is_negative and is_matrix(M.base) and tuple(M.base.shape) != (1, 1):
        return M.base
    return None


# == codegen ==

#: matrix powers up to this exponent are expanded into the product chain
MAX_CHAIN_POWER = 8


@STRUCTURED_FACTOR.register(Inverse)
class InverseFactor(StructuredFactor):
    """U^{-1} in a product: U^{-1} W = solve(U, W), W U^{-1} = solve(U^T, W^T)^T; the
    inverse is formed only when that is cheaper: when it is itself the value, when it was
    formed already, or when it occurs several times (``-X^{-T} V^T X^{-T}``: one inverse and
    two products instead of two factorisations)."""

    def __init__(self, M, emit):
        self.arg, self.shape, self.emitter = M.arg, emit.shape(M), emit

    def form(self, emit, env):
        A = emit.value(self.arg, env)
        if A in emit.transpose_source:   # (A^T)^{-1} = (A^{-1})^T: one inverse for both
            return emit.T(emit.emit(f"B.inv({emit.transpose_source[A]})"))
        return emit.emit(f"B.inv({A})")

    def apply_left(self, emit, W, env):
        return emit.emit(f"B.solve({emit.value(self.arg, env)}, {W})")

    def apply_right(self, emit, W, env):
        A = emit.value(self.arg, env)
        return emit.T(emit.emit(f"B.solve({emit.T(A)}, {emit.T(W)})"))

    def key(self):
        return ("inverse", self.arg)

    def form_cost(self):
        if self.formed():
            return 0
        return 2 * self.shape[0] ** 3 + LINALG_CALL

    def formed(self):
        """Was this inverse formed already (as the inverse of U or of U^T)?"""
        emit = self.emitter
        for U in (self.arg, transpose_of(self.arg)):
            A = emit.memo.get((U, ()))
            if A is not None and f"B.inv({emit.transpose_source.get(A, A)})" in emit.numbering:
                return True
        return False

    def apply_cost(self, columns, side="left", constant=False):
        n = self.shape[0]
        return 2 * n ** 3 / 3 + 2 * n * n * columns + LINALG_CALL


@CODEGEN.register(MatPow)
def codegen_power(M, emit, env):
    """U^k, k an integer: the product U U ... U (U^{-1}: a one-factor product, formed); a
    non-integer power of a 1x1 matrix: the scalar power."""
    base, k = M.args
    if k.is_Integer:
        return emit.chain([M], env)
    if emit.shape(base) == (1, 1):
        return emit.emit(f"{emit.value(base, env)} ** {emit.value(k, env)}")
    raise emit.unsupported(M)


@PRODUCT_FACTORS.register(MatPow, when=lambda M: M.exp.is_Integer and M.shape[0] == M.shape[1])
def factors_of_power(M, emit, env):
    """U^k = U U ... U and U^{-k} = U^{-1} ... U^{-1} in a product (k <= ``MAX_CHAIN_POWER``);
    a larger power is computed by ``B.matrix_power``."""
    k = int(M.exp)
    if k == 0:
        return []
    if abs(k) <= MAX_CHAIN_POWER:
        return emit.factors([M.base if k > 0 else Inverse(M.base)] * abs(k), env)
    return [Computed(emit.emit(f"B.matrix_power({emit.value(M.base, env)}, {k})"),
                     emit.shape(M))]
