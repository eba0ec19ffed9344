"""Equalities the canonical form proves (``simplify.equal_forms``), each also checked in
numbers at random points, with a near miss that must not be called equal."""
import numpy as np
import pytest
from sympy import Identity, MatrixSymbol, sin, symbols

import matcalc
from matcalc.constructs.cholesky import cholesky, phi
from matcalc.constructs.commutation import commutation
from matcalc.constructs.elementwise import elementwise
from matcalc.constructs.hadamard import hadamard
from matcalc.constructs.inverse import inverse
from matcalc.constructs.kronecker import kron
from matcalc.numeric import evaluate, random_point
from matcalc.simplify import equal_forms

n, p = symbols("n p", integer=True, positive=True)
A, B = MatrixSymbol("A", n, n), MatrixSymbol("B", n, n)
W = MatrixSymbol("W", p, n)
b, c, x = MatrixSymbol("b", p, 1), MatrixSymbol("c", p, 1), MatrixSymbol("x", n, 1)
y = MatrixSymbol("y", n, 1)
S = matcalc.spd("S", n)
K = commutation(n, n)


def same_numbers(a, e, seeds=(0, 1, 2)):
    for seed in seeds:
        point = random_point(a, e, seed=seed)
        np.testing.assert_allclose(np.asarray(evaluate(a, point), dtype=float),
                                   np.asarray(evaluate(e, point), dtype=float),
                                   rtol=1e-9, atol=1e-12)
    return True


def sigma(M):
    return elementwise(sin, M)


CASES = {
    # a sum as a Hadamard factor, either way round (mml-5.6-network-A0, b0, input)
    "hadamard-factor-sign": (hadamard(W.T * (c - b), sigma(x)),
                             -hadamard(W.T * (b - c), sigma(x))),
    # K (A ⊗ B) = (B ⊗ A) K (chol-jacobian)
    "commutation-past-kronecker": (
        kron(A, B) * (Identity(n * n) + K), (Identity(n * n) + K) * kron(B, A) + kron(A, B)
        - kron(B, A)),
    # a Kronecker product distributed over a sum inside a factor; P x (x^T ⊗ y^T) =
    # x^T ⊗ P x y^T (mn-eigenvector-general)
    "kronecker-distributes": (kron(x.T, A * (Identity(n) - x * y.T)),
                              kron(x.T, A) - A * x * kron(x.T, y.T)),
    # (I ⊗ v)(v^T ⊗ P) = K (v v^T ⊗ P): a column factor first (eigenvalue-hessian)
    "column-factor-first": (kron(Identity(n), x) * kron(x.T, A), K * kron(x * x.T, A)),
    # Phi(M) + Phi(M^T)^T = M
    "phi-halves": (phi(A) + phi(A.T).T, A),
    # L^T S^{-1} = L^{-1} and L^{-T} L^{-1} = S^{-1} for L = chol(S), S SPD
    "cholesky-products": (cholesky(S).T * inverse(S) * x * x.T * inverse(S) * cholesky(S),
                          inverse(cholesky(S)) * x * x.T * inverse(cholesky(S)).T),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_equal_forms_proves_and_numbers_agree(name):
    a, e = CASES[name]
    assert same_numbers(a, e)
    assert equal_forms(a, e) and equal_forms(e, a)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_near_miss_is_not_equal(name):
    a, e = CASES[name]
    wrong = 2 * e if name != "commutation-past-kronecker" else kron(A, B) * (Identity(n * n) - K)
    assert not equal_forms(a, wrong)
