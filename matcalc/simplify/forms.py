"""The two forms a result is brought to.

``simplify_result``: the Cookbook form a reader sees -- local rewrites (``normalize``),
then the sum of monomials with common factors pulled out (``factor_terms``).

``canonical_form``: the expanded, transpose-normal sum of monomials (no factoring), on
which ``equal_forms`` decides symbolic equality.
"""
from sympy import MatAdd, MatMul
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix

from ..algebra import matadd
from .monomials import expand_terms, factor_terms, monomial
from .rewrite import canonical_rewrite, normalize

__all__ = ["simplify_result", "canonical_form", "equal_forms"]


def simplify_result(expr, max_terms=64):
    """The compact Cookbook form of a matrix result."""
    if not isinstance(expr, MatrixExpr):
        return normalize(expr)
    expr = normalize(expr)
    terms = expand_terms(expr, max_terms)
    if terms is None:
        return expr
    return factor_terms(terms, expr.shape)


def canonical_form(expr, max_terms=4096):
    """Expanded, transpose-normal sum of monomials (for deciding symbolic equality)."""
    expr = normalize(expr, rewrite=canonical_rewrite)
    if not isinstance(expr, MatrixExpr):
        return expr
    terms = expand_terms(expr, max_terms)
    if terms is None:
        return expr
    return matadd(*[monomial(c, f, expr.shape) for c, f in terms]) \
        if terms else ZeroMatrix(*expr.shape)


def equal_forms(a, b):
    """Symbolic equality on the canonical form: True when provably equal, else False."""
    if isinstance(a, MatrixExpr) != isinstance(b, MatrixExpr):
        return False
    if isinstance(a, MatrixExpr) and a.shape != b.shape:
        return False
    diff = canonical_form(a - b if not isinstance(a, MatrixExpr) else MatAdd(a, MatMul(-1, b)))
    if isinstance(diff, MatrixExpr):
        return isinstance(diff, ZeroMatrix) or diff == ZeroMatrix(*a.shape)
    return diff == 0
