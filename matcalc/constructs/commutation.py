r"""The commutation matrix ``K_{m,n}``: ``K_{m,n} vec(A) = vec(A^T)`` for A m x n.

``vec`` stacks columns (column-major), so entry (i, j) of A sits at position
``i + j m`` of vec(A) and at position ``j + i n`` of vec(A^T):

    K_{m,n}[j + i n, i + j m] = 1,  every other entry 0        (mn x mn)

Identities (Magnus & Neudecker, ch. 3, sec. 7):

    K_{m,n}^T = K_{m,n}^{-1} = K_{n,m}         K_{1,n} = K_{n,1} = I_n
    K_{p,m} (A ⊗ B) K_{n,q} = B ⊗ A           (A m x n, B p x q)
    vec(A ⊗ B) = (I_n ⊗ K_{q,m} ⊗ I_p)(vec A ⊗ vec B)
    det K_{m,n} = (-1)^{m n (m-1)(n-1)/4}       tr K_{m,n} = 1 + gcd(m-1, n-1)
"""
from sympy import Identity, Integer, KroneckerDelta, MatAdd, MatMul, Mod, S, Transpose, floor, igcd
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.kronecker import KroneckerProduct
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import transpose_of
from ..codegen.plan import StructuredFactor, formed_alone
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CANONICAL, CODEGEN, FUNCTIONS,
                        JACOBIAN_FACTOR, LATEX, NUMPY, PAIRS, STRUCTURAL_FACTORS,
                        STRUCTURED_FACTOR, TEXT, TRANSPOSE, VEC, construct, numpycode_hook)
from ..shapes import same_size
from .kronecker import KroneckerFactor, is_kronecker_product
from .vec import Vec, vec

__all__ = ["CommutationMatrix", "commutation_permutation", "commutation"]


def commutation_permutation(m, n):
    """The column picked by each row of K_{m,n}: ``perm[j + i n] = i + j m`` (concrete m, n)."""
    m, n = int(m), int(n)
    return [(r // n) + (r % n) * m for r in range(m * n)]


class CommutationMatrix(MatrixExpr):
    r"""``K_{m,n}`` (mn x mn): the permutation with ``K_{m,n} vec(A) = vec(A^T)``, A m x n.

    Sizes may be symbolic. ``as_explicit()`` needs concrete sizes; ``doit()``
    turns ``K_{1,n}`` and ``K_{n,1}`` into ``I_n``; printing: ``K(m, n)`` (str),
    ``commutation(m, n)`` (the text language), ``K_{m,n}`` (LaTeX); NumPy code builds the
    permutation of ``eye(m n)``.
    """

    is_commutative = False

    def __new__(cls, m, n):
        m, n = _sympify(m), _sympify(n)
        for d in (m, n):
            if d.is_integer is False or d.is_positive is False:
                raise ValueError(f"CommutationMatrix needs positive integer sizes, got {m}, {n}")
        return super().__new__(cls, m, n)

    @property
    def m(self):
        return self.args[0]

    @property
    def n(self):
        return self.args[1]

    @property
    def shape(self):
        size = self.m * self.n
        return (size, size)

    def _entry(self, i, j, **kwargs):
        m, n = self.m, self.n
        i, j = _sympify(i), _sympify(j)
        if all(a.is_Integer for a in (i, j, m, n)):
            return Integer(1) if int(j) == commutation_permutation(m, n)[int(i)] else Integer(0)
        return KroneckerDelta(j, floor(i / n) + Mod(i, n) * m)

    def _eval_transpose(self):
        return CommutationMatrix(self.n, self.m)

    def _eval_inverse(self):
        return CommutationMatrix(self.n, self.m)

    def _eval_determinant(self):
        m, n = self.m, self.n
        return Integer(-1) ** (m * n * (m - 1) * (n - 1) / 4)

    def _eval_trace(self):
        if self.m.is_Integer and self.n.is_Integer:
            return Integer(1 + igcd(int(self.m) - 1, int(self.n) - 1))
        return None

    def doit(self, **hints):
        if self.m == 1 or self.n == 1:
            return Identity(self.m * self.n)
        return self

    def _sympystr(self, printer):
        # SymPy's str: the short K(m, n); the text language spells it commutation(m, n)
        return f"K({printer._print(self.m)}, {printer._print(self.n)})"

    def _latex(self, printer):   # sympy.latex prints the registered notation
        return LATEX(self, printer)


def commutation(m, n):
    """K_{m,n}: ``commutation(m, n) vec(A) = vec(A^T)`` for A m x n."""
    return CommutationMatrix(m, n)


construct(CommutationMatrix, "matrix", leaf=True)


# == identification ==


@VEC.register(KroneckerProduct)
def vec_kronecker(L, walk):
    """vec(A ⊗ B) = (I_b ⊗ K_{d,a} ⊗ I_c)(vec A ⊗ vec B)  (A a x b, B c x d)."""
    args = list(L.args)
    A = args[0]
    B = args[1] if len(args) == 2 else KroneckerProduct(*args[1:])
    (a, b), (c, d) = A.shape, B.shape
    P = KroneckerProduct(Identity(b), CommutationMatrix(d, a), Identity(c))
    if walk.has(A) and walk.has(B):
        raise walk.nonlinear(L)
    if walk.has(B):
        left, inner = MatMul(P, KroneckerProduct(Vec(A), Identity(c * d))), B
    else:
        left, inner = MatMul(P, KroneckerProduct(Identity(a * b), Vec(B))), A
    for J in walk(inner):
        yield MatMul(left, J)


# == simplification ==


STRUCTURAL_FACTORS.add(CommutationMatrix)


@JACOBIAN_FACTOR.register(CommutationMatrix)
def canonical_commutation(F, form):
    """K_{1,n} = K_{n,1} = I_n."""
    return S.One, F.doit()


@PAIRS.register(CommutationMatrix, CommutationMatrix)
def commutation_inverse(P, Q, form):
    """K_{n,m} K_{m,n} = I."""
    if same_size(P.m, Q.n) and same_size(P.n, Q.m):
        return S.One, [Identity(P.shape[0])]
    return None


@PAIRS.register(KroneckerProduct, CommutationMatrix, when=lambda P, Q: len(P.args) == 2)
def kronecker_past_commutation(P, Q, form):
    """(C ⊗ D) K_{b,d} = K_{a,c} (D ⊗ C)   (C a x b, D c x d: K moves left)."""
    C, D = P.args
    if same_size(Q.m, C.shape[1]) and same_size(Q.n, D.shape[1]):
        return S.One, [CommutationMatrix(C.shape[0], D.shape[0]), KroneckerProduct(D, C)]
    return None


@CANONICAL.register(MatMul)
def commutation_moves_left(e):
    """(C ⊗ D) K_{b,d} = K_{a,c} (D ⊗ C) in every product (``kronecker_past_commutation``),
    so that K (A ⊗ A) and (A ⊗ A) K compare equal."""
    coeff, mats = e.as_coeff_matrices()
    for k in range(len(mats) - 1):
        P, Q = mats[k], mats[k + 1]
        if isinstance(P, KroneckerProduct) and isinstance(Q, CommutationMatrix) \
                and len(P.args) == 2:
            moved = kronecker_past_commutation(P, Q, None)
            if moved is not None:
                return MatMul(coeff, *mats[:k], *moved[1], *mats[k + 2:])
    return e


@PAIRS.register(CommutationMatrix, Vec)
def commutation_times_vec(P, Q, form):
    """K_{m,n} vec(M) = vec(M^T)."""
    M = Q.arg
    if same_size(M.shape[0], P.m) and same_size(M.shape[1], P.n):
        return S.One, [vec(transpose_of(M))]
    return None


@PAIRS.register(Transpose, CommutationMatrix, when=lambda P, Q: isinstance(P.arg, Vec))
def vec_row_times_commutation(P, Q, form):
    """vec(G)^T K_{m,n} = vec(G^T)^T."""
    G = P.arg.arg
    if same_size(G.shape[0], Q.n) and same_size(G.shape[1], Q.m):
        return S.One, [transpose_of(vec(transpose_of(G)))]
    return None


# == structure ==

@TRANSPOSE.register(CommutationMatrix)
def transpose_commutation(K):
    """K_{m,n}^T = K_{n,m}."""
    return K._eval_transpose()


# == printing ==

@LATEX.register(CommutationMatrix)
def latex_commutation(K, printer):
    """``K_{m,n}``."""
    return "K_{%s,%s}" % (printer._print(K.m), printer._print(K.n))


@TEXT.register(CommutationMatrix)
def text_commutation(K, printer):
    """``commutation(m, n)``: K is a common name of a user's own matrix, so the language
    spells the commutation matrix out (SymPy's ``str`` keeps the short ``K(m, n)``)."""
    return printer.call(read_commutation.name, K.m, K.n)


ATOMIC_LATEX.register(CommutationMatrix)(lambda K: True)
ATOMIC_TEXT.register(CommutationMatrix)(lambda K: True)


# == parsing ==

@FUNCTIONS.define("commutation", args=2, dimensions=True)
def read_commutation(call):
    """commutation(m, n): K_{m,n}, with K vec(A) = vec(A^T) for A m x n."""
    return commutation(*call.args)


# == numeric ==

@NUMPY.register(CommutationMatrix)
def numpy_commutation(K, printer):
    """K_{m,n} -> the rows of ``eye(mn)`` permuted: row ``j + i n`` is the unit row picking
    entry ``i + j m`` of vec(A), so that K vec(A) = vec(A^T) for A m x n (column-major vec)."""
    m, n = (printer._print(a) for a in (K.m, K.n))
    return ("%s((%s)*(%s))[%s((%s)*(%s)).reshape((%s, %s), order='F').T.ravel(order='F')]"
            % (printer.np("eye"), m, n, printer.np("arange"), m, n, m, n))


CommutationMatrix._numpycode = numpycode_hook  # SymPy's own NumPy printers call it


# == codegen ==

@STRUCTURED_FACTOR.register(CommutationMatrix)
class CommutationFactor(StructuredFactor):
    """K_{m,n} in a product: K W = ``B.comm_apply(m, n, W)`` (a transpose of reshaped
    columns), W K = (K_{n,m} W^T)^T; formed (a permuted identity) only when alone;
    K_{1,n} = K_{n,1} = I is dropped.  K (A ⊗ B) is formed in one pass (``fused``)."""

    def __init__(self, K, emit):
        self.expr, self.m, self.n, self.shape = K, emit.dim(K.m), emit.dim(K.n), emit.shape(K)
        self.is_identity = self.m == 1 or self.n == 1

    def form(self, emit, env):
        return emit.emit(f"B.commutation({self.m}, {self.n})")

    def apply_left(self, emit, W, env):
        return emit.emit(f"B.comm_apply({self.m}, {self.n}, {W})")

    def apply_right(self, emit, W, env):
        return emit.T(emit.emit(f"B.comm_apply({self.n}, {self.m}, {emit.T(W)})"))

    def fused(self, coeff, factors, emit, env):
        """K_{r2,r1} (A ⊗ B) = ``B.comm_kron(A, B)`` (A r1 x c1, B r2 x c2), one pass;
        K (A ⊗ B + C ⊗ D) = K (A ⊗ B) + K (C ⊗ D)."""
        if len(factors) != 2:
            return None
        right = factors[1]
        if isinstance(right, KroneckerFactor) and len(right.args) == 2 \
                and (self.m, self.n) == (right.parts[1][0], right.parts[0][0]):
            return right.form_scaled(coeff, emit, env, "comm_kron")
        if isinstance(right, MatAdd) and coeff.is_Number \
                and all(is_kronecker_product(emit.split(t)[1]) for t in right.args):
            terms = [emit.chain([self.expr, emit.split(t)[1]], env, coeff * emit.split(t)[0])
                     for t in right.args]
            return emit.emit(" + ".join(terms))
        return None


CODEGEN.register(CommutationMatrix)(formed_alone)
