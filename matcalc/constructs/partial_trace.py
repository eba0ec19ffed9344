r"""The partial traces ``tr_1`` and ``tr_2`` of a matrix in Kronecker layout.

For M of shape (k r) x (k s), seen as a k x k grid of r x s blocks M_{αβ}, and for M of shape
(r k) x (s k), seen as an r x s grid of k x k blocks:

    tr_1^{(k)}(M) = Σ_α M_{αα}                 (r x s: the first factor traced out)
    tr_2^{(k)}(M)_{γδ} = tr(M_{γδ})            (r x s: the second factor traced out)

    tr_1(A ⊗ B) = tr(A) B,   tr_2(A ⊗ B) = tr(B) A                      (A, B square)
    d tr_i(M) = tr_i(dM)     <G, tr_1(L)> = <I_k ⊗ G, L>    <G, tr_2(L)> = <G ⊗ I_k, L>
    vec(tr_1 L) = (vec(I_k)^T ⊗ I_{rs})(I_k ⊗ K_{k,s} ⊗ I_r) vec(L)
    vec(tr_2 L) = (I_{rs} ⊗ vec(I_k)^T)(I_s ⊗ K_{r,k} ⊗ I_k) vec(L)
    tr_i(M)^T = tr_i(M^T)

They close the gradient through a Kronecker product under any cotangent G
(constructs/kronecker.py): ``<G, A ⊗ L> = <tr_1((A^T ⊗ I) G), L>``,
``<G, L ⊗ B> = <tr_2(G (I ⊗ B^T)), L>``.
"""
from sympy import Basic, Identity, MatMul
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import transpose_of
from ..errors import ShapeError
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, COTANGENT, DIFFERENTIAL, LATEX, NUMPY, REWRITE,
                        TEXT, TRANSPOSE, VALIDATE, VEC, construct)
from ..shapes import same_size
from .commutation import commutation
from .kronecker import is_kronecker_product, kron
from .trace import trace
from .vec import Vec

__all__ = ["PartialTrace", "partial_trace"]


class PartialTrace(MatrixExpr):
    r"""``tr_1^{(k)}(M)`` (``factor=1``) or ``tr_2^{(k)}(M)`` (``factor=2``): the trace over the
    first or second Kronecker factor, of size k, of M (see the module)."""

    def __new__(cls, M, k, factor):
        M, k, factor = _sympify(M), _sympify(k), _sympify(factor)
        if factor not in (1, 2):
            raise ValueError(f"a partial trace is over factor 1 or 2, got {factor}")
        return Basic.__new__(cls, M, k, factor)

    @property
    def arg(self):
        return self.args[0]

    @property
    def size(self):
        return self.args[1]

    @property
    def factor(self):
        return int(self.args[2])

    @property
    def shape(self):
        rows, cols = self.arg.shape
        return (rows / self.size, cols / self.size)

    def _sympystr(self, printer):   # str() and sympy.latex print the registered notation
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)


def partial_trace(M, k, factor):
    """tr_1^{(k)}(M) or tr_2^{(k)}(M), simplified: tr_1(A ⊗ B) = tr(A) B and
    tr_2(A ⊗ B) = tr(B) A for a square traced factor of size k."""
    if is_kronecker_product(M) and len(M.args) == 2:
        A, B = M.args
        traced, kept = (A, B) if factor == 1 else (B, A)
        if same_size(traced.shape[0], k) and same_size(traced.shape[1], k):
            return MatMul(trace(traced), kept)
    return PartialTrace(M, k, factor)


construct(PartialTrace, "matrix", linear=True, refuses={
    "codegen": "a partial trace has no generated code yet (evaluate it with matcalc.numeric)"})


# == differential ==

@DIFFERENTIAL.register(PartialTrace, "d tr_i(M) = tr_i(dM)",
                       note=r"$\mathrm{d}\operatorname{tr}_i(M) = \operatorname{tr}_i(\mathrm{d}M)$")
def d_partial_trace(U, d):
    """d tr_i(M) = tr_i(dM)."""
    return PartialTrace(d(U.arg), U.size, U.factor)


# == identification ==

@COTANGENT.register(PartialTrace)
def cotangent_partial_trace(L, G, walk):
    """<G, tr_1(L)> = <I_k ⊗ G, L>;  <G, tr_2(L)> = <G ⊗ I_k, L>."""
    I = Identity(L.size)
    yield from walk(L.arg, kron(I, G) if L.factor == 1 else kron(G, I))


@VEC.register(PartialTrace)
def vec_partial_trace(L, walk):
    """vec(tr_1 L) = (vec(I_k)^T ⊗ I_{rs})(I_k ⊗ K_{k,s} ⊗ I_r) vec(L);
    vec(tr_2 L) = (I_{rs} ⊗ vec(I_k)^T)(I_s ⊗ K_{r,k} ⊗ I_k) vec(L)."""
    k = L.size
    r, s = L.shape
    row = transpose_of(Vec(Identity(k)))
    if L.factor == 1:
        P = MatMul(kron(row, Identity(r * s)), kron(Identity(k), commutation(k, s), Identity(r)))
    else:
        P = MatMul(kron(Identity(r * s), row), kron(Identity(s), commutation(r, k), Identity(k)))
    for J in walk(L.arg):
        yield MatMul(P, J)


# == simplification ==

@REWRITE.register(PartialTrace)
def partial_trace_of_kronecker(e):
    """tr_1(A ⊗ B) = tr(A) B,  tr_2(A ⊗ B) = tr(B) A."""
    out = partial_trace(e.arg, e.size, e.factor)
    return e if out == e else out


# == structure ==

@TRANSPOSE.register(PartialTrace)
def transpose_partial_trace(M):
    """tr_i(M)^T = tr_i(M^T)."""
    return PartialTrace(transpose_of(M.arg), M.size, M.factor)


@VALIDATE.register(PartialTrace)
def validate_partial_trace(node):
    """The rows and the columns of M are multiples of k (as expressions)."""
    for d in node.shape:
        if d.is_number and not d.is_integer:
            raise ShapeError(f"the partial trace {node}: the size {node.size} does not divide "
                             f"the shape {node.arg.shape[0]} x {node.arg.shape[1]}")


# == printing ==

@LATEX.register(PartialTrace)
def latex_partial_trace(M, printer):
    r"""``\operatorname{tr}_{1}\left(M\right)`` (the traced factor's size is M's)."""
    return r"\operatorname{tr}_{%d}\left(%s\right)" % (M.factor, printer._print(M.arg))


@TEXT.register(PartialTrace)
def text_partial_trace(M, printer):
    """``ptrace1(M, k)``, ``ptrace2(M, k)`` (printed only: the language has no partial trace
    yet)."""
    return "ptrace%d(%s, %s)" % (M.factor, printer._print(M.arg), printer._print(M.size))


ATOMIC_LATEX.register(PartialTrace)(lambda M: True)
ATOMIC_TEXT.register(PartialTrace)(lambda M: True)


# == numeric ==

@NUMPY.register(PartialTrace)
def numpy_partial_trace(M, printer):
    """tr_1: ``einsum('agad->gd', M.reshape(k, r, k, s))``;
    tr_2: ``einsum('gada->gd', M.reshape(r, k, s, k))``."""
    k = printer._print(M.size)
    r, s = (printer._print(d) for d in M.shape)
    shape, pattern = (f"({k}, {r}, {k}, {s})", "agad->gd") if M.factor == 1 else \
        (f"({r}, {k}, {s}, {k})", "gada->gd")
    return "%s('%s', %s(%s, %s))" % (printer.np("einsum"), pattern, printer.np("reshape"),
                                     printer._print(M.arg), shape)

