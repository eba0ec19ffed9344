"""Hessians d^2 f / d vec(X) d vec(X)^T: compact Kronecker forms, checked numerically.

Every Hessian asserted here, and every expected form, passes the numeric oracle
(``matcalc.numeric.check_hessian``, finite second differences).
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sympy import (Determinant, Identity, Inverse, KroneckerProduct, MatAdd, MatMul, MatPow,
                   MatrixSymbol, OneMatrix, Rational, Symbol, Trace, Transpose, cos, exp, log,
                   sin, sqrt, symbols, tanh)
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardProduct

import matcalc
from matcalc import UnsupportedError, norm, scalar, sigmoid
from matcalc.constructs.commutation import CommutationMatrix
from matcalc.derivatives import hessian
from matcalc.numeric import check_hessian, evaluate, random_point
from matcalc.simplify import equal_forms
from matcalc.algebra import flat_matmul
from matcalc.constructs.vec import Vec

n, m, k = symbols("n m k", integer=True, positive=True)
X, A, B = (MatrixSymbol(s, n, n) for s in "XAB")
x, a, b, y = (MatrixSymbol(s, n, 1) for s in "x a b y".split())
Ak = MatrixSymbol("A", n, k)          # data matrix, n samples x k features
w = MatrixSymbol("w", k, 1)
Xd = MatrixSymbol("X", n, k)          # factor / data matrix for ||XW - Y||
W, Y = MatrixSymbol("W", k, m), MatrixSymbol("Y", n, m)
lam = Symbol("lambda", positive=True)
I_n = Identity(n)


def assert_hessian(f, V, expected=None, *, text=None, rtol=1e-6):
    """hessian(f, V) passes the numeric check and is symmetric there; equals ``expected``
    (which passes too) and prints as ``text``."""
    H = hessian(f, V)
    report = check_hessian(f, V, H, rtol=rtol)
    assert report.passed, f"numeric check failed for H = {H}: {report}"
    value = np.atleast_2d(evaluate(H, random_point(f, H)))
    assert np.allclose(value, value.T, rtol=1e-9, atol=1e-9), f"H = {H} is not symmetric"
    if expected is not None:
        assert check_hessian(f, V, expected, rtol=rtol).passed, f"the reference {expected} fails"
        assert H == expected or equal_forms(H, expected), f"H = {H}, expected {expected}"
    if text is not None:
        assert str(H) == text, f"printed {H}, expected {text}"
    return H


# -- vectors: the ordinary n x n Hessian -------------------------------------------------------

def test_hessian_of_quadratic_form_is_A_plus_AT():
    assert_hessian(x.T * A * x, x, MatAdd(A, A.T), text="A + A.T")


def test_hessian_of_quadratic_form_with_symmetric_matrix_is_2A():
    S = matcalc.symmetric("S", n)
    assert_hessian(x.T * S * x, x, MatMul(2, S), text="2*S")


def test_hessian_of_least_squares_is_2_ATA():
    assert_hessian(norm(Ak * w - y) ** 2, w, MatMul(2, Ak.T, Ak), text="2*A.T*A")


def test_hessian_of_ridge_is_2_ATA_plus_lambda_I():
    f = norm(Ak * w - y) ** 2 + lam * norm(w) ** 2
    expected = MatMul(2, MatAdd(MatMul(Ak.T, Ak), MatMul(lam, Identity(k))))
    assert_hessian(f, w, expected)


def test_hessian_of_squared_quadratic_form():
    s = scalar(x.T * A * x)
    S = MatAdd(A, A.T)
    expected = MatAdd(MatMul(2, s, S), MatMul(2, S, x, x.T, S))
    assert_hessian(s ** 2, x, expected)


def test_hessian_of_euclidean_distance():
    r = norm(x - a)
    e = MatAdd(x, MatMul(-1, a))
    expected = MatAdd(MatMul(1 / r, I_n), MatMul(-1 / r ** 3, e, e.T))
    assert_hessian(r, x, expected)


def test_hessian_of_log_quadratic_form():
    s = scalar(x.T * A * x)
    S = MatAdd(A, A.T)
    expected = MatAdd(MatMul(1 / s, S), MatMul(-1 / s ** 2, S, x, x.T, S))
    assert_hessian(log(s), x, expected)


def _logistic_hessian_reference():
    z = Ak * w
    return MatMul(Ak.T, DiagMatrix(z.applyfunc(lambda t: sigmoid(t) * (1 - sigmoid(t)))), Ak)


def _is_AT_diag_A(H):
    coeff, mats = flat_matmul(H)
    return coeff == 1 and len(mats) == 3 and mats[0] == Ak.T and mats[2] == Ak \
        and isinstance(mats[1], DiagMatrix)


def test_hessian_of_logistic_regression_softplus_form():
    # sum_i log(1 + exp(a_i^T w)) - y^T A w: H = A^T diag(sigma'(A w)) A
    f = OneMatrix(1, n) * (Ak * w).applyfunc(lambda t: log(1 + exp(t))) - y.T * Ak * w
    H = assert_hessian(f, w)
    assert _is_AT_diag_A(H)
    assert check_hessian(f, w, _logistic_hessian_reference()).passed


def test_hessian_of_logistic_regression_cross_entropy_form():
    z = Ak * w
    f = -(y.T * z.applyfunc(lambda t: log(sigmoid(t)))
          + (OneMatrix(n, 1) - y).T * z.applyfunc(lambda t: log(1 - sigmoid(t))))
    H = assert_hessian(f, w)
    assert _is_AT_diag_A(H)      # the y-terms cancel: A^T diag(sigma - sigma^2) A
    assert not H.has(y)
    assert matcalc.latex(H) == \
        r"A^{T} \operatorname{diag}\left(\sigma\left(A w\right) \circ \left(1 - \sigma\left(A w\right)\right)\right) A"


# -- matrices: pq x pq Hessians in Kronecker form ----------------------------------------------

def test_hessian_of_trace_XT_A_X_is_kron_I_A_plus_AT():
    assert_hessian(Trace(X.T * A * X), X, KroneckerProduct(I_n, MatAdd(A, A.T)),
                   text="KroneckerProduct(I, A + A.T)")


def test_hessian_of_least_squares_in_W_is_2_kron_I_XTX():
    f = norm(Xd * W - Y) ** 2
    assert_hessian(f, W, MatMul(2, KroneckerProduct(Identity(m), Xd.T * Xd)),
                   text="2*(KroneckerProduct(I, X.T*X))")


def test_hessian_of_least_squares_in_X_is_2_kron_WWT_I():
    f = norm(Xd * W - Y) ** 2
    assert_hessian(f, Xd, MatMul(2, KroneckerProduct(W * W.T, I_n)),
                   text="2*(KroneckerProduct(W*W.T, I))")
    # the same through the trace spelling of the Frobenius norm
    E = Xd * W - Y
    assert_hessian(Trace(E.T * E), Xd, MatMul(2, KroneckerProduct(W * W.T, I_n)))


def test_hessian_of_trace_of_square_is_2K():
    assert_hessian(Trace(X ** 2), X, MatMul(2, CommutationMatrix(n, n)), text="2*K(n, n)")


def test_hessian_of_log_det_is_minus_K_kron_of_inverses():
    expected = MatMul(-1, CommutationMatrix(n, n), KroneckerProduct(Inverse(X.T), Inverse(X)))
    H = assert_hessian(log(Determinant(X)), X, expected)
    assert matcalc.latex(H) == r"- K_{n,n} \left(X^{-T} \otimes X^{-1}\right)"


def test_hessian_of_trace_of_inverse_quadratic_form_in_one_spelling():
    """tr((X A X^T)^{-1}), X square: (X A X^T)^{-1} and (X A X^T)^{-2} both spelled through
    X^{-1} (was 269 nodes mixing X^{-T} A^{-1} X^{-1} with (X A^T X^T)^{-2}; 133 now, the size
    of the Hessian of the same f written tr(X^{-T} A^{-1} X^{-1}))."""
    f = Trace(Inverse(X * A * X.T))
    H = assert_hessian(f, X)
    same = hessian(Trace(Inverse(X).T * Inverse(A) * Inverse(X)), X)
    assert equal_forms(H, same)
    assert matcalc.simplify.expression_size(H) <= 140
    assert str(H).count("X*A") == 0        # no (X A X^T)^{-k} left beside X^{-1}


def test_hessian_of_squared_bilinear_form_is_2_kron_bbT_aaT():
    assert_hessian(scalar(a.T * X * b) ** 2, X, MatMul(2, KroneckerProduct(b * b.T, a * a.T)),
                   text="2*(KroneckerProduct(b*b.T, a*a.T))")


def test_hessian_of_det_and_frobenius_powers():
    XiT = Inverse(X.T)
    expected = MatMul(Determinant(X), MatAdd(MatMul(Vec(XiT), Transpose(Vec(XiT))),
                                             MatMul(-1, CommutationMatrix(n, n),
                                                    KroneckerProduct(XiT, Inverse(X)))))
    assert_hessian(Determinant(X), X, expected)
    assert_hessian(norm(X) ** 4, X, MatMul(4, MatAdd(MatMul(norm(X) ** 2, Identity(n * n)),
                                                     MatMul(2, Vec(X), Transpose(Vec(X))))))


def test_hessian_of_elementwise_and_hadamard_constructs():
    assert_hessian(Trace(HadamardProduct(X, X) * A), X, MatMul(2, DiagMatrix(Vec(A.T))))
    assert_hessian(Trace(X.applyfunc(exp) * A), X)
    assert_hessian(Trace(Inverse(X)), X)


def test_hessian_of_linear_function_is_zero():
    H = assert_hessian(Trace(A * X), X)
    assert H.is_ZeroMatrix and H.shape == (n * n, n * n)


def test_hessian_of_scalar_variable():
    t = Symbol("t")
    assert hessian(t * sin(t), t) == -t * sin(t) + 2 * cos(t)


def test_hessian_needs_a_scalar():
    with pytest.raises(ValueError, match="scalar"):
        hessian(A * X, X)


def test_hessian_via_the_lazy_package_attribute():
    assert matcalc.hessian(x.T * A * x, x) == MatAdd(A, A.T)


# -- random scalar functions against the oracle ------------------------------------------------

def _well_conditioned(draw):
    return draw(st.sampled_from([X, X * A, A * X + B, X.T * X + A, X + A]))


@st.composite
def matrix_expressions(draw, depth=2):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from([X, X, A, B, Transpose(X)]))
    sub = lambda: draw(matrix_expressions(depth - 1))
    kind = draw(st.sampled_from(["mul", "mul", "add", "sub", "T", "inv", "pow", "had", "elem",
                                 "c*", "tr*"]))
    if kind == "mul":
        return MatMul(sub(), sub())
    if kind == "add":
        return MatAdd(sub(), sub())
    if kind == "sub":
        return MatAdd(sub(), MatMul(-1, sub()))
    if kind == "T":
        return Transpose(sub())
    if kind == "inv":
        return Inverse(_well_conditioned(draw))
    if kind == "pow":
        return MatPow(sub(), 2)
    if kind == "had":
        return HadamardProduct(sub(), sub())
    if kind == "elem":
        return sub().applyfunc(draw(st.sampled_from([sin, tanh, exp])))
    if kind == "c*":
        return MatMul(draw(st.sampled_from([Rational(1, 2), -2])), sub())
    return MatMul(Trace(sub()), sub())


@st.composite
def scalar_functions(draw):
    """A random scalar function of X built from traces, norms, determinants, bilinear forms
    and scalar functions of them."""
    E = draw(matrix_expressions())
    kind = draw(st.sampled_from(["tr", "frob", "norm2", "bilinear2", "tr2", "logdet", "trtr",
                                 "log1p", "sqrt", "exp", "sin"]))
    if kind == "tr":
        return Trace(E)
    if kind == "frob":
        return Trace(MatMul(Transpose(E), E))
    if kind == "norm2":
        return norm(E) ** 2
    if kind == "bilinear2":
        return scalar(a.T * E * b) ** 2
    if kind == "tr2":
        return Trace(E) ** 2
    if kind == "logdet":
        return log(Determinant(_well_conditioned(draw)))
    if kind == "trtr":
        return Trace(A * E) * Trace(B * draw(matrix_expressions()))
    if kind == "log1p":
        return log(1 + norm(E) ** 2)
    if kind == "sqrt":
        return sqrt(1 + Trace(MatMul(Transpose(E), E)))
    if kind == "exp":
        return exp(Trace(E) / 10)
    return sin(scalar(a.T * E * b))


def _assert_not_refuted(report, f, D):
    """A pass, or the oracle's abstention (finite differences that do not settle, e.g. a
    function constant along X); never a refutation."""
    if report.verdict == "unreliable":
        event("oracle abstained")
        return
    assert report.passed, f"f = {f}\nderivative = {D}\n{report}"


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scalar_functions())
def test_random_scalar_functions_hessians_match_the_oracle(f):
    try:
        H = hessian(f, X)
    except UnsupportedError:
        event("unsupported")
        return
    assert H.shape == (n * n, n * n)
    _assert_not_refuted(check_hessian(f, X, H, points=2, rtol=1e-5), f, H)


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(matrix_expressions(depth=1), st.sampled_from(["quad", "log", "sqrt", "sq", "elem"]))
def test_random_vector_functions_hessians_match_the_oracle(E, kind):
    """Scalar functions of a vector x through a random constant matrix C = E(A)."""
    C = E.xreplace({X: A})
    s = scalar(x.T * C * x)
    f = {"quad": s, "log": log(1 + s ** 2), "sqrt": sqrt(1 + norm(C * x - a) ** 2),
         "sq": s ** 2 + scalar(a.T * x) ** 3,
         "elem": OneMatrix(1, n) * (C * x).applyfunc(lambda t: log(1 + exp(t)))}[kind]
    try:
        H = hessian(f, x)
    except UnsupportedError:
        event("unsupported")
        return
    assert H.shape == (n, n)
    _assert_not_refuted(check_hessian(f, x, H, points=2, rtol=1e-5), f, H)
