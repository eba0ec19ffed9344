"""Products, sums and transposes: the one constructor of each that every stage uses.

SymPy's own ``MatMul(...).doit()`` and ``MatAdd(...)`` canonicalize deeply (a ``c*M``
runs a deep ``doit``; scalar coefficients go through the assumption system, which
crashes on some of matcalc's scalars), and ``M.T`` expands ``(x^T A x)[0, 0]`` into an
index sum.  matcalc builds expressions only through these:

    matmul(c, A, B, ...)     c A B ..., SymPy's canonical product of the matrix factors only
    matadd(A, B, ...)        a flat, sorted sum, zeros dropped
    transpose_of(M)          M^T pushed inward, one construct at a time (each construct's
                             ``TRANSPOSE`` rule), memoised so a DAG is walked once

and take products apart with ``flat_matmul`` / ``split_coeff``.
"""
from functools import lru_cache

from sympy import Add, Identity, MatAdd, MatMul, Mul, S, default_sort_key
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix
from sympy.matrices.expressions.transpose import Transpose

from .registry import TRANSPOSE, rule_memo

__all__ = ["matmul", "matadd", "transpose_of", "flat_matmul", "split_coeff", "product",
           "scaled", "canonical_product", "is_matrix"]


def is_matrix(expr):
    return isinstance(expr, MatrixExpr)


def matmul(*args):
    """A MatMul canonicalized by SymPy on its matrix factors only.

    Scalar coefficients are kept aside and never handed to SymPy's canonicalizer,
    whose ``is_zero`` queries on scalars such as ``tanh(log det(M))`` crash inside
    SymPy's assumption system ("Mix of Matrix and Scalar symbols").
    """
    scalars, mats = [], []
    for a in args:
        if isinstance(a, MatMul):
            c, ms = a.as_coeff_matrices()
            scalars.append(c)
            mats.extend(ms)
        elif getattr(a, "is_Matrix", False):
            mats.append(a)
        else:
            scalars.append(a)
    coeff = Mul(*scalars)
    if len(mats) > 1:
        try:
            core = MatMul(*mats).doit(deep=False)
        except (AttributeError, TypeError):
            # SymPy's canonicalizer crashes on some products (e.g. of 1x1 Kronecker products:
            # "'Mul' object has no attribute 'is_Identity'"); the product is the same unsimplified
            core = MatMul(*mats)
        extra, mats = core.as_coeff_matrices() if isinstance(core, MatMul) else (S.One, [core])
        coeff = coeff * extra
    if any(isinstance(m, ZeroMatrix) for m in mats) or coeff == 0:
        return ZeroMatrix(mats[0].shape[0], mats[-1].shape[1])
    if coeff == 1:
        return mats[0] if len(mats) == 1 else MatMul(*mats)
    return MatMul(coeff, *mats)


def matadd(*terms):
    """A flat, sorted MatAdd without SymPy's canonicalizer (whose ``c*M`` runs a deep doit),
    like terms collected: ``2 A + 3 A = 5 A``, ``A - A = 0``."""
    flat = []
    for t in terms:
        flat.extend(t.args if isinstance(t, MatAdd) else (t,))
    like = {}    # the term without its coefficient -> [coefficients, the first term]
    for t in flat:
        if isinstance(t, ZeroMatrix):
            continue
        coeff, M = split_coeff(t)
        entry = like.setdefault(M, [[], t])
        entry[0].append(coeff)
    kept = []
    for M, (coeffs, first) in like.items():
        if len(coeffs) == 1:
            kept.append(first)
            continue
        total = Add(*coeffs)
        if total != 0:
            kept.append(scaled(total, M))
    if not kept:
        return ZeroMatrix(*terms[0].shape) if terms else None
    if len(kept) == 1:
        return kept[0]
    return MatAdd(*sorted(kept, key=default_sort_key))


@rule_memo
@lru_cache(maxsize=1 << 16)
def transpose_of(M):
    """M^T with the transpose pushed to the symbols (each construct's ``TRANSPOSE`` rule).

    ``(M^T)^T = M``; a 1x1 M is its own transpose; a construct without a rule is
    transposed by SymPy's ``_eval_transpose`` or wrapped in ``Transpose``.
    """
    if tuple(M.shape) == (1, 1) and not isinstance(M, Transpose):
        return M
    rule = TRANSPOSE.lookup(M)
    if rule is not None:
        return rule(M)
    own = getattr(M, "_eval_transpose", lambda: None)()
    return own if own is not None else Transpose(M)


def flat_matmul(M):
    """(c, [F1, ..., Fk]) with M = c F1 ... Fk, nested products and their scalars flattened."""
    if not isinstance(M, MatMul):
        return S.One, [M]
    coeff, mats = S.One, []
    for a in M.args:
        if isinstance(a, MatMul):
            c, inner = flat_matmul(a)
            coeff, mats = coeff * c, mats + inner
        elif isinstance(a, MatrixExpr):
            mats.append(a)
        else:
            coeff = coeff * a
    return coeff, mats


def split_coeff(M):
    """(c, M') with M = c M': the scalar coefficient of a product and the rest of it."""
    if isinstance(M, MatMul):
        c, mats = flat_matmul(M)
        return c, product(mats)
    return S.One, M


def product(mats):
    """F1 F2 ... Fk without identity factors (a MatMul only when there are several)."""
    mats = [m for m in mats if not isinstance(m, Identity)] or list(mats[:1])
    return mats[0] if len(mats) == 1 else MatMul(*mats)


def scaled(coeff, M):
    """c M, with c merged into M's own coefficient."""
    if coeff == 1:
        return M
    c, mats = flat_matmul(M)
    c = coeff * c
    return product(mats) if c == 1 else MatMul(c, *mats)


def adjacent_pair_rewritten(e, pair):
    """The product e with its first adjacent factors a b for which ``pair(a, b)`` gives a
    matrix F rewritten to F (c ... a b ... = c ... F ...), or e when there is none."""
    coeff, mats = e.as_coeff_matrices()
    for k in range(len(mats) - 1):
        found = pair(mats[k], mats[k + 1])
        if found is not None:
            return canonical_product(coeff, mats[:k] + [found] + mats[k + 2:])
    return e


def canonical_product(coeff, mats):
    """c F1 ... Fk through ``matmul`` (identities dropped), except that a scaled sum
    c (A + B) stays factored (SymPy would distribute it)."""
    mats = [m for m in mats if not isinstance(m, Identity)] or list(mats[:1])
    if coeff == 1 and len(mats) == 1:
        return mats[0]
    if len(mats) == 1 and isinstance(mats[0], MatAdd):
        return MatMul(coeff, *mats)
    return matmul(coeff, *mats)
