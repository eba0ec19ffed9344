"""The Kronecker product ``U ⊗ V``.

    d(U ⊗ V) = dU ⊗ V + U ⊗ dV              d(u ⊗ w) = d(u w)   (u a column, w a row)
    <C ⊗ D, A ⊗ L> = tr(C^T A) <D, L>        (and mirrored; I_{pq} = I_p ⊗ I_q)
    vec(A ⊗ L) = (I_b ⊗ K_{d,a} ⊗ I_c)(vec(A) ⊗ I_{cd}) vec(L)      (A a x b, L c x d;
                 registered with the commutation matrix)
    (A ⊗ B)^T = A^T ⊗ B^T
"""
import math

from sympy import Identity, MatAdd, MatMul, Mul, S, Transpose, ZeroMatrix
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.kronecker import KroneckerProduct

from ..algebra import flat_matmul, matadd, matmul, scaled, split_coeff, transpose_of
from ..codegen.plan import StructuredFactor, elementwise_cost, formed_alone
from ..registry import (ATOMIC_TEXT, CANONICAL, CODEGEN, COTANGENT, DIFFERENTIAL, FUNCTIONS, JACOBIAN_FACTOR,
                        LATEX, NUMPY, PAIRS, STRUCTURAL_FACTORS, STRUCTURED_FACTOR, SUM_MERGES,
                        TEXT, TRANSPOSE, construct, sympy_notation)
from ..shapes import same_size
from .scalars import scalar
from .trace import trace
from .vec import Vec, vec

__all__ = ["kron"]


def kron(*factors):
    """A ⊗ B ⊗ ... (SymPy's ``KroneckerProduct``)."""
    return KroneckerProduct(*factors)


construct(KroneckerProduct, "matrix", linear=True)


# == differential ==

@DIFFERENTIAL.register(KroneckerProduct, "product rule: d(U ⊗ V) = dU ⊗ V + U ⊗ dV",
                       note=r"product rule for $\otimes$")
def d_kronecker(U, d):
    """d(U ⊗ V) = dU ⊗ V + U ⊗ dV;  a column ⊗ a row is their outer product u v^T."""
    args = list(U.args)
    if len(args) == 2:
        column = next((a for a in args if a.shape[1] == 1), None)
        row = next((a for a in args if a.shape[0] == 1 and a is not column), None)
        if column is not None and row is not None:
            return d(MatMul(column, row))
    return MatAdd(*[KroneckerProduct(*args[:i], d(a), *args[i + 1:])
                    for i, a in enumerate(args) if d.depends(a)])


# == identification ==

@COTANGENT.register(KroneckerProduct)
def cotangent_kronecker(L, G, walk):
    """<C ⊗ D, A ⊗ L> = tr(C^T A) <D, L>  (and mirrored) for a cotangent in Kronecker form
    (a sum of C ⊗ D, I_{pq} = I_p ⊗ I_q, (C ⊗ D)^{-1}, (C ⊗ D)^T and mixed products);
    any other G through a partial trace:
    <G, A ⊗ L> = <tr_1((A^T ⊗ I) G), L>,   <G, L ⊗ B> = <tr_2(G (I ⊗ B^T)), L>."""
    if len(L.args) != 2:
        L = KroneckerProduct(L.args[0], KroneckerProduct(*L.args[1:]))
    A, B = L.args
    if walk.has(A) and walk.has(B):
        raise walk.nonlinear(L)
    terms = kronecker_terms(G, A.shape, B.shape)
    if terms is None:
        from .partial_trace import partial_trace   # it imports this module
        if walk.has(B):
            left = KroneckerProduct(transpose_of(A), Identity(B.shape[0]))
            yield from walk(B, partial_trace(MatMul(left, G), A.shape[1], 1))
        else:
            right = KroneckerProduct(Identity(A.shape[1]), transpose_of(B))
            yield from walk(A, partial_trace(MatMul(G, right), B.shape[0], 2))
        return
    for coeff, C, D in terms:
        if walk.has(B):
            yield from walk(B, scaled(coeff * _trace_of_product(transpose_of(C), A), D))
        else:
            yield from walk(A, scaled(coeff * _trace_of_product(transpose_of(D), B), C))


def _trace_of_product(P, Q):
    """tr(P Q); tr(I_n) = n when the product cancels (tr(A^{-1} A)); tr(u w) = w u, a 1x1
    scalar, when the product starts with a column u (tr(d b^T A) = b^T A d)."""
    product = matmul(P, Q)
    if isinstance(product, Identity):
        return product.shape[0]
    coeff, mats = flat_matmul(product)
    if len(mats) > 1 and mats[0].shape[1] == 1:
        return coeff * scalar(matmul(*mats[1:], mats[0]))
    return trace(product)


def _fits(M, shape):
    return same_size(M.shape[0], shape[0]) and same_size(M.shape[1], shape[1])


def kronecker_terms(G, first, second):
    """[(c, C, D), ...] with G = sum c C ⊗ D, C of shape ``first`` and D of ``second``;
    None when G is not recognisably in that form."""
    coeff, M = split_coeff(G)
    if isinstance(M, MatAdd):
        parts = [kronecker_terms(t, first, second) for t in M.args]
        if any(p is None for p in parts):
            return None
        return [(coeff * c, C, D) for p in parts for c, C, D in p]
    pair = as_kronecker(M, (first[0], second[0]), (first[1], second[1]))
    if pair is None or not (_fits(pair[1], first) and _fits(pair[2], second)):
        return None
    c, C, D = pair
    return [(coeff * c, C, D)]


def as_kronecker(M, rows=None, cols=None):
    """(c, C, D) with M = c C ⊗ D, the factors' rows ``rows`` = (rows of C, rows of D) and
    columns ``cols`` (either may be None: free), or None.  Reads Kronecker products,
    I_{pq} = I_p ⊗ I_q, (C ⊗ D)^T = C^T ⊗ D^T, (C ⊗ D)^{-1} = C^{-1} ⊗ D^{-1} and the mixed
    product (A ⊗ B)(C ⊗ D) = AC ⊗ BD."""
    def fits(C, D):
        return ((rows is None or same_size(C.shape[0], rows[0]) and same_size(D.shape[0], rows[1]))
                and (cols is None or same_size(C.shape[1], cols[0])
                     and same_size(D.shape[1], cols[1])))

    if isinstance(M, Identity):
        split = rows or cols
        if split is None or (rows and cols and not (same_size(rows[0], cols[0])
                                                   and same_size(rows[1], cols[1]))):
            return None
        return S.One, Identity(split[0]), Identity(split[1])
    if isinstance(M, KroneckerProduct):
        args = list(M.args)
        for k in range(1, len(args)):
            C = args[0] if k == 1 else KroneckerProduct(*args[:k])
            D = args[-1] if k == len(args) - 1 else KroneckerProduct(*args[k:])
            if fits(C, D):
                return S.One, C, D
        return None
    if M.is_Inverse:
        square = rows or cols
        pair = as_kronecker(M.arg, square, square)
        if pair is None or not all(same_size(*F.shape) for F in pair[1:]):
            return None
        return 1 / pair[0], pair[1].I, pair[2].I
    if isinstance(M, Transpose):
        pair = as_kronecker(M.arg, cols, rows)
        return None if pair is None else (pair[0], transpose_of(pair[1]), transpose_of(pair[2]))
    if isinstance(M, MatMul):
        coeff, mats = flat_matmul(M)
        lefts, rights = [], []
        for k, F in enumerate(mats):
            pair = as_kronecker(F, rows, cols if k == len(mats) - 1 else None)
            if pair is None:
                return None
            coeff *= pair[0]
            lefts.append(pair[1])
            rights.append(pair[2])
            rows = (pair[1].shape[1], pair[2].shape[1])
        return coeff, MatMul(*lefts).doit(deep=False), MatMul(*rights).doit(deep=False)
    return None


# == simplification ==


def kron_canonical(args, form):
    """(c, A1 ⊗ ... ⊗ Ak) canonical: flat, simplified factors, scalars out, I_1 dropped,
    adjacent identities merged (I_a ⊗ I_b = I_{ab}); 1x1 factors become scalars."""
    flat = []
    for a in args:
        flat.extend(a.args if isinstance(a, KroneckerProduct) else (a,))
    coeff, parts = S.One, []
    for a in flat:
        c0, a = form.normalize(a) if isinstance(a, Vec) else (S.One, form.simplified(a))
        c, a = split_coeff(a)
        coeff = coeff * c0 * c
        if isinstance(a, ZeroMatrix) or coeff == 0:      # A ⊗ 0 = 0
            return S.One, ZeroMatrix(Mul(*[f.shape[0] for f in flat]),
                                     Mul(*[f.shape[1] for f in flat]))
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


STRUCTURAL_FACTORS.add(KroneckerProduct)


@JACOBIAN_FACTOR.register(KroneckerProduct)
def canonical_kronecker_factor(F, form):
    """A ⊗ B in canonical form (``kron_canonical``)."""
    return kron_canonical(F.args, form)


@PAIRS.register(KroneckerProduct, KroneckerProduct)
def mixed_product(P, Q, form):
    """(A ⊗ B)(C ⊗ D) = AC ⊗ BD."""
    if len(P.args) == len(Q.args) and all(same_size(a.shape[1], b.shape[0])
                                          for a, b in zip(P.args, Q.args)):
        c, K = kron_canonical([MatMul(a, b) for a, b in zip(P.args, Q.args)], form)
        return c, [K]
    return None


def _one_row(A):
    return A.shape[0] == 1


def _one_column(A):
    return A.shape[1] == 1


def _absorbed(P, Q):
    """The two factors of P Q as one Kronecker product, when one side is a two-factor
    Kronecker product with a one-row (from the left) or one-column (from the right) factor:
    M (a^T ⊗ B) = a^T ⊗ M B, M (A ⊗ b^T) = M A ⊗ b^T, (a ⊗ B) M = a ⊗ B M,
    (A ⊗ b) M = A M ⊗ b (M = 1 ⊗ M = M ⊗ 1, then the mixed product); else None."""
    if isinstance(Q, KroneckerProduct) and len(Q.args) == 2 \
            and not isinstance(P, KroneckerProduct):
        A, B = Q.args
        if _one_row(A) and same_size(P.shape[1], B.shape[0]):
            return [A, MatMul(P, B)]
        if _one_row(B) and same_size(P.shape[1], A.shape[0]):
            return [MatMul(P, A), B]
    if isinstance(P, KroneckerProduct) and len(P.args) == 2 \
            and not isinstance(Q, KroneckerProduct):
        A, B = P.args
        if _one_column(A) and same_size(B.shape[1], Q.shape[0]):
            return [A, MatMul(B, Q)]
        if _one_column(B) and same_size(A.shape[1], Q.shape[0]):
            return [MatMul(A, Q), B]
    return None


@PAIRS.register(MatrixExpr, KroneckerProduct, when=lambda P, Q: len(Q.args) == 2
                and not isinstance(P, KroneckerProduct))
@PAIRS.register(KroneckerProduct, MatrixExpr, when=lambda P, Q: len(P.args) == 2
                and not isinstance(Q, KroneckerProduct))
def into_kronecker(P, Q, form):
    """M (a^T ⊗ B) = a^T ⊗ M B, (a ⊗ B) M = a ⊗ B M, ... (``_absorbed``)."""
    factors = _absorbed(P, Q)
    if factors is None:
        return None
    c, K = kron_canonical(factors, form)
    return c, [K]


def _mixed(P, Q):
    """[AC, BD] for (A ⊗ B)(C ⊗ D) with fitting shapes, else None."""
    if isinstance(P, KroneckerProduct) and isinstance(Q, KroneckerProduct) \
            and len(P.args) == len(Q.args) \
            and all(same_size(a.shape[1], b.shape[0]) for a, b in zip(P.args, Q.args)):
        return [MatMul(a, b) for a, b in zip(P.args, Q.args)]
    return None


@CANONICAL.register(MatMul)
def kronecker_absorbs_neighbours(e):
    """(A ⊗ B)(C ⊗ D) = AC ⊗ BD and M (a^T ⊗ B) = a^T ⊗ M B, ... (``_absorbed``) in every
    product, to decide equality."""
    coeff, mats = e.as_coeff_matrices()
    for k in range(len(mats) - 1):
        factors = _mixed(mats[k], mats[k + 1]) or _absorbed(mats[k], mats[k + 1])
        if factors is not None:
            return MatMul(coeff, *mats[:k], KroneckerProduct(*factors), *mats[k + 2:])
    return e


@CANONICAL.register(KroneckerProduct)
def column_factor_first(e):
    """A ⊗ v = K_{a,c} (v ⊗ A) for a column v (c x 1) and an A (a x b) that is not one: the
    column factor first, so that (I ⊗ v)(v^T ⊗ P) and K (v v^T ⊗ P) compare equal."""
    if len(e.args) != 2:
        return e
    A, v = e.args
    if v.shape[1] == 1 and A.shape[1] != 1:
        from .commutation import commutation   # commutation.py builds on this module
        return MatMul(commutation(A.shape[0], v.shape[0]), KroneckerProduct(v, A))
    return e


def _distributed(M):
    """The terms of M: a sum's, or a product's over its first sum factor; else [M]."""
    if isinstance(M, MatAdd):
        return list(M.args)
    if isinstance(M, MatMul):
        coeff, mats = flat_matmul(M)
        for k, F in enumerate(mats):
            if isinstance(F, MatAdd):
                return [scaled(coeff, matmul(*mats[:k], t, *mats[k + 1:])) for t in F.args]
    return [M]


@CANONICAL.register(KroneckerProduct)
def kronecker_distributes(e):
    """A ⊗ (B + C) = A ⊗ B + A ⊗ C and A ⊗ (c B) = c (A ⊗ B), to decide equality."""
    for k, a in enumerate(e.args):
        terms = _distributed(a)
        if len(terms) > 1:
            return matadd(*[KroneckerProduct(*e.args[:k], t, *e.args[k + 1:]) for t in terms])
        c, body = split_coeff(a)
        if c != 1:
            return scaled(c, KroneckerProduct(*e.args[:k], body, *e.args[k + 1:]))
    return e


@PAIRS.register(KroneckerProduct, Vec, when=lambda P, Q: len(P.args) == 2)
def kronecker_times_vec(P, Q, form):
    """(C ⊗ D) vec(M) = vec(D M C^T)."""
    C, D = P.args
    M = Q.arg
    if same_size(D.shape[1], M.shape[0]) and same_size(C.shape[1], M.shape[1]):
        return S.One, [vec(form.simplified(MatMul(D, M, transpose_of(C))))]
    return None


@PAIRS.register(Transpose, KroneckerProduct,
                when=lambda P, Q: isinstance(P.arg, Vec) and len(Q.args) == 2)
def vec_row_times_kronecker(P, Q, form):
    """vec(G)^T (C ⊗ D) = vec(D^T G C)^T."""
    C, D = Q.args
    G = P.arg.arg
    if same_size(G.shape[0], D.shape[0]) and same_size(G.shape[1], C.shape[0]):
        return S.One, [transpose_of(vec(form.simplified(MatMul(transpose_of(D), G, C))))]
    return None


@SUM_MERGES.register(MatAdd, order=10)
def merge_kronecker_terms(terms, form):
    """P ⊗ A + P ⊗ B = P ⊗ (A + B) and A ⊗ P + B ⊗ P = (A + B) ⊗ P."""
    for side in (0, -1):
        groups, rest = {}, []
        for a in terms:
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
            inner = form.simplified(matadd(*[scaled(c, other) for c, other, _ in members]))
            c, inner = split_coeff(inner)
            pair = (key, inner) if side == 0 else (inner, key)
            merged.append(scaled(c, KroneckerProduct(*pair)))
        terms = merged + rest
    return terms


# == structure ==

@TRANSPOSE.register(KroneckerProduct)
def transpose_kronecker(M):
    """(A ⊗ B)^T = A^T ⊗ B^T."""
    return KroneckerProduct(*[transpose_of(a) for a in M.args])


# == printing ==

LATEX.register(KroneckerProduct)(sympy_notation)   # B^{T} \otimes A


@TEXT.register(KroneckerProduct)
def text_kronecker(M, printer):
    """``kron(A, B)``."""
    return printer.call(read_kron.name, *M.args)


ATOMIC_TEXT.register(KroneckerProduct)(lambda M: True)   # kron(A, B) is a call


# == parsing ==

@FUNCTIONS.define("kron", args=(2, None))
def read_kron(call):
    """kron(A, B, ...): the Kronecker product."""
    return kron(*[call.matrix(i) for i in range(len(call.args))])


# == numeric ==

@NUMPY.register(KroneckerProduct)
def numpy_kronecker(M, printer):
    """A ⊗ B ⊗ ... -> ``numpy.kron(numpy.kron(A, B), ...)``."""
    return printer.nested("kron", M.args)


# == codegen ==

@STRUCTURED_FACTOR.register(KroneckerProduct)
class KroneckerFactor(StructuredFactor):
    """F_1 ⊗ F_2 ⊗ ... in a product, applied without forming it (``B.kron_apply``):

        (A ⊗ M) vec(V) = vec(M V A^T)      column by column of W;   W (A ⊗ M) = ((A ⊗ M)^T W^T)^T

    an identity factor is passed as its size.  Formed alone as ``B.kron``; ``c (A ⊗ B)``
    in one pass with c on the smaller factor (``fused``)."""

    def __init__(self, M, emit, factors=None):
        self.args = tuple(M.args if factors is None else factors)
        self.parts = tuple(emit.shape(a) + (isinstance(a, Identity),) for a in self.args)
        self.shape = (math.prod(p[0] for p in self.parts), math.prod(p[1] for p in self.parts))

    def operands(self, emit, env):
        return ", ".join(str(emit.dim(a.shape[0])) if isinstance(a, Identity)
                         else emit.value(a, env) for a in self.args)

    def form(self, emit, env):
        return emit.emit(f"B.kron({self.operands(emit, env)})")

    def apply_left(self, emit, W, env):
        return emit.emit(f"B.kron_apply(({self.operands(emit, env)},), {W})")

    def apply_right(self, emit, W, env):
        flipped = KroneckerFactor(None, emit, [transpose_of(a) for a in self.args])
        return emit.T(flipped.apply_left(emit, emit.T(W), env))

    def apply_cost(self, columns, side="left", constant=False):
        parts = self.parts if side == "left" else [(c, r, i) for r, c, i in self.parts]
        rows = self.shape[0] if side == "left" else self.shape[1]
        # the products, and the reshaped copies of the result
        return kronecker_apply_cost(parts, columns) + elementwise_cost(rows * columns, 3)

    def fused(self, coeff, factors, emit, env):
        """c (A ⊗ B) alone: formed in one pass (``B.kron``), c on the smaller factor."""
        if len(factors) == 1 and len(self.args) == 2 and coeff.is_Number:
            return self.form_scaled(coeff, emit, env, "kron")
        return None

    def form_scaled(self, coeff, emit, env, operation):
        """``B.<operation>(A, B)`` for c (A ⊗ B) (two factors), c on the smaller one."""
        (r1, c1, _), (r2, c2, _) = self.parts
        A, Bk = (emit.value(a, env) for a in self.args)
        if coeff != 1:
            if r1 * c1 <= r2 * c2:
                A = emit.scaled(coeff, A, env)
            else:
                Bk = emit.scaled(coeff, Bk, env)
        return emit.emit(f"B.{operation}({A}, {Bk})")


def kronecker_apply_cost(parts, columns):
    """Flops of (A ⊗ M) on c columns: 2 c s q p for V_j A^T, then M on the c p columns
    (``parts``: (rows, cols, is_identity) of each factor; an identity costs nothing)."""
    p, q, identity = parts[0]
    if len(parts) == 1:
        return 0 if identity else 2 * p * q * columns
    s = math.prod(part[1] for part in parts[1:])
    cost = 0 if identity else 2 * columns * s * q * p
    return cost + kronecker_apply_cost(parts[1:], columns * p)


def is_kronecker_product(M):
    """Is M a Kronecker product (for the commutation matrix's fusion K (A ⊗ B + C ⊗ D))?"""
    return isinstance(M, KroneckerProduct)


CODEGEN.register(KroneckerProduct)(formed_alone)
