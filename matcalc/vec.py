r"""Identify a Jacobian from a matrix differential: vec(dF) = J vec(dX).

``vec`` stacks columns.  Each construct of a differential L (linear in dX)
contributes through one rule, applied from the outside in:

    vec(dX)             = I_{pq} vec(dX)
    vec(c A L B)        = c (B^T ⊗ A) vec(L)
    vec(L^T)            = K_{a,b} vec(L)                        (L a x b)
    vec(A ∘ L)          = diag(vec(A)) vec(L)
    vec(L ∘ I)          = diag(vec(I)) vec(L)
    vec(diag(l))        = diag(vec(I_n)) (1_n ⊗ I_n) l          (l of length n)
    vec(diagvec(L))     = (1_n^T ⊗ I_n) diag(vec(I_n)) vec(L)   (L n x n)
    vec(A ⊗ L)          = (I_b ⊗ K_{d,a} ⊗ I_c)(vec(A) ⊗ I_{cd}) vec(L)   (A a x b, L c x d)
    vec(L ⊗ B)          = (I_b ⊗ K_{d,a} ⊗ I_c)(I_{ab} ⊗ vec(B)) vec(L)   (L a x b, B c x d)
    vec(s M)            = vec(M) vec(G)^T vec(dX)               (s = tr(G^T dX) a scalar differential)

A construct without a rule raises ``UnsupportedError`` naming it.

The raw Jacobian is then brought to a compact Kronecker form by
``simplify_jacobian`` (rules applied to each product, then like terms
collected and common factors pulled out):

    (A ⊗ B)(C ⊗ D) = AC ⊗ BD                    I_a ⊗ I_b = I_{ab},  I_1 ⊗ A = A
    (C ⊗ D) K_{b,d} = K_{a,c} (D ⊗ C)           (C a x b, D c x d: K moves left)
    K_{n,m} K_{m,n} = I                         K_{1,n} = K_{n,1} = I
    K_{m,n} vec(M) = vec(M^T)                   (C ⊗ D) vec(M) = vec(D M C^T)
    vec(u w) = w^T ⊗ u                          (u a column, w a row)
    P ⊗ A + P ⊗ B = P ⊗ (A + B)                 A ⊗ P + B ⊗ P = (A + B) ⊗ P
"""
from collections import Counter
from functools import lru_cache

from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy import (Basic, Identity, Integer, Lambda, MatAdd, MatMul, Mod, S, Transpose, cancel,
                   default_sort_key, Dummy, expand, factor, floor)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf
from sympy.matrices.expressions.hadamard import HadamardProduct
from sympy.matrices.expressions.kronecker import KroneckerProduct
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import OneMatrix, ZeroMatrix
from sympy.matrices.immutable import ImmutableDenseMatrix
from sympy.matrices.matrixbase import MatrixBase

from .algebra import flat_matmul, matadd, product, scaled, transpose_of
from .constructs.commutation import CommutationMatrix
from .constructs.scalars import scalar
from .constructs.vec import Vec, vec
from .errors import UnsupportedError
from .identify import gradient_terms
from .simplify import absorb_sign, factor_terms, simplify_result

__all__ = ["Vec", "vec", "vec_jacobian", "scalar_jacobian", "simplify_jacobian"]


# --------------------------------------------------------------------------
# small constructors
# --------------------------------------------------------------------------

_product, _scaled = product, scaled


@lru_cache(maxsize=8192)
def _simplified(M):
    return simplify_result(M)


def _same(a, b):
    a, b = _sympify(a), _sympify(b)
    return a == b or expand(a - b) == 0


def _ones(n):
    return OneMatrix(n, 1)


# --------------------------------------------------------------------------
# identification: vec(L) = J vec(dX)
# --------------------------------------------------------------------------

def vec_jacobian(L, dX, simplify=True):
    """J with vec(L) = J vec(dX), for a matrix differential L linear in dX."""
    rows = L.shape[0] * L.shape[1]
    terms = list(_jacobian_terms(L, dX))
    J = matadd(*terms) if terms else ZeroMatrix(rows, dX.shape[0] * dX.shape[1])
    return simplify_jacobian(J) if simplify else J


def scalar_jacobian(s, dX, simplify=True):
    """The row vec(G)^T with s = vec(G)^T vec(dX) = tr(G^T dX), s a scalar differential."""
    terms = gradient_terms(s, dX)
    if not terms:
        return ZeroMatrix(1, dX.shape[0] * dX.shape[1])
    G = matadd(*terms)
    if simplify:
        G = simplify_result(G)
    return transpose_of(vec(G))


def _jacobian_terms(L, dX):
    if L == dX:
        yield Identity(dX.shape[0] * dX.shape[1])
    elif isinstance(L, ZeroMatrix) or not L.has(dX):
        return
    elif isinstance(L, MatAdd):
        for a in L.args:
            yield from _jacobian_terms(a, dX)
    elif isinstance(L, Transpose):
        K = CommutationMatrix(*L.arg.shape)
        for J in _jacobian_terms(L.arg, dX):
            yield MatMul(K, J)
    elif isinstance(L, MatMul):
        yield from _matmul_terms(L, dX)
    elif isinstance(L, HadamardProduct):
        inner = [a for a in L.args if a.has(dX)]
        if len(inner) != 1:
            raise UnsupportedError(f"a differential that is not linear in {dX}: {L}")
        others = [a for a in L.args if a is not inner[0]]
        A = others[0] if len(others) == 1 else HadamardProduct(*others)
        D = DiagMatrix(vec(A))
        for J in _jacobian_terms(inner[0], dX):
            yield MatMul(D, J)
    elif isinstance(L, DiagonalMatrix):
        n = L.shape[0]
        D = DiagMatrix(Vec(Identity(n)))
        for J in _jacobian_terms(L.args[0], dX):
            yield MatMul(D, J)
    elif isinstance(L, DiagMatrix):
        n = L.shape[0]
        S_ = MatMul(DiagMatrix(Vec(Identity(n))), KroneckerProduct(_ones(n), Identity(n)))
        for J in _jacobian_terms(L.args[0], dX):
            yield MatMul(S_, J)
    elif isinstance(L, DiagonalOf):
        n = L.args[0].shape[0]
        S_ = MatMul(KroneckerProduct(transpose_of(_ones(n)), Identity(n)),
                    DiagMatrix(Vec(Identity(n))))
        for J in _jacobian_terms(L.args[0], dX):
            yield MatMul(S_, J)
    elif isinstance(L, KroneckerProduct):
        yield from _kronecker_terms(L, dX)
    else:
        raise UnsupportedError(f"{type(L).__name__} in a matrix differential ({L})",
                               "no vec rule for this construct")


def _matmul_terms(L, dX):
    """vec(c A L B) = c (B^T ⊗ A) vec(L);  vec(s M) = vec(M) vec(G)^T (s scalar, linear in dX)."""
    coeff, mats = flat_matmul(L)
    linear = [k for k, m in enumerate(mats) if m.has(dX)]
    if coeff.has(dX):
        if linear:
            raise UnsupportedError(f"a differential that is not linear in {dX}: {L}")
        row = scalar_jacobian(coeff, dX)
        if isinstance(row, ZeroMatrix):
            return
        yield MatMul(vec(_product(mats)), row)
        return
    if len(linear) != 1:
        raise UnsupportedError(f"a differential that is not linear in {dX}: {L}")
    i = linear[0]
    inner = mats[i]
    A = _product(mats[:i]) if i > 0 else Identity(inner.shape[0])
    B = _product(mats[i + 1:]) if i + 1 < len(mats) else Identity(inner.shape[1])
    left = KroneckerProduct(transpose_of(B), A)
    for J in _jacobian_terms(inner, dX):
        yield _scaled(coeff, MatMul(left, J))


def _kronecker_terms(L, dX):
    """vec(A ⊗ B) = (I_b ⊗ K_{d,a} ⊗ I_c)(vec A ⊗ vec B)  (A a x b, B c x d)."""
    args = list(L.args)
    A = args[0]
    B = args[1] if len(args) == 2 else KroneckerProduct(*args[1:])
    (a, b), (c, d) = A.shape, B.shape
    P = KroneckerProduct(Identity(b), CommutationMatrix(d, a), Identity(c))
    if A.has(dX) and B.has(dX):
        raise UnsupportedError(f"a differential that is not linear in {dX}: {L}")
    if B.has(dX):
        left, inner = MatMul(P, KroneckerProduct(Vec(A), Identity(c * d))), B
    else:
        left, inner = MatMul(P, KroneckerProduct(Identity(a * b), Vec(B))), A
    for J in _jacobian_terms(inner, dX):
        yield MatMul(left, J)


# --------------------------------------------------------------------------
# the Kronecker-form simplifier
# --------------------------------------------------------------------------

def simplify_jacobian(J, max_terms=64):
    """A compact Kronecker form of J (see the module docstring for the rules)."""
    terms = []
    for coeff, factors in _monomials(J, max_terms):
        coeff, factors = _simplify_product(coeff, factors)
        if coeff != 0:
            terms.append((coeff, tuple(factors)))
    collected = {}
    for coeff, factors in terms:
        collected[factors] = collected.get(factors, S.Zero) + coeff
    terms = [(c, f) for f, c in collected.items() if c != 0]
    if not terms:
        return ZeroMatrix(*J.shape)
    result = factor_terms(sorted(terms, key=lambda t: default_sort_key(t[1])), J.shape)
    return absorb_sign(_merge_kronecker_sums(result))


def _monomials(J, limit):
    """[(c, [F1, ..., Fk])] with J = sum c F1 ... Fk; a sum inside a product is expanded
    only when it holds Kronecker or commutation factors (others stay whole)."""
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


def _structural_sum(M):
    return isinstance(M, (MatAdd, MatMul)) and M.has(KroneckerProduct, CommutationMatrix, Vec)


def _simplify_product(coeff, factors):
    """Apply the product rules to c F1 ... Fk until none applies."""
    coeff, factors = _normalize_factors(coeff, factors)
    changed = True
    while changed:
        changed = False
        for i in range(len(factors) - 1):
            out = _pair_rule(factors[i], factors[i + 1])
            if out is not None:
                c, new = out
                coeff, factors = _normalize_factors(coeff * c, factors[:i] + new + factors[i + 2:])
                changed = True
                break
    return coeff, factors


def _normalize_factors(coeff, factors):
    """Kronecker factors in canonical form, their scalars pulled out, identities dropped."""
    out = []
    for F in factors:
        c, F = _normalize_factor(F)
        coeff = coeff * c
        fc, mats = flat_matmul(F)
        coeff = coeff * fc
        out.extend(mats)
    kept = [F for F in out if not isinstance(F, Identity)]
    if not kept and out:
        kept = [Identity(out[0].shape[0])]
    if any(isinstance(F, ZeroMatrix) for F in kept):
        return S.Zero, kept
    return coeff, kept


def _normalize_factor(F):
    """(c, F') with F = c F'."""
    if isinstance(F, KroneckerProduct):
        return _kron(*F.args)
    if isinstance(F, CommutationMatrix):
        return S.One, F.doit()
    if isinstance(F, Transpose):
        if isinstance(F.arg, Vec):
            c, column = _normalize_factor(F.arg)
            return c, transpose_of(column)
        pushed = transpose_of(F.arg)
        if isinstance(pushed, Transpose) and pushed.arg == F.arg:
            return S.One, F
        return _normalize_factor(pushed)
    if isinstance(F, Vec):
        c, inner = _split_scalar(_simplified(F.arg))
        return c, vec(inner)
    if isinstance(F, DiagMatrix):
        c, inner = _split_scalar(_tidy_elementwise(F.args[0]))
        return c, DiagMatrix(inner)
    if isinstance(F, MatMul):
        return _split_scalar(F)
    if isinstance(F, MatrixExpr) and F.shape != (1, 1) and not isinstance(F, (Identity, ZeroMatrix)):
        c, inner = _split_scalar(_simplified(F))
        return c, inner
    return S.One, F


def _split_scalar(F):
    if isinstance(F, MatMul):
        c, mats = flat_matmul(F)
        return c, _product(mats)
    return S.One, F


def _kron(*args):
    """(c, A1 ⊗ ... ⊗ Ak) canonical: flat, simplified factors, scalars out, I_1 dropped,
    adjacent identities merged; 1x1 factors become scalars."""
    flat = []
    for a in args:
        flat.extend(a.args if isinstance(a, KroneckerProduct) else (a,))
    coeff, parts = S.One, []
    for a in flat:
        if isinstance(a, Vec):
            c0, a = _normalize_factor(a)
        else:
            c0, a = S.One, _simplified(a)
        c, a = _split_scalar(a)
        coeff = coeff * c0 * c
        if a.shape == (1, 1):
            if not isinstance(a, Identity):
                coeff = coeff * scalar(a)
            continue
        if parts and isinstance(a, Identity) and isinstance(parts[-1], Identity):
            parts[-1] = Identity(parts[-1].shape[0] * a.shape[0])
            continue
        parts.append(a)
    if not parts:
        return coeff, Identity(1)
    if len(parts) == 1:
        return coeff, parts[0]
    return coeff, KroneckerProduct(*parts)


_ELEMENT = Dummy("u")


def _tidy_elementwise(M):
    """Elementwise-function bodies in lowest terms (exp(t)/(exp(t) + 1)^2, not a
    difference), on one bound variable so that equal functions compare equal."""
    def tidy(e):
        function = e.function
        if not isinstance(function, Lambda):
            return e
        body = function.expr.xreplace({function.variables[0]: _ELEMENT})
        neat = min((body, cancel(body), factor(body)), key=lambda b: (len(str(b)), str(b)))
        return ElementwiseApplyFunction(Lambda(_ELEMENT, neat), e.expr)
    return M.replace(lambda e: isinstance(e, ElementwiseApplyFunction), tidy)


def _pair_rule(P, Q):
    """(c, [factors]) replacing the adjacent product P Q, or None."""
    # K_{n,m} K_{m,n} = I
    if isinstance(P, CommutationMatrix) and isinstance(Q, CommutationMatrix):
        if _same(P.m, Q.n) and _same(P.n, Q.m):
            return S.One, [Identity(P.shape[0])]
        return None
    # diag(u) diag(v) = diag(u ∘ v)
    if isinstance(P, DiagMatrix) and isinstance(Q, DiagMatrix):
        u, v = P.args[0], Q.args[0]
        if u.shape == v.shape and u.shape[1] == 1:
            c, uv = _split_scalar(_hadamard(u, v))
            return c, [DiagMatrix(uv)]
    # (A ⊗ B)(C ⊗ D) = AC ⊗ BD
    if isinstance(P, KroneckerProduct) and isinstance(Q, KroneckerProduct):
        if len(P.args) == len(Q.args) and all(_same(a.shape[1], b.shape[0])
                                              for a, b in zip(P.args, Q.args)):
            c, K = _kron(*[MatMul(a, b) for a, b in zip(P.args, Q.args)])
            return c, [K]
    # (C ⊗ D) K_{b,d} = K_{a,c} (D ⊗ C)
    if isinstance(P, KroneckerProduct) and len(P.args) == 2 and isinstance(Q, CommutationMatrix):
        C, D = P.args
        if _same(Q.m, C.shape[1]) and _same(Q.n, D.shape[1]):
            return S.One, [CommutationMatrix(C.shape[0], D.shape[0]), KroneckerProduct(D, C)]
    # K_{m,n} vec(M) = vec(M^T);  vec(G)^T K_{m,n} = vec(G^T)^T
    if isinstance(P, CommutationMatrix) and _is_vec(Q):
        M = _vec_arg(Q)
        if M is not None and _same(M.shape[0], P.m) and _same(M.shape[1], P.n):
            return S.One, [vec(transpose_of(M))]
    if _is_vec_row(P) and isinstance(Q, CommutationMatrix):
        G = _vec_arg(transpose_of(P))
        if G is not None and _same(G.shape[0], Q.n) and _same(G.shape[1], Q.m):
            return S.One, [transpose_of(vec(transpose_of(G)))]
    # (C ⊗ D) vec(M) = vec(D M C^T);  vec(G)^T (C ⊗ D) = vec(D^T G C)^T
    if isinstance(P, KroneckerProduct) and len(P.args) == 2 and _is_vec(Q):
        C, D = P.args
        M = _vec_arg(Q)
        if M is not None and _same(D.shape[1], M.shape[0]) and _same(C.shape[1], M.shape[1]):
            return S.One, [vec(simplify_result(MatMul(D, M, transpose_of(C))))]
    if _is_vec_row(P) and isinstance(Q, KroneckerProduct) and len(Q.args) == 2:
        C, D = Q.args
        G = _vec_arg(transpose_of(P))
        if G is not None and _same(G.shape[0], D.shape[0]) and _same(G.shape[1], C.shape[0]):
            return S.One, [transpose_of(vec(simplify_result(MatMul(transpose_of(D), G, C))))]
    return None


def _is_vec(M):
    return isinstance(M, Vec)


def _is_vec_row(M):
    return isinstance(M, Transpose) and isinstance(M.arg, Vec)


def _vec_arg(M):
    return M.arg if isinstance(M, Vec) else None


def _hadamard(*factors):
    """u ∘ v ∘ ... with nested products flattened, scalars pulled out, ones dropped."""
    coeff, flat = S.One, []
    for f in factors:
        for g in (f.args if isinstance(f, HadamardProduct) else (f,)):
            c, g = _split_scalar(g)
            coeff = coeff * c
            if not isinstance(g, OneMatrix):
                flat.append(g)
    if not flat:
        return _scaled(coeff, OneMatrix(*factors[0].shape))
    vecs = [g for g in flat if isinstance(g, Vec)]
    if len(vecs) > 1 and all(g.arg.shape == vecs[0].arg.shape for g in vecs):
        # vec(U) ∘ vec(V) = vec(U ∘ V)
        inner = HadamardProduct(*sorted((g.arg for g in vecs), key=default_sort_key))
        flat = [g for g in flat if not isinstance(g, Vec)] + [Vec(inner)]
    if len(flat) == 1 and coeff.is_Number and isinstance(flat[0], ElementwiseApplyFunction):
        # c φ(U) = (c φ)(U): one elementwise function
        function = flat[0].function
        var = function.variables[0]
        return _tidy_elementwise(ElementwiseApplyFunction(Lambda(var, coeff * function.expr),
                                                          flat[0].expr))
    body = flat[0] if len(flat) == 1 else HadamardProduct(*sorted(flat, key=default_sort_key))
    return _scaled(coeff, body)


def _collect_hadamard(terms):
    """sum_i c_i (u_i ∘ f) = (sum_i c_i u_i) ∘ f for a factor f common to every term."""
    split = []
    terms = [_tidy_elementwise(t) for t in terms]
    for t in terms:
        c, body = _split_scalar(t)
        split.append((c, list(body.args) if isinstance(body, HadamardProduct) else [body]))
    # a multiset: u ∘ u ∘ v and u ∘ w share one u, not two
    common = Counter(split[0][1])
    for _, fs in split[1:]:
        common &= Counter(fs)
    if not common:
        return _simplified(matadd(*terms))
    rest = []
    for c, fs in split:
        left = list((Counter(fs) - common).elements())
        rest.append(_scaled(c, _hadamard(*left) if left else OneMatrix(*terms[0].shape)))
    return _hadamard(_simplified(matadd(*rest)), *common.elements())


def _merge_diagonal_sums(args):
    """c diag(u) + d diag(v) = diag(c u + d v), the sum collected over common Hadamard factors."""
    diags, rest = [], []
    for a in args:
        c, mats = flat_matmul(a)
        if len(mats) == 1 and isinstance(mats[0], DiagMatrix) and mats[0].args[0].shape[1] == 1:
            diags.append(_scaled(c, mats[0].args[0]))
        else:
            rest.append(a)
    if len(diags) < 2:
        return args
    c, inner = _split_scalar(_collect_hadamard(diags))
    return [_scaled(c, DiagMatrix(inner))] + rest


def _merge_kronecker_sums(expr):
    """P ⊗ A + P ⊗ B = P ⊗ (A + B) and A ⊗ P + B ⊗ P = (A + B) ⊗ P, everywhere in expr;
    likewise diag(u) + diag(v) = diag(u + v)."""
    if isinstance(expr, MatMul):
        coeff, mats = flat_matmul(expr)
        new = [_merge_kronecker_sums(m) for m in mats]
        if new == mats:
            return expr
        inner, mats = flat_matmul(MatMul(*new))
        return MatMul(coeff * inner, *mats) if coeff * inner != 1 else MatMul(*mats)
    if not isinstance(expr, MatAdd):
        return expr
    args = _merge_diagonal_sums([_merge_kronecker_sums(a) for a in expr.args])
    for side in (0, -1):
        groups = {}
        rest = []
        for a in args:
            c, mats = flat_matmul(a)
            if len(mats) == 1 and isinstance(mats[0], KroneckerProduct) and len(mats[0].args) == 2:
                first, second = mats[0].args
                key, other = (first, second) if side == 0 else (second, first)
                groups.setdefault(key, []).append((c, other, a))
            else:
                rest.append(a)
        if not any(len(g) > 1 for g in groups.values()):
            continue
        merged = []
        for key, members in groups.items():
            if len(members) == 1:
                merged.append(members[0][2])
                continue
            inner = _simplified(matadd(*[_scaled(c, other) for c, other, _ in members]))
            c, inner = _split_scalar(inner)
            pair = (key, inner) if side == 0 else (inner, key)
            merged.append(_scaled(c, KroneckerProduct(*pair)))
        args = merged + rest
    return matadd(*args)
