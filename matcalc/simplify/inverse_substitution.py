"""Inverses of sums, simplified by what they invert: T N^{-1} = I - (N - T) N^{-1}.

For N = T_1 + ... + T_m, a monomial holding the factors of one term T_j right before N^{-1}
(or right after it) is rewritten through N N^{-1} = I:

    T_j N^{-1} = (1/c_j) (I - sum_{k != j} T_k N^{-1})          (T_j = c_j F_j ...)

which is what turns the ridge-regression hat-matrix gradient
``2 X N^{-1} (I - X^T X N^{-1})``, N = λI + X^T X, into ``2 λ X N^{-2}``.  A substitution
is kept only when the collected sum gets shorter, so it never loops.
"""
from sympy import Identity, MatAdd

from ..algebra import flat_matmul
from ..registry import INVERTED
from .monomials import collect_monomials

__all__ = ["substitute_inverses"]

ROUNDS = 3


def _sum_inverted(F):
    """N's terms as monomials [(c, factors)] when F = N^{-1} with N a sum, else None."""
    rule = INVERTED.lookup(F)
    N = rule(F) if rule is not None else None
    if not isinstance(N, MatAdd):
        return None
    terms = []
    for t in N.args:
        c, mats = flat_matmul(t)
        terms.append((c, tuple(m for m in mats if not isinstance(m, Identity))))
    return terms


def _substituted(coeff, factors):
    """The monomial c F1 ... Fk with one T_j N^{-1} (or N^{-1} T_j) rewritten, or None."""
    for i, F in enumerate(factors):
        terms = _sum_inverted(F)
        if terms is None:
            continue
        for j, (cj, tj) in enumerate(terms):
            k = len(tj)
            if not k:
                continue
            rest = [t for m, t in enumerate(terms) if m != j]
            if i >= k and factors[i - k:i] == tj:              # T_j N^{-1}
                head, tail = factors[:i - k], factors[i + 1:]
                return [(coeff / cj, head + tail)] + \
                    [(-coeff * c / cj, head + t + (F,) + tail) for c, t in rest]
            if factors[i + 1:i + 1 + k] == tj:                  # N^{-1} T_j
                head, tail = factors[:i], factors[i + 1 + k:]
                return [(coeff / cj, head + tail)] + \
                    [(-coeff * c / cj, head + (F,) + t + tail) for c, t in rest]
    return None


def substitute_inverses(terms):
    """The monomials [(c, factors)] with ``T N^{-1} = I - (N - T) N^{-1}`` applied while
    it makes the collected sum shorter."""
    for _ in range(ROUNDS):
        expanded, changed = [], False
        for coeff, factors in terms:
            new = _substituted(coeff, tuple(factors))
            changed |= new is not None
            expanded.extend(new if new is not None else [(coeff, factors)])
        if not changed:
            return terms
        collected = collect_monomials(expanded)
        if _length(collected) >= _length(terms):
            return terms
        terms = collected
    return terms


def _length(terms):
    return sum(1 + len(f) for _, f in terms)
