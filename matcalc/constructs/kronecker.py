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
from ..registry import ATOMIC_TEXT, FUNCTIONS, LATEX, TEXT, sympy_notation

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


# == codegen ==
