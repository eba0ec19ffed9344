"""Kronecker products inside scalar functions: the gradient through ⊗ under any cotangent.

    <C ⊗ D, A ⊗ dX> = tr(C^T A) <D, dX>         (the cotangent in Kronecker form: mixed
                                                  products, inverses, transposes, sums)
    <G, A ⊗ dX> = <tr_1((A^T ⊗ I) G), dX>        <G, dX ⊗ B> = <tr_2(G (I ⊗ B^T)), dX>
    log det(X ⊗ M) = m log det X + n log det M   (X n x n, M m x m)

Each gradient is asserted symbolically and checked numerically.
"""
import pytest
from sympy import (Determinant, Identity, Inverse, KroneckerProduct as kron, MatMul, MatrixSymbol,
                   Trace, log, symbols)

import matcalc
from matcalc.constructs.partial_trace import PartialTrace
from conftest import assert_gradient, m, n

X, A, B = (MatrixSymbol(s, n, n) for s in "XAB")
M = MatrixSymbol("M", m, m)
Y = MatrixSymbol("Y", n, m)
a, b, c, d = (MatrixSymbol(s, n, 1) for s in "abcd")
H = MatrixSymbol("H", n * m, n * m)
Q = MatrixSymbol("Q", n * n, n * n)


def test_trace_of_kronecker_products_by_the_mixed_product():
    f = Trace(kron(A, B) * kron(X, X))          # = tr(AX) tr(BX)
    assert_gradient(f, X, Trace(A * X) * B.T + Trace(B * X) * A.T)


def test_log_det_of_a_kronecker_product():
    assert_gradient(log(Determinant(kron(X, M))), X, m * Inverse(X.T), text="m*X.T**(-1)")
    assert_gradient(log(Determinant(kron(M, X))), X, m * Inverse(X.T))


def test_frobenius_norm_of_a_kronecker_product():
    f = matcalc.norm(kron(X, A)) ** 2            # = ||X||^2 ||A||^2
    assert_gradient(f, X, 2 * Trace(A.T * A) * X)


def test_bilinear_form_of_kronecker_vectors():
    f = kron(a, b).T * kron(X, A) * kron(c, d)   # = (a^T X c)(b^T A d)
    assert_gradient(f, X, (b.T * A * d)[0, 0] * a * c.T, symbolic=False)
    G = matcalc.grad(f, X)
    assert matcalc.simplify.equal_forms(G, matcalc.scalar(b.T * A * d) * a * c.T)


def test_general_cotangent_goes_through_a_partial_trace():
    f = Trace(H * kron(M, X))
    G = assert_gradient(f, X, PartialTrace(MatMul(kron(M.T, Identity(n)), H.T), m, 1))
    assert matcalc.latex(G) == (r"\operatorname{tr}_{1}\left(\left(M^{T} \otimes I_{n}\right) "
                                r"H^{T}\right)")
    f = Trace(H * kron(X, M))
    assert_gradient(f, X, PartialTrace(MatMul(H.T, kron(Identity(n), M.T)), m, 2))


def test_kronecker_square_of_the_variable_and_rectangular_factors():
    assert_gradient(Trace(Q * kron(X, X)), X)
    G2 = MatrixSymbol("G", n * n, m * n)
    assert_gradient(Trace(G2.T * kron(X, Y)), Y)
    assert_gradient(Trace(G2.T * kron(X, Y)), X)


def test_hessian_through_a_partial_trace():
    f = Trace(H * kron(M, X)) ** 2
    Hs = matcalc.hessian(f, X)
    assert matcalc.check_hessian(f, X, Hs).passed
    J = matcalc.jacobian(PartialTrace(MatMul(kron(M.T, Identity(n)), H.T), m, 1) * X, X)
    assert matcalc.check_jacobian(PartialTrace(MatMul(kron(M.T, Identity(n)), H.T), m, 1) * X,
                                  X, J).passed


def test_partial_trace_of_a_kronecker_product_is_a_trace_times_the_factor():
    from matcalc.constructs.partial_trace import partial_trace
    assert partial_trace(kron(M, X), m, 1) == Trace(M) * X
    assert partial_trace(kron(M, X), n, 2) == Trace(X) * M


def test_entry_of_a_kronecker_bilinear_form_is_refused_with_the_way_out():
    # SymPy expands (a⊗b)^T (X⊗M)(c⊗d) [0, 0] at once into a sum over Mod/floor indices
    f = (kron(a, MatrixSymbol("b", m, 1)).T * kron(X, M) * kron(c, MatrixSymbol("d", m, 1)))[0, 0]
    with pytest.raises(matcalc.UnsupportedError, match=r"without \[0, 0\]"):
        matcalc.grad(f, X)
