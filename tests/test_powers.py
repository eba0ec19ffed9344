"""Matrix powers: symbolic and large exponents in closed form, bounded work, real fractional
powers of scalars.

    d tr(X^k) = k tr(X^{k-1} dX)             grad = k (X^{k-1})^T        (Cookbook 121)
    grad tr(A X^k) = Σ_{i=0}^{k-1} (X^i A X^{k-1-i})^T                 (Cookbook 122)
    grad det(X^p) = p det(X^p) X^{-T}

Every result is asserted symbolically and checked numerically (a symbolic exponent takes
small integer values at the oracle's points).  The times asserted are loose bounds; the
measured times are in benchmarks/bench_powers.py.
"""
import pytest
from sympy import (Abs, Determinant, Inverse, MatMul, MatPow, MatrixSymbol, Rational, Trace, log,
                   real_root, sqrt, symbols)

import matcalc
from matcalc.constructs.matrix_sum import MatrixSum, matrix_sum, summation_index
from matcalc.errors import ResourceLimitError
from matcalc.printing.text import text_form
from conftest import assert_gradient, n

p = symbols("p", integer=True, positive=True)
q = symbols("q", integer=True, negative=True)
X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)


def cookbook_122(k):
    """Σ_{i=0}^{k-1} (X^T)^i A^T (X^T)^{k-1-i}."""
    i = summation_index()
    return matrix_sum(MatMul(MatPow(X.T, i), A.T, MatPow(X.T, k - 1 - i)), i, 0, k - 1)


@pytest.mark.parametrize("k", [2, 9, 40, p])
def test_trace_of_power_is_k_times_power_transposed(k):
    assert_gradient(Trace(X ** k), X, k * MatPow(X.T, k - 1))


def test_trace_of_power_300_collects_identical_terms():
    G = assert_gradient(Trace(X ** 300), X, 300 * MatPow(X.T, 299))
    assert str(G) == "300*X.T**299"
    assert matcalc.latex(G) == r"300 \left(X^{T}\right)^{299}"


def test_negative_and_symbolic_negative_exponents():
    assert_gradient(Trace(X ** -12), X, -12 * MatPow(X.T, -13))
    assert_gradient(Trace(X ** q), X, q * MatPow(X.T, q - 1))


def test_determinant_of_symbolic_power():
    assert_gradient(Determinant(X ** p), X, p * Determinant(X ** p) * Inverse(X.T))


@pytest.mark.parametrize("k", [9, 30, p])
def test_trace_A_X_power_is_a_sum_over_i(k):
    G = assert_gradient(Trace(A * X ** k), X, cookbook_122(k))
    assert isinstance(G, MatrixSum)
    assert matcalc.latex(G).startswith(r"\sum_{i=0}^{%s}" % matcalc.latex(k - 1))


def test_small_exponents_are_written_out():
    G = assert_gradient(Trace(A * X ** 3), X, cookbook_122(3))
    assert not G.has(MatrixSum)


def test_jacobian_and_hessian_of_symbolic_and_large_powers():
    J = matcalc.jacobian(X ** p, X)
    assert J.has(MatrixSum) and matcalc.check_jacobian(X ** p, X, J).passed
    f = Trace(X ** 12)
    H = matcalc.hessian(f, X)
    assert H.has(MatrixSum) and matcalc.check_hessian(f, X, H).passed
    g = Trace(A * X ** 12)           # nested sums: d((X^T)^{11-i}) inside the outer sum
    H = matcalc.hessian(g, X)
    assert matcalc.check_hessian(g, X, H).passed


@pytest.mark.parametrize("build", [
    lambda: matcalc.grad(Trace(X ** (10 ** 9)), X),
    lambda: matcalc.grad(Trace(X ** 100000), X),
    lambda: matcalc.grad(Trace(X ** -100000), X),
    lambda: matcalc.hessian(Trace(X ** 1000), X),
    lambda: matcalc.jacobian(X ** (10 ** 6), X),
    lambda: matcalc.grad(Trace(A * X ** (10 ** 9)), X),
], ids=["tr X^1e9", "tr X^1e5", "tr X^-1e5", "hessian tr X^1000", "jacobian X^1e6",
        "tr A X^1e9"])
def test_cost_of_a_power_rule_does_not_grow_with_the_exponent(build):
    # the result is a formula in the exponent, not its terms written out (time and memory
    # are measured in benchmarks/bench_powers.py, not here)
    result = build()
    assert result.has(MatPow) and len(text_form(result)) < 80


def test_exponents_of_summed_powers_print_parenthesized():
    H = matcalc.hessian(Trace(X ** 1000), X)
    assert "kron(X^(998 - i), X'^i)" in text_form(H)
    assert text_form(matcalc.grad(Trace(X ** p), X)) == "p*X'^(-1 + p)"


def test_huge_exponent_results_are_the_symbolic_formula():
    # X^(10^9) has no finite-difference value; the formula is the one checked at k = p above
    G = matcalc.grad(Trace(X ** (10 ** 9)), X)
    assert G == (p * MatPow(X.T, p - 1)).xreplace({p: 10 ** 9})


def test_a_sum_too_long_to_evaluate_is_refused_up_front():
    J = matcalc.jacobian(X ** (10 ** 6), X)
    with pytest.raises(ResourceLimitError, match="sum of 1000000 terms"):
        matcalc.check_jacobian(X ** (10 ** 6), X, J)


def test_exponent_of_unknown_sign_or_not_integer_is_refused_by_name():
    k = symbols("k", integer=True)
    with pytest.raises(matcalc.UnsupportedError, match="symbolic exponent of unknown sign"):
        matcalc.grad(Trace(X ** k), X)
    with pytest.raises(matcalc.UnsupportedError, match="non-integer or symbolic exponent"):
        matcalc.grad(Trace(MatPow(X, Rational(1, 2))), X)


# -- real fractional powers of scalars of any sign ---------------------------------------

def test_log_abs_det_is_inverse_transpose():
    assert_gradient(log(Abs(Determinant(X))), X, Inverse(X.T), text="X.T**(-1)")


def test_abs_det_powers_and_square_roots_of_squares():
    assert_gradient(sqrt(Abs(Determinant(X))), X,
                    sqrt(Abs(Determinant(X))) / 2 * Inverse(X.T))
    assert_gradient(sqrt(Determinant(X) ** 2), X, Abs(Determinant(X)) * Inverse(X.T))


def test_real_cube_root_of_a_negative_scalar():
    # tr(A X) - 3n is negative at the oracle's points (A, X near I): the real root, not
    # SymPy's principal (complex) one
    s = Trace(A * X) - 3 * n
    f = real_root(s, 3)
    assert_gradient(f, X, A.T / (3 * Abs(s) ** Rational(2, 3)))
