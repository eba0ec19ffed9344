"""Sums of monomials: expanded, like terms collected, then factored again.

``expand_terms``: the sum of monomials ``c * F1 F2 ... Fk`` (products distributed over
sums; Hadamard, Kronecker, inverse and function arguments stay whole), like monomials
collected.  Skipped when it would exceed ``max_terms`` monomials, so deep compositions
never blow up.

``factor_terms``: common scalar factors, common left and right matrix factors pulled out
greedily: ``2 X^T X W - 2 X^T Y  ->  2 X^T (X W - Y)``.
"""
from collections import Counter

from sympy import Identity, MatAdd, MatMul, Mul, Rational, S, default_sort_key, igcd, ilcm, preorder_traversal
from sympy.matrices.expressions.special import ZeroMatrix

from ..algebra import canonical_product, matadd, matmul

__all__ = ["expand_terms", "factor_terms", "expression_size", "monomial"]


# --------------------------------------------------------------------------
# monomials
# --------------------------------------------------------------------------

class _TooManyTerms(Exception):
    pass


def expand_terms(expr, max_terms=64):
    """[(coeff, (F1, ..., Fk)), ...] with expr = sum coeff F1...Fk, like terms collected.

    Returns None when the expansion would exceed ``max_terms`` monomials.
    """
    try:
        raw = _expand(expr, max_terms)
    except _TooManyTerms:
        return None
    collected = {}
    for coeff, factors in raw:
        coeff, factors = _canonical_monomial(coeff, factors)
        collected[factors] = collected.get(factors, S.Zero) + coeff
    return [(c, f) for f, c in collected.items() if c != 0]


def _expand(e, limit):
    if isinstance(e, ZeroMatrix):
        return []
    if isinstance(e, MatAdd):
        out = [t for a in e.args for t in _expand(a, limit)]
    elif isinstance(e, MatMul):
        coeff, mats = e.as_coeff_matrices()
        out = [(coeff, ())]
        for m in mats:
            parts = _expand(m, limit)
            out = [(c1 * c2, f1 + f2) for c1, f1 in out for c2, f2 in parts]
            if len(out) > limit:
                raise _TooManyTerms
    elif isinstance(e, Identity):
        out = [(S.One, ())]
    else:
        out = [(S.One, (e,))]
    if len(out) > limit:
        raise _TooManyTerms
    return out


def _canonical_monomial(coeff, factors):
    if len(factors) > 1 and all(tuple(f.shape) == (1, 1) for f in factors):
        factors = tuple(sorted(factors, key=default_sort_key))  # 1x1 matrices commute
    if len(factors) > 1:
        merged = matmul(*factors)
        extra, mats = merged.as_coeff_matrices() if isinstance(merged, MatMul) else (S.One, [merged])
        factors = tuple(m for m in mats if not isinstance(m, Identity))
        coeff = coeff * extra
    return coeff, factors


# --------------------------------------------------------------------------
# factoring
# --------------------------------------------------------------------------

def factor_terms(terms, shape):
    """Rebuild a sum of monomials with common factors pulled out (the shortest of a few ways)."""
    candidates = [_refactor(_factor(terms, shape, prefer)) for prefer in (0, -1)]
    if candidates[0] == candidates[1]:
        return candidates[0]
    return min(candidates, key=lambda e: (expression_size(e), default_sort_key(e)))


def expression_size(e):
    """Number of nodes of the expression tree (the length a reader sees)."""
    return sum(1 for _ in preorder_traversal(e))


def _factor(terms, shape, prefer):
    if not terms:
        return ZeroMatrix(*shape)
    terms = sorted(terms, key=_term_key)
    if len(terms) == 1:
        return monomial(*terms[0], shape)
    common, terms = _common_coefficient(terms)
    pre = _common_run([f for _, f in terms])
    suf = _common_run([f[len(pre):][::-1] for _, f in terms])[::-1]
    if pre or suf:
        middles = [(c, f[len(pre):len(f) - len(suf)]) for c, f in terms]
        rows = pre[-1].shape[1] if pre else shape[0]
        cols = suf[0].shape[0] if suf else shape[1]
        inner = _factor(middles, (rows, cols), prefer)
        return canonical_product(common, [*pre, inner, *suf])
    group, rest = _largest_group(terms, prefer)
    if group is None:
        body = matadd(*[monomial(c, f, shape) for c, f in terms])
    else:
        body = matadd(_factor(group, shape, prefer), _factor(rest, shape, prefer))
    return canonical_product(common, [body])


def _refactor(expr):
    """Factor again across the parts of every sum, without expanding:
    A (Xb + c) + B (Xb + c) -> (A + B)(Xb + c)."""
    if isinstance(expr, MatMul):
        coeff, mats = expr.as_coeff_matrices()
        new = [_refactor(m) for m in mats]
        return expr if new == list(mats) else canonical_product(coeff, new)
    if not isinstance(expr, MatAdd):
        return expr
    expr = matadd(*[_refactor(a) for a in expr.args])
    if not isinstance(expr, MatAdd):
        return expr
    shallow = [_shallow_monomial(a) for a in expr.args]
    better = _factor(shallow, expr.shape, 0)
    if expression_size(better) < expression_size(expr):
        return _refactor(better)
    return expr


def _shallow_monomial(e):
    if isinstance(e, MatMul):
        coeff, mats = e.as_coeff_matrices()
        return coeff, tuple(mats)
    return S.One, (e,)


def _term_key(term):
    coeff, factors = term
    return tuple(default_sort_key(f) for f in factors), default_sort_key(coeff)


def monomial(coeff, factors, shape):
    """c F1 ... Fk as an expression (c I for no factors)."""
    if not factors:
        return canonical_product(coeff, [Identity(shape[0])])
    return canonical_product(coeff, list(factors))


def _common_run(factor_lists):
    run = []
    for column in zip(*factor_lists):
        if all(c == column[0] for c in column):
            run.append(column[0])
        else:
            break
    # keep at least one factor in the longest middle, never consume every factor of all terms
    return tuple(run)


def _largest_group(terms, prefer=0):
    """The largest set (>= 2) of terms sharing their first or their last factor."""
    firsts = Counter(f[0] for _, f in terms if f)
    lasts = Counter(f[-1] for _, f in terms if f)
    best = None
    order = ((firsts, 0), (lasts, -1)) if prefer == 0 else ((lasts, -1), (firsts, 0))
    for counter, pos in order:
        for factor, count in counter.items():
            if count >= 2 and (best is None or count > best[0]):
                best = (count, factor, pos)
    if best is None:
        return None, terms
    _, factor, pos = best
    group = [t for t in terms if t[1] and t[1][pos] == factor]
    rest = [t for t in terms if not (t[1] and t[1][pos] == factor)]
    return group, rest


def _common_coefficient(terms):
    """(g, terms / g): g the common rational and symbolic factor, sign pulled when all negative."""
    coeffs = [c for c, _ in terms]
    rationals, symbolic = [], []
    for c in coeffs:
        r, rest = c.as_coeff_Mul()
        rationals.append(Rational(r))
        symbolic.append(Counter(Mul.make_args(rest)))
    num = 0
    den = 1
    for r in rationals:
        num = igcd(num, abs(r.p))
        den = ilcm(den, r.q)
    g = Rational(num, den) if num else S.One
    if all(r < 0 for r in rationals):
        g = -g
    shared = symbolic[0]
    for s in symbolic[1:]:
        shared = shared & s
    shared = Counter({factor: count for factor, count in shared.items() if factor != 1})
    common = g * Mul(*[factor ** count for factor, count in shared.items()])
    if common == 1:
        return S.One, terms
    # the shared factors are taken out of each coefficient's factors, not divided: SymPy
    # leaves x^(p-1) x^(1-p) uncancelled for a symbolic p
    return common, [(r / g * Mul(*(sym - shared).elements()), f)
                    for (c, f), r, sym in zip(terms, rationals, symbolic)]
