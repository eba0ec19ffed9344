"""The Kronecker product ``U ⊗ V``.

    d(U ⊗ V) = dU ⊗ V + U ⊗ dV              d(u ⊗ w) = d(u w)   (u a column, w a row)
    <C ⊗ D, A ⊗ L> = tr(C^T A) <D, L>        (and mirrored; I_{pq} = I_p ⊗ I_q)
    vec(A ⊗ L) = (I_b ⊗ K_{d,a} ⊗ I_c)(vec(A) ⊗ I_{cd}) vec(L)      (A a x b, L c x d)
    (A ⊗ B)^T = A^T ⊗ B^T
"""
from sympy import MatAdd, MatMul
from sympy.matrices.expressions.kronecker import KroneckerProduct

from ..algebra import transpose_of
from ..registry import DIFFERENTIAL, TRANSPOSE, construct
import math
from sympy import Identity
from ..registry import CODEGEN, NUMPY, STRUCTURED_FACTOR
from ..codegen.plan import StructuredFactor, formed_alone

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


# == simplification ==


# == structure ==

@TRANSPOSE.register(KroneckerProduct)
def transpose_kronecker(M):
    """(A ⊗ B)^T = A^T ⊗ B^T."""
    return KroneckerProduct(*[transpose_of(a) for a in M.args])


# == printing ==


# == parsing ==


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

    distributes = True

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

    def apply_cost(self, columns):
        return kronecker_apply_cost(self.parts, columns)

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
