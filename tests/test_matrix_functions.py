"""Matrix functions e^X, log X, X^{1/2} (constructs/matrix_functions.py) and the block form of
their Frechet derivatives (constructs/block_function.py): gradients, Jacobians, Hessians and
Hessian-vector products, each asserted and checked against finite differences.

Tolerance: f(X) is analytic around the oracle's draws (X ~ I + noise, or a separated positive
spectrum where a logarithm or square root asks for it: no eigenvalue near the branch cut), so
the differences of f settle at the default step; the claims are evaluated through SciPy's
expm / sqrtm on the block matrices (logm by inverse scaling and squaring on sqrtm), each
block C_j scaled to unit size first, and agree with the differences to ~1e-10 (rtol 1e-6).
"""
import numpy as np
import pytest
from sympy import Identity, MatrixSymbol, Trace, log, symbols
from sympy import Determinant

import matcalc
from matcalc.codegen import codegen, hessian_vector_product, lambdify_grad
from matcalc.constructs.block_function import block_function, frechet
from matcalc.constructs.inverse import inverse
from matcalc.constructs.kronecker import kron
from matcalc.constructs.matrix_functions import expm, logm, sqrtm
from matcalc.errors import ShapeError, UnsupportedError
from matcalc.numeric import check_hessian, check_jacobian, evaluate, random_point
from matcalc.numeric import linalg
from matcalc.parse import parse
from matcalc.printing.text import text_form
from conftest import assert_gradient

n = symbols("n", integer=True, positive=True)
X, A, E = (MatrixSymbol(s, n, n) for s in "XAE")


# --------------------------------------------------------------------------
# gradients
# --------------------------------------------------------------------------

@pytest.mark.parametrize("f, derivative", [
    (expm, lambda M: expm(M)),
    (logm, lambda M: inverse(M)),
    (sqrtm, lambda M: inverse(sqrtm(M)) / 2)])
def test_grad_of_the_trace_of_a_matrix_function_is_its_derivative_transposed(f, derivative):
    """d tr f(X) = tr(f'(X) dX): grad tr e^X = (e^X)^T, tr log X -> X^{-T}, tr X^{1/2} -> X^{-1/2 T}/2."""
    assert_gradient(Trace(f(X)), X, derivative(X).T)


def test_grad_of_tr_exp_prints_as_the_transposed_exponential():
    G = matcalc.grad(Trace(expm(X)), X)
    assert matcalc.latex(G) == r"e^{X^{T}}" and text_form(G) == "expm(X')"


def test_log_det_of_the_exponential_is_the_trace():
    """log det e^X = tr X: the gradient simplifies to I (L_exp(X^T, e^{-X^T}) = I)."""
    assert_gradient(log(Determinant(expm(X))), X, Identity(n), text="I")


@pytest.mark.parametrize("name, f", [("expm", expm), ("logm", logm), ("sqrtm", sqrtm)])
def test_grad_of_tr_A_transpose_f_is_the_block_formula(name, f):
    """grad tr(A^T f(X)) = L_f(X^T, A), the upper-right block of f([[X^T, A], [0, X^T]])."""
    G = assert_gradient(Trace(A.T * f(X)), X, frechet(name, X.T, A))
    assert text_form(G) == f"d{name}(X', A)"
    point = random_point(X, A, G, sizes={n: 3}, seed=4)
    Xt, Av = point[X].T, point[A]
    block = linalg.matcalc_matrix_function(name, np.block([[Xt, Av], [np.zeros((3, 3)), Xt]]))
    np.testing.assert_allclose(evaluate(G, point), block[:3, 3:], rtol=1e-10, atol=1e-12)


def test_frechet_latex_is_highams_notation():
    assert matcalc.latex(frechet("expm", X.T, A)) == r"L_{\exp}\left(X^{T}, A\right)"
    chain = block_function("logm", [X, A, X.T, E, X])
    assert matcalc.latex(chain) == (r"L_{\log}\left(X, A, X^{T}, E, X\right)")


# --------------------------------------------------------------------------
# Jacobians, Hessians, Hessian-vector products
# --------------------------------------------------------------------------

@pytest.mark.parametrize("f", [expm, logm, sqrtm])
def test_jacobian_of_a_matrix_function_is_its_kronecker_block_form(f):
    """vec L_f(X, E) = L_f(I ⊗ X, I, X^T ⊗ I) vec(E)."""
    J = matcalc.jacobian(f(X), X)
    assert J == block_function(f(X).function_name, [kron(Identity(n), X), Identity(n ** 2),
                                           kron(X.T, Identity(n))])
    assert check_jacobian(f(X), X, J).passed


def test_hessian_of_tr_exp():
    """The Jacobian of vec(e^{X^T}): L_exp of the Kronecker blocks times the commutation matrix
    (the Hessians of tr(A^T f(X)), whose gradient L_f(X^T, A) has X in both diagonal blocks,
    are checked with their Hessian-vector products below)."""
    H = matcalc.hessian(Trace(expm(X)), X)
    assert check_hessian(Trace(expm(X)), X, H).passed


@pytest.mark.parametrize("f", [expm, logm, sqrtm])
def test_hessian_vector_product_of_tr_A_transpose_f(f):
    """The generated H v of tr(A^T f(X)) (through the block form) against the dense Hessian,
    which the oracle checks against differences, and the generated gradient."""
    f = Trace(A.T * f(X))
    hvp = hessian_vector_product(f, X)
    point = random_point(f, sizes={n: 3}, seed=1)
    V = np.random.default_rng(5).standard_normal((3, 3))
    H = matcalc.hessian(f, X)
    assert check_hessian(f, X, H, points=1).passed
    dense = evaluate(H, point)
    got = np.asarray(hvp(V, X=point[X], A=point[A])).reshape(-1, order="F")
    np.testing.assert_allclose(got, dense @ V.reshape(-1, order="F"), rtol=1e-8, atol=1e-10)
    # the gradient's generated code agrees with the oracle too
    grad = lambdify_grad(f, X)
    np.testing.assert_allclose(grad(X=point[X], A=point[A]),
                               evaluate(matcalc.grad(f, X), point), rtol=1e-10)


def test_block_function_rules_through_a_three_block_chain():
    """d L_f(A, C, B) in A, B and C; the adjoint and vec rules of a longer chain."""
    F = block_function("expm", [X, A, X.T])
    J = matcalc.jacobian(F, X)
    assert check_jacobian(F, X, J).passed
    assert_gradient(Trace(E.T * F), X)
    G = block_function("expm", [A, X, E, A.T, A])        # linear in X, an inner block
    assert_gradient(Trace(E.T * G), X)
    assert check_jacobian(G, X, matcalc.jacobian(G, X)).passed


# --------------------------------------------------------------------------
# the language, numeric values, code generation, refusals
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["expm(X)", "logm(X)", "sqrtm(X)", "dexpm(X', A)",
                                  "dlogm(X, A, X')", "dsqrtm(X, A, X', E, X)"])
def test_text_reads_back(text):
    expr = parse(text, shapes={"X": "n,n", "A": "n,n", "E": "n,n"}).expr
    assert text_form(expr) == text


def test_bad_block_chains_are_refused():
    with pytest.raises(matcalc.ParseError, match="odd number"):
        parse("dexpm(X, A, X, A)", shapes={"X": "n,n", "A": "n,n"})
    with pytest.raises(ShapeError, match="does not fit"):
        matcalc.grad(Trace(frechet("expm", X, MatrixSymbol("C", n, 2))), X)
    with pytest.raises(ShapeError, match="odd number"):
        block_function("expm", [X, A])


def test_values_are_scipys_and_the_logarithm_inverts_the_exponential():
    scipy_linalg = pytest.importorskip("scipy.linalg", reason="SciPy evaluates matrix functions")
    point = random_point(logm(X), sizes={n: 4}, seed=3)
    Xv = point[X]
    np.testing.assert_allclose(evaluate(expm(X), point), scipy_linalg.expm(Xv), rtol=1e-13)
    np.testing.assert_allclose(evaluate(logm(X), point), scipy_linalg.logm(Xv).real,
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(evaluate(expm(logm(X)), point), Xv, rtol=1e-10)
    np.testing.assert_allclose(evaluate(sqrtm(X) * sqrtm(X), point), Xv, rtol=1e-10)
    # no real principal logarithm of a matrix with a negative eigenvalue: nan
    assert np.all(np.isnan(evaluate(logm(X), point.with_value(X, -np.eye(4)))))


def test_missing_scipy_is_a_clear_error(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_scipy(name, *args, **kwargs):
        if name.startswith("scipy"):
            raise ImportError("No module named 'scipy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_scipy)
    with pytest.raises(ImportError, match="expm needs SciPy .*pip install"):
        linalg.matcalc_matrix_function("expm", np.eye(2))


def test_generated_code_computes_the_matrix_functions():
    for expr in (expm(X), logm(X), sqrtm(X), frechet("expm", X, A), frechet("logm", X.T, A)):
        point = random_point(expr, sizes={n: 3}, seed=6)
        args = {s.name: point[s] for s in expr.free_symbols if s in point.values}
        np.testing.assert_allclose(codegen(expr)(**args), evaluate(expr, point), rtol=1e-10)


def test_torch_and_jax_compute_what_they_have_and_refuse_the_rest_by_name():
    from matcalc.codegen.linalg_ops import TorchLinalg

    class Ops(TorchLinalg):      # the refusal needs no PyTorch installed
        name = "torch"
    with pytest.raises(UnsupportedError, match="logm in generated torch code: PyTorch has no "
                                               "matrix logarithm"):
        Ops().logm(np.eye(2))
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: torch backend untested")
    point = random_point(frechet("expm", X, A), sizes={n: 3}, seed=2)
    got = codegen(frechet("expm", X, A), backend="torch")(X=torch.as_tensor(point[X]),
                                                           A=torch.as_tensor(point[A]))
    np.testing.assert_allclose(got.numpy(), evaluate(frechet("expm", X, A), point), rtol=1e-10)
