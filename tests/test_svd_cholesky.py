"""Singular values (constructs/svd.py) and the Cholesky factor (constructs/cholesky.py): every
result asserted symbolically and against finite differences.

Tolerance: singular vectors, like eigenvectors (see test_eigen.py), are smooth only within
the gap to the neighbouring singular values; the oracle draws the argument of a singular
value with singular values 1, 1.5, 2, ... (each moved by at most 0.1), so the default step
1e-3 is far below every gap and the checks agree to ~1e-10 against rtol 1e-6.  The Cholesky
factor is smooth wherever S is positive definite (no gap): its checks are as accurate as S's
conditioning allows (the SPD draws B B^T/n + I are well conditioned).
"""
import numpy as np
import pytest
from sympy import Identity, MatrixSymbol, OneMatrix, Trace, log, symbols

import matcalc
from matcalc.codegen import codegen
from matcalc.constructs.cholesky import cholesky, phi
from matcalc.constructs.diagonal import diagvec
from matcalc.constructs.elementwise import elementwise
from matcalc.constructs.inverse import inverse
from matcalc.constructs.svd import (nuclear_norm, singular_value, singular_vector,
                                   singular_vectors, spectral_norm)
from matcalc.errors import UnsupportedError
from matcalc.numeric import check_hessian, check_jacobian, evaluate, random_point
from matcalc.parse import parse
from matcalc.printing.text import text_form
from conftest import assert_gradient

n, m = symbols("n m", integer=True, positive=True)
Y = MatrixSymbol("Y", n, m)
A, X = MatrixSymbol("A", n, n), MatrixSymbol("X", n, n)
S = matcalc.spd("S", n)
x, c = MatrixSymbol("x", n, 1), MatrixSymbol("c", n, 1)
L = cholesky(S)


# --------------------------------------------------------------------------
# singular values
# --------------------------------------------------------------------------

def test_grad_of_a_singular_value_is_u_v_transpose():
    """d sigma_i = u_i^T dY v_i."""
    u, v = singular_vector(Y, 2, "left"), singular_vector(Y, 2, "right")
    G = assert_gradient(singular_value(Y, 2), Y, u * v.T)
    assert matcalc.latex(G) == (r"\mathbf{u}_{2}\left(Y\right) \mathbf{v}_{2}\left(Y\right)^{T}")


def test_a_matrix_times_its_singular_vector_is_the_other_one_scaled():
    """X v_i = sigma_i u_i and u_i^T X = sigma_i v_i^T: ||X||_2^2 has the gradient
    2 sigma_1 u_1 v_1^T, which is 2 X v_1 v_1^T."""
    u, v = singular_vector(Y, 1, "left"), singular_vector(Y, 1, "right")
    G = assert_gradient(spectral_norm(Y) ** 2, Y, 2 * Y * v * v.T)
    assert text_form(G) == "2*norm2(Y)*lsingvec(Y, 1)*singvec(Y, 1)'"


def test_grad_of_the_spectral_norm_is_u1_v1_transpose():
    u, v = singular_vector(Y, 1, "left"), singular_vector(Y, 1, "right")
    G = assert_gradient(spectral_norm(Y), Y, u * v.T)
    assert text_form(G) == "lsingvec(Y, 1)*singvec(Y, 1)'"
    assert matcalc.latex(spectral_norm(Y)) == r"\left\|Y\right\|_{2}"
    point = random_point(Y, spectral_norm(Y))
    assert np.isclose(evaluate(spectral_norm(Y), point), np.linalg.norm(point[Y], 2))


def test_grad_of_the_nuclear_norm_is_U_V_transpose():
    U, V = singular_vectors(Y, "left"), singular_vectors(Y, "right")
    G = assert_gradient(nuclear_norm(Y), Y, U * V.T)
    assert matcalc.latex(nuclear_norm(Y)) == r"\left\|Y\right\|_{*}"
    assert matcalc.latex(G) == r"\mathbf{U}\left(Y\right) \mathbf{V}\left(Y\right)^{T}"
    # U V^T is the polar factor X (X^T X)^{-1/2} (full rank)
    polar = parse("X*inv(sqrtm(X'*X))").expr
    assert_gradient(nuclear_norm(X), X, polar)   # symbolically: X (X^T X)^{-1/2} = U V^T


def test_singular_vectors_are_eigenvectors_of_the_gram_matrices():
    """du_i = (sigma_i^2 I - Y Y^T)^+ (dY Y^T + Y dY^T) u_i, and v_i with Y^T Y."""
    for side in ("left", "right"):
        w = singular_vector(Y, 1, side)
        ones = OneMatrix(1, w.shape[0])
        assert_gradient(matcalc.scalar(ones * w), Y)
        J = matcalc.jacobian(w, Y)
        assert check_jacobian(w, Y, J).passed


def test_svd_conventions_descending_unit_and_signed():
    point = random_point(Y, nuclear_norm(Y), sizes={n: 5, m: 3}, seed=4)
    U, V = (evaluate(singular_vectors(Y, s), point) for s in ("left", "right"))
    sigmas = [evaluate(singular_value(Y, i), point) for i in (1, 2, 3)]
    assert sigmas[0] > sigmas[1] > sigmas[2] > 0.9          # separated, full rank
    np.testing.assert_allclose(U @ np.diag(sigmas) @ V.T, point[Y], atol=1e-12)
    assert np.all(V[np.argmax(np.abs(V), axis=0), range(3)] > 0)
    assert np.isclose(evaluate(nuclear_norm(Y), point), sum(sigmas))


def test_hessian_of_the_nuclear_norm_is_refused_by_name():
    with pytest.raises(UnsupportedError, match="SingularVectors.*no differential rule: the "
                                               "differential of the whole matrix"):
        matcalc.hessian(nuclear_norm(X), X)


def test_hessian_of_the_spectral_norm():
    H = matcalc.hessian(spectral_norm(X), X)
    assert check_hessian(spectral_norm(X), X, H).passed


# --------------------------------------------------------------------------
# the Cholesky factor
# --------------------------------------------------------------------------

def test_log_det_through_the_cholesky_factor_is_the_inverse():
    """log det S = 2 sum_i log L_ii; through tr(log diag L) the result simplifies to S^{-1}/2
    per log det L."""
    assert_gradient(log(matcalc.constructs.determinant.Determinant(L)), S,
                    inverse(S) / 2, text="(1/2)*S**(-1)")
    # (diag(2/diag L) L) ∘ I = 2I, then L^{-T} L^{-1} = S^{-1}: the Cookbook's form exactly
    f = 2 * OneMatrix(1, n) * elementwise(log, diagvec(L))
    assert_gradient(f, S, inverse(S), text="S**(-1)")


def test_grad_of_tr_inverse_cholesky_times_A_is_murrays_form():
    """Murray (2016) eq. 10: S_bar = sym(L^{-T} Phi(L^T L_bar) L^{-1}), L_bar = -L^{-T} A^T L^{-T}."""
    Li = inverse(L)
    P = phi(A.T * Li.T)
    expected = -(Li.T * (P + P.T) * Li) / 2
    G = assert_gradient(Trace(Li * A), S, expected)
    assert matcalc.latex(G) == (
        r"- \frac{1}{2} \operatorname{chol}\left(S\right)^{-T} \left(\Phi\left(A^{T} "
        r"\operatorname{chol}\left(S\right)^{-T}\right) + \left(\Phi\left(A^{T} "
        r"\operatorname{chol}\left(S\right)^{-T}\right)\right)^{T}\right) "
        r"\operatorname{chol}\left(S\right)^{-1}")


def test_gaussian_log_density_through_the_cholesky_factor():
    """-||L^{-1}(x - c)||^2/2 - sum log L_ii: gradient (S^{-1} r r^T S^{-1} - S^{-1})/2."""
    text = "-(1/2)*(x - c)'*inv(chol(S))'*inv(chol(S))*(x - c) - ones(n,1)'*log(diag(chol(S)))"
    parsed = parse(text, structures={"S": "spd"})
    Sp = parsed.symbols["S"]
    r = x - c
    expected = (inverse(Sp) * r * r.T * inverse(Sp) - inverse(Sp)) / 2
    # L^T S^{-1} = L^{-1}, Phi(M) + Phi(M)^T = M for the symmetric M = L^{-1} r r^T L^{-T}
    G = assert_gradient(parsed.expr, Sp, expected)
    assert text_form(G) == "(1/2)*S^-1*((x - c)*(x' - c')*S^-1 - I(n))"


def test_differential_of_the_cholesky_factor_is_murrays():
    """Murray (2016) eq. 8: dL = L Phi(L^{-1} sym(dS) L^{-T}); its Jacobian against differences."""
    from matcalc.differential import differential
    dL = differential(L, S)
    assert str(dL) == "chol(S)*cholphi(chol(S)**(-1)*((1/2)*(dS + dS.T))*chol(S).T**(-1))"
    assert check_jacobian(L, S, matcalc.jacobian(L, S)).passed


def test_phi_identification_and_jacobian():
    f = Trace(A.T * phi(X * A))                  # <A, Phi(X A)> = <Phi(A), X A>
    assert_gradient(f, X, phi(A) * A.T)
    assert check_jacobian(phi(X * A), X, matcalc.jacobian(phi(X * A), X)).passed


def test_cholesky_of_the_symmetric_part_and_nan_off_the_cone():
    point = random_point(S, L, sizes={n: 4})
    value = evaluate(L, point)
    np.testing.assert_allclose(value @ value.T, point[S], atol=1e-12)
    assert np.allclose(value, np.tril(value))
    lopsided = point.with_value(S, point[S] + np.triu(np.ones((4, 4)), 1))
    np.testing.assert_allclose(evaluate(L, lopsided) @ evaluate(L, lopsided).T,
                               (lopsided[S] + lopsided[S].T) / 2, atol=1e-12)
    assert np.all(np.isnan(evaluate(L, point.with_value(S, -np.eye(4)))))


def test_text_and_latex_read_back():
    for text in ("chol(S)", "cholphi(A*X)", "singval(Y, 2)", "norm2(Y)", "nuclear(Y)",
                 "singvec(Y, 1)", "lsingvec(Y, 2)", "singvecs(Y)", "lsingvecs(Y)"):
        shapes = {"S": "n,n", "A": "n,n", "X": "n,n", "Y": "n,m"}
        expr = parse(text, shapes=shapes).expr
        assert text_form(expr) == text
    assert matcalc.latex(phi(A)) == r"\Phi\left(A\right)"
    assert matcalc.latex(L) == r"\operatorname{chol}\left(S\right)"


def test_generated_code_matches_the_oracle():
    for expr in (singular_value(Y, 2), singular_vector(Y, 1, "left"),
                 singular_vectors(Y, "right"), nuclear_norm(Y), L, phi(A)):
        point = random_point(expr, sizes={n: 4, m: 3}, seed=2)
        args = {s.name: point[s] for s in expr.free_symbols if s in point.values}
        got = np.asarray(codegen(expr)(**args), dtype=float)
        want = evaluate(expr, point)
        np.testing.assert_allclose(got.reshape(np.shape(want)), want, rtol=1e-12, atol=1e-12)
