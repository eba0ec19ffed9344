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
from sympy import Identity, Integer, KroneckerDelta, Mod, floor, igcd
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..registry import TRANSPOSE, construct
from ..registry import ATOMIC_LATEX, ATOMIC_TEXT, FUNCTIONS, LATEX, TEXT

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


# == codegen ==
