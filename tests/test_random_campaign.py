"""The random-expression campaign, fast profile: engine against oracle on random draws.

Shape-aware random expressions (``strategies_matrix.py``: rectangular and vector
variables, outer and Kronecker products, every construct, depth up to 5) for
gradients, Jacobians and Hessians, and the original n x n grammar at depth 5.
With the 300 examples of ``test_random_gradients.py`` this makes over 1,000
examples per CI run; ``benchmarks/campaign.py`` is the long profile.

An outcome is ``correct`` (the oracle confirms), ``unsupported`` (an honest
UnsupportedError), ``unreliable`` (the oracle could neither confirm nor
refute), or a failure. A failure whose signature is a known engine bug (see
``KNOWN_BUGS``; each has a strict-xfail regression test below, which starts
passing -- and so failing -- when the bug is fixed) is counted, not failed;
every other mismatch, crash or timeout fails the test with a reproducer.
"""
import os
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from sympy import (Determinant, HadamardProduct, Identity, KroneckerProduct, MatPow, Min, Rational,
                   MatrixSymbol, OneMatrix, Sum, Trace, exp, log, symbols, tanh)

import matcalc
from matcalc import relu, scalar
from matcalc.numeric import evaluate, point_at
import strategies as square_grammar
from strategies_matrix import (Problem, gradient_problems, hessian_problems, jacobian_problems,
                               outcome_of)

OUTCOMES = Counter()
SCALE = float(os.environ.get("MATCALC_CAMPAIGN_SCALE", "1"))
#: the fast profile (about 30 s of the suite's 5 minutes on an idle machine; the grammar grew with the coverage,
#: language and decomposition constructs, so fewer draws than before); the long profile,
#: ``benchmarks/campaign.py --examples 20000``, is recorded in benchmarks/CAMPAIGN.md
EXAMPLES = {"gradient": 110, "gradient-square": 80, "jacobian": 160, "hessian": 40}
#: seconds one problem may take (engine and oracle) before it is a failure
TIMEOUT = 60


def _examples(kind):
    return max(1, int(EXAMPLES[kind] * SCALE))


# --------------------------------------------------------------------------
# known engine bugs: signature -> description (each pinned by an xfail test below)
# --------------------------------------------------------------------------
KNOWN_BUGS = {}  # all fixed; their reproducers are the regression tests below


def known_bug(problem, outcome, detail):
    """The ``KNOWN_BUGS`` key that explains a failed outcome, or None."""
    if outcome not in ("mismatch", "crash"):
        return None
    return None


def run(problem):
    outcome, detail = outcome_of(problem, points=2, rtol=1e-5, timeout=TIMEOUT)
    bug = known_bug(problem, outcome, detail)
    if bug:
        OUTCOMES[(problem.kind, f"known bug: {bug}")] += 1
        return
    OUTCOMES[(problem.kind, outcome)] += 1
    assert outcome in ("correct", "unsupported", "refused", "unreliable", "symmetric-only"), (
        f"{outcome}: {problem}\n{detail}\n\nreproducer:\n{problem.reproducer()}")


def _settings(kind):
    return settings(max_examples=_examples(kind), deadline=None, derandomize=True,
                    database=None, suppress_health_check=list(HealthCheck))


@_settings("gradient")
@given(gradient_problems(max_depth=5))
def test_random_gradients_of_every_shape_match_the_oracle(problem):
    run(problem)


@_settings("gradient-square")
@given(square_grammar.scalar_functions(max_depth=5))
def test_random_deep_square_gradients_match_the_oracle(f):
    run(Problem("gradient", f, square_grammar.X))


@_settings("jacobian")
@given(jacobian_problems(max_depth=4))
def test_random_jacobians_match_the_oracle(problem):
    run(problem)


@_settings("hessian")
@given(hessian_problems(max_depth=3))
def test_random_hessians_match_the_oracle(problem):
    run(problem)


def teardown_module(module):
    lines = [f"  {kind:16s} {outcome:55s} {count}" for (kind, outcome), count
             in sorted(OUTCOMES.items())]
    print("\nrandom campaign (fast profile):\n" + "\n".join(lines))


# --------------------------------------------------------------------------
# regressions: the campaign's findings, minimal reproducers
# --------------------------------------------------------------------------
n, m = symbols("n m", integer=True, positive=True)
X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
x, a = MatrixSymbol("x", n, 1), MatrixSymbol("a", n, 1)
Y, c = MatrixSymbol("Y", n, m), MatrixSymbol("c", m, 1)


def test_gradient_of_trace_of_hadamard_with_identity_is_identity():
    f = Trace(HadamardProduct(Identity(n), X))
    G = matcalc.grad(f, X)
    assert matcalc.check(f, X, G).passed


def test_symmetric_elementwise_gradient_of_trace_is_identity():
    G = matcalc.grad(Trace(X), X, structure="symmetric-elementwise")
    assert matcalc.check(Trace(X), X, G, structure="symmetric-elementwise").passed


def test_gradient_of_trace_of_outer_kronecker_is_2x():
    f = Trace(KroneckerProduct(x, x.T))  # = tr(x x^T) = x^T x
    G = matcalc.grad(f, x)
    assert G.shape == x.shape and matcalc.check(f, x, G).passed


def test_trace_of_rectangular_kronecker_is_refused_not_wrong():
    # was: Trace(c)*I, n x n for Y n x m (tr A ⊗ B = tr A tr B applied to non-square factors);
    # Y ⊗ c^T is n x m^2, so the trace itself is ill-shaped (SymPy builds it: sizes symbolic)
    f = Trace(KroneckerProduct(Y, c.T))
    with pytest.raises((matcalc.UnsupportedError, matcalc.NonSquareMatrixError),
                       match="non-square|square matrix"):
        matcalc.grad(f, Y)


def test_trace_of_square_kronecker_with_non_square_factors_is_not_wrong():
    # Y ⊗ Y^T is (n m) x (m n): square, but its factors are not, so tr = tr Y tr Y^T is wrong
    f = Trace(KroneckerProduct(Y, Y.T))
    try:
        G = matcalc.grad(f, Y)
    except matcalc.UnsupportedError:
        return
    assert G.shape == Y.shape and matcalc.check(f, Y, G).passed


def test_hessian_wrt_spd_variable_is_the_unconstrained_hessian():
    from matcalc.derivatives import hessian
    from matcalc.numeric import check_hessian
    S = matcalc.spd("S", n)
    H = hessian(log(Determinant(S)), S)
    assert check_hessian(log(Determinant(S)), S, H, structure="symmetric").passed  # holds
    assert check_hessian(log(Determinant(S)), S, H).passed  # was: K dropped


def test_hadamard_power_of_a_one_by_one_kronecker_product():
    # long-campaign finding: SymPy's KroneckerProduct canonicalizer raised AttributeError
    # inside the engine's products; matmul now keeps such a product unsimplified
    from sympy import HadamardPower, Inverse, MatAdd, MatMul, OneMatrix
    one, I1 = OneMatrix(1, 1), Identity(1)
    s = MatMul(one, a.T * X.T, MatrixSymbol("b", n, 1))
    f = matcalc.scalar(HadamardPower(KroneckerProduct(
        one, MatMul(s, Inverse(MatAdd(MatMul(3, I1), one * one.T)))), 3))
    G = matcalc.grad(f, X)
    assert matcalc.check(f, X, G).passed


PRINT_RESULT = """
import sys, time
import matcalc
from matcalc.printing.text import text_form
from sympy import DiagonalOf, Identity, Inverse, MatAdd, MatMul, MatrixSymbol, Trace, symbols
n, m = symbols("n m", integer=True, positive=True)
Y, C, c = MatrixSymbol("Y", n, m), MatrixSymbol("C", n, m), MatrixSymbol("c", m, 1)
M = MatMul(DiagonalOf(C.T * Y), c.T * Y.T)
G = matcalc.grad(Trace(Inverse(MatAdd(MatMul(M, M.T), MatMul(3, Identity(m))))), Y)
start = time.perf_counter()
str(G), matcalc.latex(G), text_form(G), matcalc.derive(Trace(M * M.T), Y).latex()
print(time.perf_counter() - start)
"""


def test_printing_a_result_takes_seconds_not_a_minute():
    # performance bug (found chasing campaign timeouts; issue 11): printing the gradient of
    # tr(inv(M M^T + 3I)), M = diagvec(C^T Y) c^T Y^T, took ~2 min with str() and ~25 s with
    # matcalc.latex (the gradient itself takes 0.01 s): SymPy's printers negate products to
    # choose parentheses (could_extract_minus_sign -> -M -> deep doit -> DiagMatrix.doit ->
    # satisfiable); matcalc.sympy_fixes answers the predicate without evaluating anything
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        done = subprocess.run([sys.executable, "-c", PRINT_RESULT], cwd=root, timeout=60,
                              capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        pytest.fail("printing the result took over a minute")
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.split()[-1]) < 5, "printing took seconds, not milliseconds"


def test_sigmoid_spelling_of_a_coefficient_with_a_kronecker_trace_inside():
    """Campaign run 6: the σ spelling of exp(tanh(t)) tanh'(t) ran SymPy's cancel over
    t = tr(H (X - B) ⊗ (M - λI)), whose sign simplification rebuilt the Kronecker product
    with a negated factor (``'Mul' object has no attribute 'is_Identity'``)."""
    lam = symbols("lambda", positive=True)
    H = MatrixSymbol("H", m * n, m * n)
    B, M = MatrixSymbol("B", n, n), MatrixSymbol("M", m, m)
    f = exp(tanh(Trace(H * KroneckerProduct(X - B, M - lam * Identity(m)))))
    G = matcalc.grad(f, X)
    assert matcalc.check(f, X, G).passed


def test_an_index_sum_of_a_symbolic_power_is_evaluated():
    """Campaign run 6: d tr(H (s M)^p) for a symbolic p is an index sum, which the oracle
    printed as range(0, p) with p drawn as a float (TypeError instead of a verdict)."""
    p = symbols("p", integer=True, positive=True)
    M, H = MatrixSymbol("M", n, n), MatrixSymbol("H", n, n)
    f = Trace(H * MatPow(scalar(x.T * x) * M, p))
    G = matcalc.grad(f, x)
    assert G.has(Sum)
    assert matcalc.check(f, x, G).passed


def test_a_kink_argument_that_cancels_to_rounding_noise_is_no_kink():
    """Campaign run 6's one mismatch, the oracle's: relu(C' - max(C', RX)) is 0 on a region,
    its argument rounding noise whose sign flipped with every step; steps that slipped
    through refuted the right gradient R^T [RX > C']."""
    R, C, Xr = MatrixSymbol("R", m, n), MatrixSymbol("C", n, m), MatrixSymbol("X", n, n)
    ones_m, ones_n = OneMatrix(m, 1), OneMatrix(n, 1)
    top = relu(C.T - R * Xr) + R * Xr                      # max(C', R X), elementwise
    f = scalar(ones_m.T * (relu(C.T - top) + top) * ones_n)
    G = matcalc.grad(f, Xr)
    assert matcalc.check(f, Xr, G, points=2, rtol=1e-5).passed
    wrong = R.T * ones_m * ones_n.T                         # ignores the max
    assert not matcalc.check(f, Xr, wrong, points=2, rtol=1e-5).passed


def test_min_of_matrix_bearing_arguments_with_an_elementwise_relu_inside():
    """Campaign run 6: d min(a, b) built its steps H(a - b) with SymPy's sign simplification
    over a and b, which rebuilt relu(X C - X^T C) with the matrix negated into a scalar
    product (``must be a matrix instance``)."""
    from matcalc import expm
    C = MatrixSymbol("C", n, n)
    M = relu(X * C - X.T * C) + X.T * C
    f = Min(log(Determinant(M * M.T + 3 * Identity(n))), Trace(expm(X / 4)))
    G = matcalc.grad(f, X)
    assert matcalc.check(f, X, G).passed


def test_a_coefficient_beyond_float_range_is_evaluated_through_its_power():
    """Campaign run 6: the chain rule of ((((t/4)^9)/4)^9 / 4)^12 collapses to c t^971 with
    c = 243/10^600, which underflows: 0 * inf = nan where f and its differences are finite."""
    t = a.T * x
    f = scalar((Rational(1, 4) * (-(Rational(1, 4) * (Rational(1, 4) * t) ** 9) ** 9)) ** 12)
    G = matcalc.grad(f, x)
    assert matcalc.check(f, x, G, points=2, rtol=1e-5).passed
    # the generated code folds the coefficient the same way (it computed 0.0 * inf = nan);
    # at t = a^T x = 4.7 f is 2e-3 and its gradient 0.014 per entry of a = 1
    from matcalc.codegen import codegen
    ones = np.ones((3, 1))
    at = {a: ones, x: ones * 4.7 / 3}
    assert matcalc.check(f, x, G, at=at, rtol=1e-5).passed
    generated = codegen(G)(ones, ones * 4.7 / 3)
    assert np.all(np.isfinite(generated))
    np.testing.assert_allclose(generated, evaluate(G, point_at(at, G)), rtol=1e-12)


def test_an_undefined_function_of_a_kronecker_norm_is_bound_by_the_oracle():
    """Campaign run 6: binding f' at a point holding A ⊗ B with a scalar factor ran SymPy's
    Kronecker doit on the point ('Mul' object has no attribute 'is_Identity')."""
    from sympy import Function, sin
    uf = Function("uf")
    f = uf(matcalc.norm(KroneckerProduct(scalar(a.T * X * a) * X, a.T * X)) ** 2)
    G = matcalc.grad(f, X)
    assert matcalc.check(f, X, G, functions={uf: sin}).passed


def test_a_coefficient_sympy_cannot_sum_stays_a_sum(monkeypatch):
    """Campaign run 6: SymPy's summation raised ValueError (its Heaviside asked whether a
    matrix-bearing term is real) out of a gradient; such a sum now stays unevaluated."""
    import sympy
    from matcalc.constructs.matrix_sum import summed_coefficient
    i, p = symbols("i p", integer=True, nonnegative=True)
    coeff = i ** 2 * scalar(a.T * x)

    def refuses(*args, **kwargs):
        raise ValueError("Function defined only for Real Values")
    monkeypatch.setattr(sympy, "summation", refuses)
    total = summed_coefficient(coeff, i, 0, p)
    assert total == Sum(coeff, (i, 0, p))
    assert total.subs(p, 3).doit() == 14 * scalar(a.T * x)
