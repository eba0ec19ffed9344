"""Sums of monomials: expanded, like terms collected, then factored again.

``expand_terms``: the sum of monomials ``c * F1 F2 ... Fk`` (products distributed over
sums; Hadamard, Kronecker, inverse and function arguments stay whole), like monomials
collected.  Skipped when it would exceed ``max_terms`` monomials, so deep compositions
never blow up.

``factor_terms``: common scalar factors, common left and right matrix factors pulled out
greedily: ``2 X^T X W - 2 X^T Y  ->  2 X^T (X W - Y)``.
"""
from collections import Counter

from sympy import Identity, MatAdd, MatMul, Mul, Rational, S, default_sort_key, igcd, ilcm
from sympy.matrices.expressions.special import ZeroMatrix
from sympy.matrices.expressions.transpose import Transpose

from ..algebra import (canonical_product, matadd, matmul, product, scaled, split_coeff,
                       transpose_of)
from ..dag import tree_size

__all__ = ["expand_terms", "collect_monomials", "factor_terms", "expression_size", "monomial"]


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
    return collect_monomials(raw)


def collect_monomials(raw):
    """[(c, factors)] in canonical form (powers merged, identities dropped), like terms added."""
    collected = {}
    for coeff, factors in raw:
        coeff, factors = _canonical_monomial(coeff, tuple(factors))
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
    candidates = {_refactor(_factor(terms, shape, prefer)) for prefer in (0, -1, "coefficient")}
    return min(candidates, key=lambda e: (expression_size(e), default_sort_key(e)))


def expression_size(e):
    """Number of nodes of the expression tree (the length a reader sees), counted on the
    DAG (``registry.tree_size``): a deep composition's tree is far larger than its DAG."""
    return tree_size(e)


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
    outer = _rank_one(terms)
    if outer is not None:
        c, left, right = outer
        return canonical_product(common * c, [left, right])
    products = [t for t in terms if len(t[1]) >= 2]
    outer = _rank_one(products) if len(products) < len(terms) else None
    if outer is not None:       # (x - mu) x^T + (mu - x) mu^T - P^{-1} = (x - mu)(x - mu)^T - P^{-1}
        c, left, right = outer
        others = [t for t in terms if len(t[1]) < 2]
        return canonical_product(common, [matadd(canonical_product(c, [left, right]),
                                                 _factor(others, shape, prefer))])
    if prefer == "coefficient":
        groups = _coefficient_groups(terms)
        if groups is not None:
            body = matadd(*[canonical_product(c, [_factor(g, shape, prefer)]) for c, g in groups])
            return canonical_product(common, [body])
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


def _rank_one(terms):
    """(L, R) with sum_k c_k L_k R_k = L R when the table of coefficients c[L_k][R_k] has
    rank one: x x^T - x b^T - b x^T + b b^T = (x - b)(x - b)^T.  Each term is cut after its
    first factor or before its last; None when neither cut gives a rank-one table."""
    if len(terms) < 3 or any(len(f) < 2 for _, f in terms):
        return None
    for cut in (1, -1):
        table = {}
        for c, f in terms:
            left, right = product(f[:cut]), product(f[cut:])
            table.setdefault(left, {})
            if right in table[left]:
                return None
            table[left][right] = c
        lefts = list(table)
        rights = list(dict.fromkeys(r for row in table.values() for r in row))
        if len(lefts) < 2 or len(rights) < 2:
            continue
        pivot_left, pivot_right = lefts[0], next(iter(table[lefts[0]]))
        pivot = table[pivot_left][pivot_right]
        alpha = {L: table[L].get(pivot_right, S.Zero) / pivot for L in lefts}
        beta = {R: table[pivot_left].get(R, S.Zero) for R in rights}
        if any(not vanishes(table[L].get(R, S.Zero) - alpha[L] * beta[R])
               for L in lefts for R in rights):
            continue
        left = matadd(*[scaled(alpha[L], L) for L in lefts if alpha[L] != 0])
        right = matadd(*[scaled(beta[R], R) for R in rights if beta[R] != 0])
        return _outer_product(left, right)
    return None


def vanishes(c):
    """Is the scalar c identically 0?  Expanded with its matrix-bearing parts (tr(A),
    ||E||, ...) held as symbols: SymPy's deep expansion would rebuild them."""
    from .rewrite import abstracted
    plain, _ = abstracted(c)
    return plain.expand() == 0


def _negative(M):
    """-M, a sum negated term by term."""
    return matadd(*[scaled(-1, t) for t in (M.args if isinstance(M, MatAdd) else (M,))])


def _outer_product(left, right):
    """(c, L, R) for L R, L's last term positive (x - b, not b - x) and R written L^T when it
    is L's transpose, up to its sign: (x - b)(x - b)^T, -(x - mu)(x - mu)^T."""
    parts = [split_coeff(t) for t in (left.args if isinstance(left, MatAdd) else (left,))]
    negative = sum(c.could_extract_minus_sign() for c, _ in parts)
    last = max(parts, key=lambda cm: default_sort_key(cm[1]))[0]
    if 2 * negative > len(parts) or (2 * negative == len(parts)
                                     and last.could_extract_minus_sign()):
        left, right = _negative(left), _negative(right)
    coeff, mirror = S.One, transpose_of(left)
    if tuple(right.shape) != tuple(mirror.shape):
        return coeff, left, right
    if right != mirror and matadd(right, mirror) == ZeroMatrix(*right.shape):
        coeff = S.NegativeOne
    if coeff * 1 == -1 or right == mirror:
        right = Transpose(left)          # as people write it
    return coeff, left, right


def _coefficient_groups(terms):
    """[(c, [(1, factors), ...]), ...]: the terms grouped by their coefficient, when some
    coefficient is shared (c A + c B + d C = c (A + B) + d C); else None."""
    groups = {}
    for c, f in terms:
        groups.setdefault(c, []).append((S.One, f))
    if len(groups) == len(terms) or len(groups) == 1:
        return None
    return list(groups.items())


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
