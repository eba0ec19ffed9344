r"""Jacobians and Hessians in a compact Kronecker form.

The raw Jacobian from ``matcalc.identify.jacobian`` is a sum of products of Kronecker
products, commutation matrices, vecs and diagonal matrices.  Each product ``c F1 ... Fk``
is brought to canonical factors (every construct's ``JACOBIAN_FACTOR`` rule) and adjacent
factors are combined by the ``PAIRS`` rules of the constructs involved, such as

    (A ⊗ B)(C ⊗ D) = AC ⊗ BD                    K_{n,m} K_{m,n} = I
    (C ⊗ D) K_{b,d} = K_{a,c} (D ⊗ C)           K_{m,n} vec(M) = vec(M^T)
    (C ⊗ D) vec(M) = vec(D M C^T)               diag(u) diag(v) = diag(u ∘ v)

until none applies; like terms are collected, common factors pulled out
(``factor_terms``), and the terms of every sum merged by the ``SUM_MERGES`` rules
(``P ⊗ A + P ⊗ B = P ⊗ (A + B)``, ``diag(u) + diag(v) = diag(u + v)``).
"""
from functools import lru_cache

from sympy import Identity, MatAdd, MatMul, S, default_sort_key
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix

from ..algebra import flat_matmul, matadd, split_coeff
from ..registry import JACOBIAN_FACTOR, PAIRS, STRUCTURAL_FACTORS, SUM_MERGES, rule_memo
from .forms import simplify_result
from .monomials import factor_terms

__all__ = ["simplify_jacobian", "KroneckerForm"]


@rule_memo
@lru_cache(maxsize=8192)
def _simplified(M):
    return simplify_result(M)


class KroneckerForm:
    """The operations the constructs' Kronecker-form rules call back into."""

    @staticmethod
    def simplified(M):
        """``simplify_result(M)``, memoised (the same factors recur in every term)."""
        return _simplified(M)

    def normalize(self, F):
        """(c, F') with F = c F' in canonical form."""
        rule = JACOBIAN_FACTOR.lookup(F)
        if rule is not None:
            return rule(F, self)
        if isinstance(F, MatrixExpr) and F.shape != (1, 1) and not isinstance(F, (Identity, ZeroMatrix)):
            return split_coeff(self.simplified(F))
        return S.One, F

    def normalize_factors(self, coeff, factors):
        """Factors in canonical form, their scalars pulled out, identities dropped."""
        out = []
        for F in factors:
            c, F = self.normalize(F)
            fc, mats = flat_matmul(F)
            coeff = coeff * c * fc
            out.extend(mats)
        kept = [F for F in out if not isinstance(F, Identity)]
        if not kept and out:
            kept = [Identity(out[0].shape[0])]
        if any(isinstance(F, ZeroMatrix) for F in kept):
            return S.Zero, kept
        return coeff, kept

    def simplify_product(self, coeff, factors):
        """Apply the pair rules to c F1 ... Fk until none applies."""
        coeff, factors = self.normalize_factors(coeff, factors)
        changed = True
        while changed:
            changed = False
            for i in range(len(factors) - 1):
                out = PAIRS.apply(factors[i], factors[i + 1], self)
                if out is not None:
                    c, new = out
                    coeff, factors = self.normalize_factors(coeff * c,
                                                            factors[:i] + new + factors[i + 2:])
                    changed = True
                    break
        return coeff, factors

    def merge_sums(self, expr):
        """Every sum in ``expr`` with its terms merged by the ``SUM_MERGES`` rules."""
        if isinstance(expr, MatMul):
            coeff, mats = flat_matmul(expr)
            new = [self.merge_sums(m) for m in mats]
            if new == mats:
                return expr
            inner, mats = flat_matmul(MatMul(*new))
            return MatMul(coeff * inner, *mats) if coeff * inner != 1 else MatMul(*mats)
        if not isinstance(expr, MatAdd):
            return expr
        terms = [self.merge_sums(a) for a in expr.args]
        for rule in SUM_MERGES.lookup(expr):
            terms = rule(terms, self)
        return matadd(*terms)


def _structural_sum(M):
    return isinstance(M, (MatAdd, MatMul)) and M.has(*STRUCTURAL_FACTORS)


def _monomials(J, limit):
    """[(c, [F1, ..., Fk])] with J = sum c F1 ... Fk; a sum inside a product is expanded
    only when it holds Kronecker-form factors (others stay whole)."""
    if isinstance(J, ZeroMatrix):
        return []
    if isinstance(J, MatAdd):
        return [t for a in J.args for t in _monomials(a, limit)]
    if isinstance(J, MatMul):
        coeff, mats = flat_matmul(J)
        out = [(coeff, [])]
        for m in mats:
            parts = _monomials(m, limit) if _structural_sum(m) else [(S.One, [m])]
            out = [(c1 * c2, f1 + f2) for c1, f1 in out for c2, f2 in parts]
            if len(out) > limit:
                return [(coeff, mats)]
        return out
    return [(S.One, [J])]


def simplify_jacobian(J, max_terms=64):
    """A compact Kronecker form of J (see the module docstring for the rules)."""
    from ..constructs.products import absorb_sign
    form = KroneckerForm()
    collected = {}
    for coeff, factors in _monomials(J, max_terms):
        coeff, factors = form.simplify_product(coeff, factors)
        if coeff != 0:
            key = tuple(factors)
            collected[key] = collected.get(key, S.Zero) + coeff
    terms = [(c, f) for f, c in collected.items() if c != 0]
    if not terms:
        return ZeroMatrix(*J.shape)
    result = factor_terms(sorted(terms, key=lambda t: default_sort_key(t[1])), J.shape)
    return absorb_sign(form.merge_sums(result))
