"""Identify the gradient from a differential: df = tr(G^T dX)  =>  grad f = G.

Each term of df is brought to ``<G, dX> = tr(G^T dX)`` by moving everything that
surrounds dX onto the cotangent G, one construct at a time, by that construct's
``COTANGENT`` rule (the trace is cyclic, ``tr(M^T) = tr(M)``,
``tr(A^T (B ∘ dX)) = tr((A ∘ B)^T dX)``).  For a scalar differential the cotangent is a
scalar coefficient c, and ``<c, s>`` means ``c s``.

Anything else in a differential is a construct without a rule and raises
``UnsupportedError`` naming it.
"""
from sympy import S
from sympy.matrices.expressions.special import ZeroMatrix

from ..errors import UnsupportedError
from ..dag import describe
from ..registry import COTANGENT

__all__ = ["Cotangents", "gradient_terms", "matrix_cotangent_terms"]


class Cotangents:
    """``walk(L, G)`` yields the G_i with <G, L> = sum_i <G_i, dX> (L linear in dX)."""

    def __init__(self, dX):
        self.dX = dX
        self._contains = {}

    def has(self, expr):
        """``expr.has(dX)``, bottom-up and memoised: each distinct node is visited once
        (``Basic.has`` walks every subtree again, quadratic in the nesting depth)."""
        hit = self._contains.get(expr)
        if hit is None:
            hit = self._contains[expr] = expr == self.dX or any(self.has(a) for a in expr.args)
        return hit

    def nonlinear(self, expr):
        """The error for a differential that is not linear in dX."""
        return UnsupportedError(f"a differential that is not linear in {self.dX}: "
                                f"{describe(expr)}")

    def __call__(self, L, G):
        if L == self.dX:
            yield G
            return
        if isinstance(L, ZeroMatrix) or not self.has(L):
            return
        rule = COTANGENT.lookup(L)
        if rule is None:
            raise COTANGENT.unsupported(L, "it cannot be identified inside a differential")
        yield from rule(L, G, self)


def gradient_terms(df, dX):
    """The gradient contributions G_i with df = sum_i tr(G_i^T dX), df scalar."""
    if df == 0:
        return []
    return list(Cotangents(dX)(df, S.One))


def matrix_cotangent_terms(L, G, dX):
    """Contributions G_i with <G, L> = sum_i <G_i, dX>, L matrix and linear in dX."""
    return list(Cotangents(dX)(L, G))
