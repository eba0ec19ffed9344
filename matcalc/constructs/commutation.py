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
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy import Identity, Integer, KroneckerDelta, Mod, S, Transpose, floor, igcd
from sympy.matrices.expressions.kronecker import KroneckerProduct
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import transpose_of
from ..registry import JACOBIAN_FACTOR, PAIRS, STRUCTURAL_FACTORS, TRANSPOSE, construct
from ..shapes import same_size
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
    ``K_{m,n}`` (LaTeX); NumPy code builds the permutation of ``eye(m n)``.
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
        return f"K({printer._print(self.m)}, {printer._print(self.n)})"

    def _latex(self, printer):
        return "K_{%s,%s}" % (printer._print(self.m), printer._print(self.n))

    def _numpycode(self, printer):
        # the same code as MatcalcNumPyPrinter._print_CommutationMatrix
        np = printer._module
        m, n = (printer._print(a) for a in (self.m, self.n))
        return ("%s((%s)*(%s))[%s((%s)*(%s)).reshape((%s, %s), order='F').T.ravel(order='F')]"
                % (printer._module_format(np + ".eye"), m, n,
                   printer._module_format(np + ".arange"), m, n, m, n))


def commutation(m, n):
    """K_{m,n}: ``commutation(m, n) vec(A) = vec(A^T)`` for A m x n."""
    return CommutationMatrix(m, n)


construct(CommutationMatrix, "matrix", leaf=True)


# == identification ==


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


# == parsing ==


# == numeric ==


# == codegen ==
