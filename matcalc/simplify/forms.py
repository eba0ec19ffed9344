"""The two forms a result is brought to.

``simplify_result``: the Cookbook form a reader sees -- local rewrites (``normalize``),
then the sum of monomials with common factors pulled out (``factor_terms``).

``canonical_form``: the expanded, transpose-normal sum of monomials (no factoring), on
which ``equal_forms`` decides symbolic equality.
"""
from sympy import Add, Identity, MatAdd, MatMul
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix

from ..algebra import matadd
from .hadamard_form import canonical_elementwise, elementwise_forms
from .inverse_substitution import substitute_inverses
from .monomials import vanishes, expand_terms, expression_size, factor_terms, monomial
from .rewrite import canonical_rewrite, normalize

__all__ = ["simplify_result", "canonical_form", "equal_forms"]


def simplify_result(expr, max_terms=64):
    """The compact Cookbook form of a matrix result."""
    if not isinstance(expr, MatrixExpr):
        return normalize(expr)
    expr = normalize(elementwise_forms(normalize(expr)))
    terms = expand_terms(expr, max_terms)
    if terms is None:
        return expr
    factored = factor_terms(substitute_inverses(terms), expr.shape)
    # factoring brings the terms of an elementwise sum together: X^T a + X^T b = X^T (a + b)
    again = elementwise_forms(factored)
    return factored if again is factored else _shorter(factored, normalize(again))


def _shorter(a, b):
    return b if expression_size(b) < expression_size(a) else a


def canonical_form(expr, max_terms=4096):
    """Expanded, transpose-normal sum of monomials (for deciding symbolic equality). The
    expansion brings factors next to each other that were apart ((A ⊗ A)(I + K)): when a
    rewrite then applies to a monomial, the sum is expanded once more."""
    expr = normalize(canonical_elementwise(normalize(expr, rewrite=canonical_rewrite)),
                     rewrite=canonical_rewrite)
    if not isinstance(expr, MatrixExpr):
        return expr
    expanded = _monomial_sum(expr, max_terms)
    if expanded is None:
        return expr
    again = normalize(expanded, rewrite=canonical_rewrite)
    if again == expanded:
        return expanded
    settled = _monomial_sum(again, max_terms)
    return again if settled is None else settled


def _monomial_sum(expr, max_terms):
    """expr as a sum of monomials with expanded coefficients (None: too many terms)."""
    terms = expand_terms(expr, max_terms)
    if terms is None:
        return None
    terms = [(_expanded(c), f) for c, f in terms]
    terms = [(c, f) for c, f in terms if c != 0]
    return matadd(*[monomial(c, f, expr.shape) for c, f in terms]) \
        if terms else ZeroMatrix(*expr.shape)


def _expanded(coeff):
    """A coefficient with its products distributed over sums (one level: (2x + 4y^3) 6y^2 and
    (12x + 24y^3) y^2 both become 12 x y^2 + 24 y^5)."""
    return Add(*[t.expand(deep=False, power_base=False, power_exp=False, log=False,
                          multinomial=False, basic=False) for t in Add.make_args(coeff)])


def equal_forms(a, b):
    """Symbolic equality on the canonical form: True when provably equal, else False.
    A scalar equals the 1x1 matrix it is times I_1."""
    a, b = _comparable(a, b), _comparable(b, a)
    if isinstance(a, MatrixExpr) != isinstance(b, MatrixExpr):
        return False
    if isinstance(a, MatrixExpr) and a.shape != b.shape:
        return False
    if canonical_form(a) == canonical_form(b):
        return True
    diff = canonical_form(a - b if not isinstance(a, MatrixExpr) else MatAdd(a, MatMul(-1, b)))
    if isinstance(diff, MatrixExpr):
        return isinstance(diff, ZeroMatrix) or diff == ZeroMatrix(*a.shape)
    return diff == 0 or vanishes(diff)


def _comparable(a, other):
    """A scalar compared with a 1x1 matrix: the scalar times I_1."""
    if not isinstance(a, MatrixExpr) and isinstance(other, MatrixExpr) \
            and tuple(other.shape) == (1, 1):
        return MatMul(a, Identity(1))
    return a
