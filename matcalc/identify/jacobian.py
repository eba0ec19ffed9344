r"""Identify a Jacobian from a matrix differential: vec(dF) = J vec(dX).

``vec`` stacks columns.  Each construct of a differential L (linear in dX) contributes
through its ``VEC`` rule, applied from the outside in (``vec(c A L B) = c (B^T ⊗ A) vec(L)``,
``vec(L^T) = K vec(L)`` ...; each construct's module states its own).  A scalar
differential s = <G, dX> inside a product contributes ``vec(M) vec(G)^T``.

The raw Jacobian is brought to a compact Kronecker form by
``matcalc.simplify.kronecker_form.simplify_jacobian``.
"""
from sympy import Identity
from sympy.matrices.expressions.special import ZeroMatrix

from ..algebra import matadd, transpose_of
from ..constructs.vec import vec
from ..registry import VEC
from .gradient import Cotangents, gradient_terms

__all__ = ["vec_jacobian", "scalar_jacobian", "VecJacobians"]


class VecJacobians(Cotangents):
    """``walk(L)`` yields the J_i with vec(L) = sum_i J_i vec(dX) (L linear in dX)."""

    def __call__(self, L):
        dX = self.dX
        if L == dX:
            yield Identity(dX.shape[0] * dX.shape[1])
            return
        if isinstance(L, ZeroMatrix) or not self.has(L):
            return
        rule = VEC.lookup(L)
        if rule is None:
            raise VEC.unsupported(L, "it cannot be identified inside a matrix differential")
        yield from rule(L, self)

    def scalar_row(self, s):
        """The row vec(G)^T with s = <G, dX> (s a scalar differential)."""
        return scalar_jacobian(s, self.dX)


def vec_jacobian(L, dX, simplify=True):
    """J with vec(L) = J vec(dX), for a matrix differential L linear in dX."""
    from ..simplify.kronecker_form import simplify_jacobian
    rows = L.shape[0] * L.shape[1]
    terms = list(VecJacobians(dX)(L))
    J = matadd(*terms) if terms else ZeroMatrix(rows, dX.shape[0] * dX.shape[1])
    return simplify_jacobian(J) if simplify else J


def scalar_jacobian(s, dX, simplify=True):
    """The row vec(G)^T with s = vec(G)^T vec(dX) = tr(G^T dX), s a scalar differential."""
    from ..simplify import simplify_result
    terms = gradient_terms(s, dX)
    if not terms:
        return ZeroMatrix(1, dX.shape[0] * dX.shape[1])
    G = matadd(*terms)
    if simplify:
        G = simplify_result(G)
    return transpose_of(vec(G))
