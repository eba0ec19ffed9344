"""Non-smooth functions: |.|, sign, the step H, max/min and relu -- of scalars and elementwise.

Every derivative is asserted in its printed form and checked against finite differences
away from the kinks; at a kink matcalc returns the symmetric derivative (|a|' = 0,
relu'(0) = 1/2, a tie of max splits evenly), and the oracle abstains there instead of
judging (a finite difference across a kink is not evidence).
"""
import numpy as np
import pytest
from sympy import (Abs, Dummy, Heaviside, MatrixSymbol, Max, Min, OneMatrix, S, Symbol, Trace,
                   sign, symbols)

import matcalc
from conftest import assert_derived as derived
from matcalc import relu, scalar
from matcalc.constructs.elementwise import derivative_body
from matcalc.derivatives import hessian
from matcalc.numeric import check, check_hessian, evaluate
from matcalc.numeric.points import point_at
from matcalc.parse import parse
from matcalc.printing.text import text_form

n, m = symbols("n m", integer=True, positive=True)
X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
W = MatrixSymbol("W", m, n)
x, y = MatrixSymbol("x", n, 1), MatrixSymbol("y", m, 1)


# --------------------------------------------------------------------------
# elementwise
# --------------------------------------------------------------------------

def test_grad_of_the_one_norm_of_a_residual_is_a_sign():
    f = scalar(OneMatrix(1, m) * (W * x - y).applyfunc(Abs))   # norm1(W x - y)
    derived(f, x, "W'*sign(W*x - y)")


def test_grad_through_relu_is_the_step():
    derived(scalar(y.T * (W * x).applyfunc(relu)), x, "W'*(heaviside(W*x) .* y)")


def test_jacobian_of_relu_and_abs_are_diagonal_steps_and_signs():
    derived((W * x).applyfunc(relu), x, "diagm(heaviside(W*x))*W", "jacobian")
    derived((W * x).applyfunc(Abs), x, "diagm(sign(W*x))*W", "jacobian")


def test_grad_through_min_with_a_constant():
    derived(Trace(A * X.applyfunc(lambda u: Min(u, 1))), X,
            "map(u -> heaviside(1 - u), X) .* A'")


def test_sign_and_the_step_are_constant_away_from_their_jumps():
    derived(Trace(A * X.applyfunc(sign)), X, "zeros(n, n)")
    derived(Trace(A * X.applyfunc(Heaviside)), X, "zeros(n, n)")
    derived(scalar(y.T * (W * x).applyfunc(relu)), x, "zeros(n, n)", "hessian")


def test_hessian_of_a_cubed_absolute_value():
    f = Trace(A * X.applyfunc(lambda u: Abs(u) ** 3))
    H = hessian(f, X)
    assert check_hessian(f, X, H).passed


def test_max_of_two_matrices_is_a_relu_of_their_difference():
    p = parse("max(X, A)")
    assert text_form(p.expr) == "relu(X - A) + A"
    derived(Trace(p.expr), p.symbols["X"], "heaviside(X - A) .* I(n)")
    p = parse("min(X, A)")
    assert text_form(p.expr) == "X - relu(X - A)"


# --------------------------------------------------------------------------
# scalars
# --------------------------------------------------------------------------

def test_grad_of_abs_relu_max_min_of_scalars():
    derived(Abs(Trace(A * X)), X, "sign(tr(A*X))*A'")
    derived(relu(Trace(A * X)), X, "heaviside(tr(A*X))*A'")
    derived(Max(Trace(A * X), Trace(X)), X,
            "heaviside(-tr(A*X) + tr(X))*I(n) + heaviside(-tr(X) + tr(A*X))*A'")
    derived(Min(Trace(A * X), 0), X, "heaviside(-tr(A*X))*A'")
    derived(Heaviside(Trace(X)), X, "zeros(n, n)")
    v, a = MatrixSymbol("v", 3, 1), MatrixSymbol("a", 3, 1)   # a zero Hessian: a small one
    derived(Abs(scalar(a.T * v)), v, "zeros(3, 3)", "hessian")


# --------------------------------------------------------------------------
# at the kinks
# --------------------------------------------------------------------------

def test_at_a_kink_the_symmetric_derivative_is_returned():
    u = Dummy("u")
    assert derivative_body(Abs(u), u).subs(u, 0) == 0              # sign(0)
    assert derivative_body(relu(u), u).subs(u, 0) == S.Half         # H(0)
    assert derivative_body(Heaviside(u), u) == 0
    assert derivative_body(sign(u), u) == 0
    a, b = Symbol("a", real=True), Symbol("b", real=True)
    tie = Max(a, b)
    assert [tie.fdiff(i).subs(b, a) for i in (1, 2)] == [S.Half, S.Half]


def test_the_oracle_abstains_at_a_kink_and_judges_elsewhere():
    a = MatrixSymbol("a", 3, 1)
    v = MatrixSymbol("v", 3, 1)
    f = relu(scalar(v.T * a))
    G = matcalc.grad(f, v)
    assert text_form(G) == "heaviside(v'*a)*a"
    at_kink = {v: np.array([[1.0], [1.0], [5.0]]), a: np.array([[1.0], [-1.0], [0.0]])}
    near = {v: np.array([[1.0], [1.0 + 1e-14], [5.0]]), a: at_kink[a]}
    for where in (at_kink, near):
        report = check(f, v, G, at=where)
        assert not report.passed and not report.reliable, report   # abstains, never judges
        wrong = check(f, v, -G, at=where)
        assert not wrong.passed and not wrong.reliable, wrong
    assert check(f, v, G).passed
    assert not check(f, v, -G).passed and check(f, v, -G).reliable
    point = point_at(at_kink, G)
    assert np.allclose(evaluate(G, point), 0.5 * at_kink[a])        # H(0) = 1/2


# --------------------------------------------------------------------------
# the language and printing
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "relu(X)", "heaviside(X)", "sign(X)", "abs(X)", "max(det(X), tr(X))", "min(0, tr(X))",
    "relu(tr(X))", "heaviside(x'*x)", "heaviside(tr(X), 0)",
])
def test_non_smooth_functions_print_as_they_read(text):
    assert text_form(parse(text).expr) == text


def test_non_smooth_latex_and_str():
    E = (W * x).applyfunc(relu)
    assert matcalc.latex(E) == r"\max\left(0, W x\right)"
    assert matcalc.latex((W * x).applyfunc(Heaviside)) == r"H\left(W x\right)"
    assert matcalc.latex(sign(Trace(X))) == \
        r"\operatorname{sign}\left(\operatorname{tr}\left(X\right)\right)"
    assert str(matcalc.grad(scalar(y.T * E), x)) == "W.T*(HadamardProduct(heaviside(W*x), y))"


def test_generated_code_of_a_non_smooth_gradient():
    from matcalc.codegen import lambdify_grad
    f = scalar(OneMatrix(1, m) * (W * x - y).applyfunc(Abs))
    g = lambdify_grad(f, x)
    rng = np.random.default_rng(3)
    Wv, xv, yv = rng.normal(size=(5, 3)), rng.normal(size=(3, 1)), rng.normal(size=(5, 1))
    assert np.allclose(g(W=Wv, x=xv, y=yv), Wv.T @ np.sign(Wv @ xv - yv))


@pytest.mark.parametrize("extremum", [Max, Min])
def test_max_and_min_of_matrix_bearing_arguments_pair_each_step_with_its_argument(extremum):
    """d max(a, b) = H(a - b) da + H(b - a) db: built over symbols standing for the matrix
    parts, SymPy re-sorts the arguments; each step must stay with its own argument (a
    pairing by position gave H(b - a) da: wrong gradients, found by campaign run 6)."""
    from matcalc import logsumexp, norm
    from sympy import Determinant, Identity, KroneckerProduct, log
    a_, b_ = MatrixSymbol("a", n, 1), MatrixSymbol("b", n, 1)
    C_ = MatrixSymbol("C", n, n)
    first = norm(KroneckerProduct(b_.T * X, a_.T)) ** 2
    second = scalar(OneMatrix(1, n) * logsumexp(X * C_, 2))       # the campaign's draw
    for args in ((first, second), (Trace(A * X), Trace(X) ** 2),
                 (log(Determinant(X * X.T + 3 * Identity(n))), first, Trace(A * X))):
        f = extremum(*args)
        G = matcalc.grad(f, X)
        assert matcalc.check(f, X, G).passed, (f, G)
