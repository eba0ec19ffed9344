"""Bring a result to the Matrix Cookbook's compact form.

Three stages, each a plain function:

1. ``normalize``: small local rewrites applied bottom-up (transposes pushed to
   symbols, ``(AB)^{-1} = B^{-1}A^{-1}`` for square factors, ``tr(M^T) = tr(M)``,
   ``1 ∘ U = U``, identities removed, powers merged, ``U U^{-1} = I``).
2. ``expand_terms``: the sum of monomials ``c * F1 F2 ... Fk`` (products
   distributed over sums; Hadamard, Kronecker, inverse and function arguments
   stay whole), like monomials collected.  Skipped when it would exceed
   ``max_terms`` monomials, so deep compositions never blow up.
3. ``factor_terms``: common scalar factors, common left and right matrix
   factors pulled out greedily: ``2 X^T X W - 2 X^T Y  ->  2 X^T (X W - Y)``.

``canonical_form`` (stages 1-2 without factoring) decides symbolic equality.
"""
from collections import Counter

from sympy import (Add, Basic, Dummy, Lambda, default_sort_key, preorder_traversal, Determinant, Identity, Inverse, MatAdd, MatMul, MatPow,
                   Mul, Rational, S, Trace, igcd, ilcm)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.matexpr import MatrixExpr, MatrixSymbol
from sympy.matrices.expressions.special import OneMatrix, ZeroMatrix
from sympy.matrices.expressions.transpose import Transpose
from sympy.strategies import chain, exhaust

from .algebra import matadd, matmul, transpose_of

__all__ = ["simplify_result", "normalize", "expand_terms", "factor_terms", "canonical_form",
           "equal_forms"]


# --------------------------------------------------------------------------
# 1. local rewrites
# --------------------------------------------------------------------------

def push_transpose(e):
    """(AB)^T = B^T A^T, (A + B)^T = A^T + B^T, (A^{-1})^T = (A^T)^{-1}, S^T = S."""
    if isinstance(e, Transpose):
        return transpose_of(e.arg)
    return e


def trace_of_transpose(e):
    """tr(M^T) = tr(M)."""
    if isinstance(e, Trace) and isinstance(e.arg, Transpose):
        return Trace(e.arg.arg)
    return e


def det_of_transpose(e):
    """det(M^T) = det(M);  det(M^{-1}) = 1/det(M)."""
    if isinstance(e, Determinant):
        if isinstance(e.arg, Transpose):
            return Determinant(e.arg.arg)
        if isinstance(e.arg, Inverse):
            return 1 / Determinant(e.arg.arg)
    return e


def inverse_of_product(e):
    """(c A B)^{-1} = c^{-1} B^{-1} A^{-1} when every factor is square."""
    if isinstance(e, Inverse) and isinstance(e.arg, MatMul):
        coeff, mats = e.arg.as_coeff_matrices()
        if all(m.shape[0] == m.shape[1] for m in mats) and (len(mats) > 1 or coeff != 1):
            return matmul(1 / coeff, *[Inverse(m) for m in reversed(mats)])
    return e


def hadamard_scalars(e):
    """(c A) ∘ B = c (A ∘ B);  A^{∘1} = A."""
    if isinstance(e, HadamardPower) and e.exp == 1:
        return e.base
    if isinstance(e, HadamardProduct):
        coeffs, parts = [], []
        for a in e.args:
            c, mats = a.as_coeff_matrices() if isinstance(a, MatMul) else (S.One, [a])
            coeffs.append(c)
            parts.append(mats[0] if len(mats) == 1 else MatMul(*mats))
        c = Mul(*coeffs)
        if c != 1:
            return _product(c, [HadamardProduct(*parts)])
    return e


def hadamard_ones(e):
    """1 ∘ U = U."""
    if isinstance(e, HadamardProduct):
        rest = [a for a in e.args if not isinstance(a, OneMatrix)]
        if len(rest) < len(e.args):
            return rest[0] if len(rest) == 1 else (HadamardProduct(*rest) if rest else e.args[0])
    return e


def diagonal_ignores_transpose(e):
    """diagvec(M^T) = diagvec(M);  M^T ∘ I = M ∘ I."""
    if isinstance(e, DiagonalOf) and isinstance(e.args[0], Transpose):
        return DiagonalOf(e.args[0].arg)
    if isinstance(e, HadamardProduct) and len(e.args) == 2 and any(isinstance(a, Identity) for a in e.args):
        others = [a for a in e.args if not isinstance(a, Identity)]
        if not others:
            return e.args[0]  # I ∘ I = I
        if isinstance(others[0], Transpose):
            return HadamardProduct(others[0].arg, Identity(others[0].shape[0]))
    return e


def inverse_of_power(e):
    """(A^k)^{-1} = A^{-k}, so that powers merge: A^{-3} A^2 = A^{-1}."""
    if isinstance(e, Inverse) and isinstance(e.arg, MatPow) and e.arg.exp.is_integer:
        return MatPow(e.arg.base, -e.arg.exp)
    return e


def diagonal_of_diag(e):
    """diagvec(diag(v)) = v."""
    if isinstance(e, DiagonalOf) and isinstance(e.args[0], DiagMatrix) and e.args[0].args[0].shape[1] == 1:
        return e.args[0].args[0]
    return e


_ELEMENT = Dummy("u")


def canonical_lambda(e):
    """φ(U) elementwise with one fixed bound variable, so equal functions compare equal."""
    if isinstance(e, ElementwiseApplyFunction) and isinstance(e.function, Lambda):
        (var,), body = e.function.variables, e.function.expr
        if var != _ELEMENT:
            return ElementwiseApplyFunction(Lambda(_ELEMENT, body.xreplace({var: _ELEMENT})), e.expr)
    return e


def orthogonal_cancel(e):
    """Q Q^T = Q^T Q = I for an orthogonal Q."""
    if not isinstance(e, MatMul):
        return e
    coeff, mats = e.as_coeff_matrices()
    for i in range(len(mats) - 1):
        u, v = mats[i], mats[i + 1]
        if _is_orthogonal(u) and v == Transpose(u) or _is_orthogonal(v) and u == Transpose(v):
            rest = mats[:i] + mats[i + 2:]
            return _product(coeff, rest or [Identity(u.shape[0])])
    return e


def _is_orthogonal(M):
    from .constructs.structured import structure_of
    return isinstance(M, MatrixSymbol) and structure_of(M) == "orthogonal"


def scalar_powers_of_one_by_one(e):
    """A 1x1 factor M^p (p not an integer) inside a product is the scalar (M_00)^p."""
    if isinstance(e, MatMul):
        coeff, mats = e.as_coeff_matrices()
        if len(mats) > 1 and any(_is_scalar_power(m) for m in mats):
            from .constructs.scalars import scalar
            extra = Mul(*[scalar(m.base) ** m.exp for m in mats if _is_scalar_power(m)])
            return _product(coeff * extra, [m for m in mats if not _is_scalar_power(m)])
    return e


def _is_scalar_power(M):
    return isinstance(M, MatPow) and tuple(M.shape) == (1, 1) and not M.exp.is_integer


def absorb_sign(e):
    """-A diag(σ² - σ) B = A diag(σ - σ²) B: a negative coefficient absorbed by an
    elementwise difference (the form a reader expects of σ'(z) = σ - σ²)."""
    if isinstance(e, MatMul):
        coeff, mats = e.as_coeff_matrices()
        if coeff.is_Number and coeff < 0:
            for i, m in enumerate(mats):
                flipped = _negated_elementwise(m)
                if flipped is not None:
                    return _product(-coeff, [*mats[:i], flipped, *mats[i + 1:]])
    return e


def _negated_elementwise(M):
    if isinstance(M, DiagMatrix):
        inner = _negated_elementwise(M.args[0])
        return None if inner is None else DiagMatrix(inner)
    if isinstance(M, ElementwiseApplyFunction) and isinstance(M.function, Lambda):
        (var,), body = M.function.variables, M.function.expr
        negative = sum(1 for t in body.args if t.could_extract_minus_sign())
        if body.is_Add and 2 * negative >= len(body.args):
            return ElementwiseApplyFunction(Lambda(var, -body), M.expr)
    return None


def canonicalize_node(e):
    """SymPy's own canonical MatMul/MatAdd: identities out, powers merged, U U^{-1} = I;
    Hadamard factors in a fixed order (∘ commutes)."""
    if isinstance(e, HadamardProduct):
        from sympy import default_sort_key
        ordered = sorted(e.args, key=default_sort_key)
        return e if list(e.args) == ordered else HadamardProduct(*ordered)
    if isinstance(e, MatMul):
        return _matmul_canonical(e)
    if isinstance(e, MatAdd):
        return matadd(*e.args)
    return e


def _matmul_canonical(e):
    coeff, mats = e.as_coeff_matrices()
    if len(mats) == 1 and isinstance(mats[0], MatAdd):
        return e  # SymPy would distribute c (A + B); keep the factored form
    return matmul(coeff, *mats)


local_rewrite = exhaust(chain(push_transpose, trace_of_transpose, det_of_transpose,
                              inverse_of_product, inverse_of_power, hadamard_scalars, hadamard_ones,
                              diagonal_ignores_transpose, diagonal_of_diag, canonical_lambda,
                              orthogonal_cancel, scalar_powers_of_one_by_one, absorb_sign,
                              canonicalize_node))


def normalize(expr, rewrite=None):
    """Apply ``local_rewrite`` bottom-up to every node (memoised on shared subtrees)."""
    memo = {}
    rewrite = local_rewrite if rewrite is None else rewrite

    def walk(e):
        if not isinstance(e, Basic) or not e.args or isinstance(e, MatrixSymbol) or e.is_Atom:
            return e
        hit = memo.get(e)
        if hit is not None:
            return hit
        args = [walk(a) for a in e.args]
        rebuilt = e if all(a is b for a, b in zip(args, e.args)) else e.func(*args)
        out = rewrite(rebuilt)
        if out is not rebuilt and out != rebuilt:
            out = walk(out)
        memo[e] = out
        return out

    return walk(expr)


# --------------------------------------------------------------------------
# 2. monomials
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
# 3. factoring
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
        return _monomial(*terms[0], shape)
    common, terms = _common_coefficient(terms)
    pre = _common_run([f for _, f in terms])
    suf = _common_run([f[len(pre):][::-1] for _, f in terms])[::-1]
    if pre or suf:
        middles = [(c, f[len(pre):len(f) - len(suf)]) for c, f in terms]
        rows = pre[-1].shape[1] if pre else shape[0]
        cols = suf[0].shape[0] if suf else shape[1]
        inner = _factor(middles, (rows, cols), prefer)
        return _product(common, [*pre, inner, *suf])
    group, rest = _largest_group(terms, prefer)
    if group is None:
        body = matadd(*[_monomial(c, f, shape) for c, f in terms])
    else:
        body = matadd(_factor(group, shape, prefer), _factor(rest, shape, prefer))
    return _product(common, [body])


def _refactor(expr):
    """Factor again across the parts of every sum, without expanding:
    A (Xb + c) + B (Xb + c) -> (A + B)(Xb + c)."""
    if isinstance(expr, MatMul):
        coeff, mats = expr.as_coeff_matrices()
        new = [_refactor(m) for m in mats]
        return expr if new == list(mats) else _product(coeff, new)
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
    from sympy import default_sort_key
    coeff, factors = term
    return tuple(default_sort_key(f) for f in factors), default_sort_key(coeff)


def _product(coeff, mats):
    mats = [m for m in mats if not isinstance(m, Identity)] or mats[:1]
    if coeff == 1 and len(mats) == 1:
        return mats[0]
    return _matmul_canonical(MatMul(coeff, *mats))


def _monomial(coeff, factors, shape):
    if not factors:
        return _product(coeff, [Identity(shape[0])])
    return _product(coeff, list(factors))


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
    for factor, count in shared.items():
        if factor != 1:
            g = g * factor ** count
    if g == 1:
        return S.One, terms
    return g, [(c / g, f) for c, f in terms]


# --------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------

def simplify_result(expr, max_terms=64):
    """The compact Cookbook form of a matrix result."""
    if not isinstance(expr, MatrixExpr):
        return normalize(expr)
    expr = normalize(expr)
    terms = expand_terms(expr, max_terms)
    if terms is None:
        return expr
    return factor_terms(terms, expr.shape)


def det_of_product(e):
    """det(c A B) = c^n det(A) det(B) for square factors (canonical form only)."""
    if isinstance(e, Determinant) and isinstance(e.arg, MatMul):
        coeff, mats = e.arg.as_coeff_matrices()
        if all(m.shape[0] == m.shape[1] for m in mats):
            return coeff ** e.arg.shape[0] * Mul(*[Determinant(m) for m in mats])
    return e


def trace_linear(e):
    """tr(A + B) = tr A + tr B;  tr(c A) = c tr A (canonical form only)."""
    if isinstance(e, Trace):
        if isinstance(e.arg, MatAdd):
            return Add(*[Trace(a) for a in e.arg.args])
        if isinstance(e.arg, MatMul):
            coeff, mats = e.arg.as_coeff_matrices()
            if coeff != 1:
                return coeff * Trace(MatMul(*mats))
    return e


canonical_rewrite = exhaust(chain(local_rewrite, det_of_product, trace_linear))


def canonical_form(expr, max_terms=4096):
    """Expanded, transpose-normal sum of monomials (for deciding symbolic equality)."""
    expr = normalize(expr, rewrite=canonical_rewrite)
    if not isinstance(expr, MatrixExpr):
        return expr
    terms = expand_terms(expr, max_terms)
    if terms is None:
        return expr
    return matadd(*[_monomial(c, f, expr.shape) for c, f in terms]) \
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
