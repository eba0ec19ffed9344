"""Transposes pushed to the leaves, without SymPy's deep ``doit``.

SymPy's ``transpose()`` calls ``doit()`` on the whole result, which expands
``(x^T A x)[0, 0]`` into an index sum and ``det(X^T X)`` into ``det(X)^2``;
this module pushes ``^T`` inward one construct at a time and touches nothing else:

    (c A B)^T = c B^T A^T        (A + B)^T = A^T + B^T       (A^T)^T = A
    (A^{-1})^T = (A^T)^{-1}      (A^k)^T = (A^T)^k            (A ∘ B)^T = A^T ∘ B^T
    (A ⊗ B)^T = A^T ⊗ B^T        φ(A)^T = φ(A^T)              S^T = S  (S symmetric)
    diag(v)^T = diag(v)          I^T = I, 0^T = 0, 1^T = 1    M^T = M  (M 1x1)
"""
from sympy import Identity, Inverse, MatAdd, MatMul, MatPow, Mul, S
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.kronecker import KroneckerProduct
from sympy.matrices.expressions.matexpr import MatrixSymbol
from sympy.matrices.expressions.special import OneMatrix, ZeroMatrix
from sympy.matrices.expressions.transpose import Transpose

__all__ = ["transpose_of", "matadd", "matmul"]


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
    """A flat, sorted MatAdd without SymPy's canonicalizer (whose ``c*M`` runs a deep doit)."""
    from sympy import default_sort_key
    flat = []
    for t in terms:
        flat.extend(t.args if isinstance(t, MatAdd) else (t,))
    flat = [t for t in flat if not isinstance(t, ZeroMatrix)]
    if not flat:
        return terms[0] if terms else None
    if len(flat) == 1:
        return flat[0]
    return MatAdd(*sorted(flat, key=default_sort_key))


def transpose_of(M):
    """M^T with the transpose pushed to the symbols."""
    if isinstance(M, Transpose):
        return M.arg
    if tuple(M.shape) == (1, 1):
        return M
    if isinstance(M, MatrixSymbol):
        own = M._eval_transpose()
        return own if own is not None else Transpose(M)
    if isinstance(M, MatMul):
        coeff, mats = M.as_coeff_matrices()
        return matmul(coeff, *[transpose_of(m) for m in reversed(mats)])
    if isinstance(M, MatAdd):
        return matadd(*[transpose_of(a) for a in M.args])
    if isinstance(M, Inverse):
        return Inverse(transpose_of(M.arg))
    if isinstance(M, MatPow):
        return MatPow(transpose_of(M.base), M.exp)
    if isinstance(M, HadamardProduct):
        return HadamardProduct(*[transpose_of(a) for a in M.args])
    if isinstance(M, HadamardPower):
        return HadamardPower(transpose_of(M.base), M.exp)
    if isinstance(M, KroneckerProduct):
        return KroneckerProduct(*[transpose_of(a) for a in M.args])
    if isinstance(M, ElementwiseApplyFunction):
        return ElementwiseApplyFunction(M.function, transpose_of(M.expr))
    if isinstance(M, (Identity, DiagMatrix, DiagonalMatrix)) and M.shape[0] == M.shape[1]:
        return M
    if isinstance(M, ZeroMatrix):
        return ZeroMatrix(M.shape[1], M.shape[0])
    if isinstance(M, OneMatrix):
        return OneMatrix(M.shape[1], M.shape[0])
    own = getattr(M, "_eval_transpose", lambda: None)()
    return own if own is not None else Transpose(M)
