"""Hypothesis strategies: random shape-consistent matrix expressions over every construct.

``scalar_functions(max_depth)`` draws a scalar f(X) of an n x n variable X built
from products, sums, transposes, well-conditioned inverses, integer powers,
Hadamard products and powers, elementwise functions, diag, Kronecker products,
traces, determinants, log-determinants, norms, 1x1 forms and scalar functions.
Inverses and logs only ever see well-conditioned / positive arguments, so a
failure is the engine's, not the draw's.
"""
from hypothesis import strategies as st
from sympy import (Determinant, Identity, Inverse, KroneckerProduct, MatAdd, MatMul, MatPow,
                   MatrixSymbol, Rational, Trace, Transpose, exp, log, sin, sqrt, symbols, tanh)
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

from matcalc import norm, scalar, sigmoid

n = symbols("n", integer=True, positive=True)
X = MatrixSymbol("X", n, n)
A, B = MatrixSymbol("A", n, n), MatrixSymbol("B", n, n)
a, b = MatrixSymbol("a", n, 1), MatrixSymbol("b", n, 1)
lam = symbols("lambda", positive=True)
I = Identity(n)
COEFFS = [Rational(1, 2), 2, -1, Rational(-3, 2), lam]


def _spd_shift(M):
    """3 I + M M^T: symmetric positive definite, well conditioned enough to invert or log-det."""
    return MatAdd(3 * I, MatMul(M, Transpose(M)))


@st.composite
def matrices(draw, depth):
    """An n x n matrix expression that contains X (most of the time)."""
    if depth <= 0:
        return draw(st.sampled_from([X, X, X, Transpose(X), A, B, MatMul(A, X)]))
    kind = draw(st.sampled_from([
        "leaf", "mul", "mul", "add", "coeff", "transpose", "inverse", "power", "negpower",
        "hadamard", "hpower", "elementwise", "diag", "diagof"]))
    sub = matrices(depth - 1)
    if kind == "leaf":
        return draw(matrices(0))
    if kind == "mul":
        return MatMul(draw(sub), draw(sub))
    if kind == "add":
        return MatAdd(draw(sub), draw(sub))
    if kind == "coeff":
        return MatMul(draw(st.sampled_from(COEFFS)), draw(sub))
    if kind == "transpose":
        return Transpose(draw(sub))
    if kind == "inverse":
        return Inverse(_spd_shift(draw(sub)))
    if kind == "power":
        return MatPow(draw(sub), draw(st.sampled_from([2, 3])))
    if kind == "negpower":
        return MatPow(_spd_shift(draw(sub)), -2)
    if kind == "hadamard":
        return HadamardProduct(draw(sub), draw(sub))
    if kind == "hpower":
        return HadamardPower(draw(sub), draw(st.sampled_from([2, 3])))
    if kind == "elementwise":
        func = draw(st.sampled_from([sin, tanh, sigmoid, exp]))
        inner = draw(sub)
        return (MatMul(Rational(1, 4), inner) if func is exp else inner).applyfunc(func)
    if kind == "diag":
        return DiagMatrix(MatMul(draw(sub), a))
    return DiagMatrix(DiagonalOf(draw(sub)))


@st.composite
def scalars(draw, depth):
    """A scalar expression in X."""
    M = draw(matrices(max(depth - 1, 0)))
    kind = draw(st.sampled_from([
        "trace", "trace", "form", "norm2", "norm", "logdet", "det", "kron",
        "add", "mul", "quotient", "function", "power"]))
    if kind == "trace":
        return Trace(M)
    if kind == "form":
        return scalar(a.T * M * b)
    if kind == "norm2":
        return norm(M) ** 2
    if kind == "norm":
        return norm(MatAdd(M, I))
    if kind == "logdet":
        return log(Determinant(_spd_shift(M)))
    if kind == "det":
        return Determinant(MatAdd(2 * I, MatMul(Rational(1, 4), M)))
    if kind == "kron":
        return Trace(KroneckerProduct(M, A))
    if depth <= 1:
        return Trace(M)
    s1, s2 = draw(scalars(depth - 1)), draw(scalars(depth - 1))
    if kind == "add":
        return s1 + s2
    if kind == "mul":
        return s1 * s2
    if kind == "quotient":
        return s1 / (1 + s2 ** 2)
    if kind == "power":
        return (1 + s1 ** 2) ** Rational(3, 2)
    func = draw(st.sampled_from([sin, tanh, sigmoid,
                                 lambda s: log(1 + s ** 2), lambda s: sqrt(1 + s ** 2)]))
    return func(s1)


def scalar_functions(max_depth=3):
    return st.integers(min_value=1, max_value=max_depth).flatmap(scalars)
