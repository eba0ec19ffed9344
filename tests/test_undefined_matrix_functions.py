"""MML's general identities (5.99)-(5.102) for an undefined matrix-valued F(X)
(``matcalc.matrix_function``), each checked with a concrete F bound (``functions=``).

    d vec(F(X)^T)/d vec(X)^T = K J_F(X)                            (5.99)
    grad tr F(X) = DF(X)^*[I]                                      (5.100)
    grad det F(X) = det F(X) DF(X)^*[F(X)^{-T}]                    (5.101)
    d vec(F(X)^{-1})/d vec(X)^T = -(F(X)^{-T} ⊗ F(X)^{-1}) J_F(X)  (5.102)

J_F(X) is the Jacobian of F at X and DF(X)^*[G] = vec^{-1}(J_F^T vec G) the adjoint of its
derivative: bound, they are matcalc's Jacobian and gradient of the concrete F (the claim's
side); the function under test is only evaluated and judged by finite differences.
"""
import pytest
from sympy import (Determinant, Identity, Inverse, KroneckerProduct, Lambda, MatMul, MatrixSymbol,
                   Trace, Transpose, symbols)

import matcalc
from matcalc.constructs.commutation import CommutationMatrix
from matcalc.constructs.matrix_function import FunctionAdjoint, FunctionJacobian
from matcalc.derivatives import jacobian
from matcalc.numeric import check_jacobian
from matcalc.simplify import equal_forms
from conftest import m, n

X, A, M = (MatrixSymbol(s, n, n) for s in "XAM")
F = matcalc.matrix_function("F", n, n)
CONCRETE = [{F: Lambda(M, M * M + A * M)}, {F: Lambda(M, Inverse(M) + 2 * M.T)}]


@pytest.mark.parametrize("bound", CONCRETE, ids=["M^2 + AM", "M^-1 + 2M^T"])
def test_mml_5_99_transpose(bound):
    J = jacobian(F(X).T, X)
    assert equal_forms(J, MatMul(CommutationMatrix(n, n), FunctionJacobian(F(X), 1)))
    assert check_jacobian(F(X).T, X, J, functions=bound).passed


@pytest.mark.parametrize("bound", CONCRETE, ids=["M^2 + AM", "M^-1 + 2M^T"])
def test_mml_5_100_trace(bound):
    G = matcalc.grad(Trace(F(X)), X)
    assert G == FunctionAdjoint(F(X), 1, Identity(n))
    assert matcalc.latex(G) == r"\mathrm{D} F\left(X\right)^{*}\left[I_{n}\right]"
    assert matcalc.check(Trace(F(X)), X, G, functions=bound).passed


@pytest.mark.parametrize("bound", CONCRETE, ids=["M^2 + AM", "M^-1 + 2M^T"])
def test_mml_5_101_determinant(bound):
    G = matcalc.grad(Determinant(F(X)), X)
    expected = Determinant(F(X)) * FunctionAdjoint(F(X), 1, Transpose(Inverse(F(X))))
    assert equal_forms(G, expected)
    assert matcalc.check(Determinant(F(X)), X, G, functions=bound).passed


@pytest.mark.parametrize("bound", CONCRETE, ids=["M^2 + AM", "M^-1 + 2M^T"])
def test_mml_5_102_inverse(bound):
    J = jacobian(Inverse(F(X)), X)
    expected = MatMul(-1, KroneckerProduct(Transpose(Inverse(F(X))), Inverse(F(X))),
                      FunctionJacobian(F(X), 1))
    assert equal_forms(J, expected)
    assert check_jacobian(Inverse(F(X)), X, J, functions=bound).passed


def test_rectangular_function_of_a_product_and_the_chain_rule():
    Y = MatrixSymbol("Y", n, m)
    G, S = matcalc.matrix_function("G", m, m), MatrixSymbol("S", m, m)
    f = Trace(G(Y.T * A * Y) * G(Y.T * Y))          # two applications: two adjoints
    grad = matcalc.grad(f, Y)
    assert grad.has(FunctionAdjoint)
    assert matcalc.check(f, Y, grad, functions={G: Lambda(S, S ** 2)}).passed


def test_an_unbound_matrix_function_is_refused_by_the_oracle():
    G = matcalc.grad(Trace(F(X)), X)
    with pytest.raises(matcalc.UnsupportedError, match="functions="):
        matcalc.check(Trace(F(X)), X, G)
    with pytest.raises(matcalc.UnsupportedError, match="second derivatives"):
        matcalc.hessian(Trace(F(X)), X)
