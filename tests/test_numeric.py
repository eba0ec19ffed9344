"""The numeric oracle judged against gradients known by hand.

Every expected derivative here is written by hand in SymPy (never by the
engine), so these tests check the oracle itself: it must pass the right
answers, catch the wrong ones, and evaluate every printed construct exactly
as NumPy does.
"""
import json
import math

import numpy as np
import pytest
from sympy import (Abs, Determinant, DiagMatrix, DiagonalMatrix, DiagonalOf, HadamardProduct,
                   Identity, Inverse, KroneckerProduct, Lambda, MatPow, MatrixSymbol, OneMatrix,
                   Rational, S, Symbol, Trace, ZeroMatrix, exp, log, sin, sqrt, symbols)
from sympy.matrices.expressions.hadamard import HadamardPower
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr

from matcalc.errors import MatcalcError, NonFiniteError, ResourceLimitError, ShapeError
from matcalc.constructs.commutation import CommutationMatrix
from matcalc.constructs.differentials import DifferentialSymbol
from matcalc.constructs.functions import sigmoid
from matcalc.constructs.norm import norm
from matcalc.constructs.scalars import scalar
from matcalc.numeric import (MAX_ENTRIES, MAX_POINTS, CheckReport, MatcalcNumPyPrinter, Point,
                             check, check_hessian, check_jacobian, concrete_sizes, evaluate,
                             fd_directional, fd_gradient, fd_hessian, fd_jacobian, lambdify,
                             numpy_code, random_point)
from matcalc.constructs.structured import diagonal, orthogonal, positive, spd, symmetric

n, m, p, q = symbols("n m p q", integer=True, positive=True)
X, A, C = (MatrixSymbol(s, n, n) for s in "XAC")
x, a = MatrixSymbol("x", n, 1), MatrixSymbol("a", n, 1)


def sym_part(M):
    return (M + M.T) / 2


# -- sizes and points ---------------------------------------------------------
def test_concrete_sizes_are_distinct_and_deterministic():
    Y, B = MatrixSymbol("Y", n, m), MatrixSymbol("B", p, q)
    sizes = concrete_sizes(Y * MatrixSymbol("Z", m, p) * B)
    assert sizes == {m: 3, n: 4, p: 5, q: 2}
    for seed in range(5):
        s = concrete_sizes(Y, B, seed=seed)
        assert len(set(s.values())) == 4 and s == concrete_sizes(Y, B, seed=seed)


def test_random_point_respects_structure():
    S, P, D, Q, Sy, Pos = spd("S", n), symmetric("P", n), diagonal("D", n), \
        orthogonal("Q", n), symmetric("Sy", n), positive("Pos", n, m)
    s = Symbol("s")
    pt = random_point(Trace(S + P + D + Q + Sy) * s + Trace(Pos.T * Pos) + Trace(X))
    assert np.all(np.linalg.eigvalsh(pt[S]) > 0.99) and np.allclose(pt[S], pt[S].T)
    assert np.allclose(pt[P], pt[P].T) and np.allclose(pt[Sy], pt[Sy].T)
    assert np.allclose(pt[D], np.diag(np.diag(pt[D]))) and np.all(np.diag(pt[D]) >= 0.5)
    assert np.allclose(pt[Q].T @ pt[Q], np.eye(pt[Q].shape[0]))
    assert np.all((pt[Pos] >= 0.5) & (pt[Pos] <= 1.5))
    assert pt[Pos].shape == (4, 3)  # sizes by name: m=3, n=4
    assert 0.5 <= pt[s] <= 1.5 and isinstance(pt[s], float)
    assert np.linalg.cond(pt[X]) < 10
    again = random_point(Trace(S + P + D + Q + Sy) * s + Trace(Pos.T * Pos) + Trace(X))
    assert all(np.array_equal(pt[k], again[k]) for k in pt.values)
    other = random_point(Trace(X), seed=1)
    assert not np.array_equal(other[X], random_point(Trace(X), sizes=other.sizes)[X])


def test_random_point_rejects_differentials():
    with pytest.raises(ValueError, match="differential"):
        random_point(Trace(A * DifferentialSymbol.of(X)))


def test_same_variable_with_and_without_structure_shares_its_value():
    S = spd("X", n)
    pt = random_point(Trace(S) + Trace(X))
    assert np.array_equal(pt[S], pt[X])
    assert np.allclose(pt[X], pt[X].T)


# -- the printer, node by node, against NumPy -----------------------------------
def _direct_cases():
    B = MatrixSymbol("B", n, m)
    s = Symbol("s")
    t = Symbol("t")
    cases = [
        (Trace(A * X), lambda v: np.trace(v[A] @ v[X])),
        (Determinant(X), lambda v: np.linalg.det(v[X])),
        (log(Determinant(X)), lambda v: np.log(np.linalg.det(v[X]))),
        (log(Abs(Determinant(X))), lambda v: np.log(abs(np.linalg.det(v[X])))),
        (sqrt(Trace(X.T * X)) * Determinant(A), lambda v: np.sqrt(np.trace(v[X].T @ v[X]))
         * np.linalg.det(v[A])),
        (HadamardPower(X, 2), lambda v: v[X] ** 2),
        (HadamardPower(X, -1), lambda v: 1 / v[X]),
        (HadamardPower(HadamardProduct(X, X), Rational(1, 2)), lambda v: np.abs(v[X])),
        (X.applyfunc(exp), lambda v: np.exp(v[X])),
        (X.applyfunc(sigmoid), lambda v: 1 / (1 + np.exp(-v[X]))),
        (X.applyfunc(Lambda(t, s * t ** 2)), lambda v: v[s] * v[X] ** 2),
        (X.applyfunc(Lambda(t, 2)), lambda v: np.full(v[X].shape, 2.0)),
        (X.applyfunc(sin).applyfunc(exp), lambda v: np.exp(np.sin(v[X]))),
        (MatPow(x.T * x, Rational(1, 2)), lambda v: np.sqrt(v[x].T @ v[x])),
        (MatPow(x.T * A * x, Rational(-3, 2)), lambda v: (v[x].T @ v[A] @ v[x]) ** -1.5),
        (MatPow(X, 3), lambda v: v[X] @ v[X] @ v[X]),
        (MatPow(X, -2), lambda v: np.linalg.inv(v[X] @ v[X])),
        (MatrixElement(x.T * A * x, 0, 0), lambda v: (v[x].T @ v[A] @ v[x])[0, 0]),
        (MatrixElement(X, 1, 0), lambda v: v[X][1, 0]),
        (scalar(x.T * x) * X + Trace(X) * A, lambda v: (v[x].T @ v[x])[0, 0] * v[X]
         + np.trace(v[X]) * v[A]),
        (log(scalar(x.T * x)) * exp(Trace(A)), lambda v: np.log(v[x].T @ v[x])[0, 0]
         * np.exp(np.trace(v[A]))),
        (OneMatrix(n, m) + B, lambda v: 1 + v[B]),
        (ZeroMatrix(n, m) + B, lambda v: v[B]),
        (Identity(n) + X, lambda v: np.eye(v[X].shape[0]) + v[X]),
        (DiagMatrix(x), lambda v: np.diag(v[x][:, 0])),
        (DiagMatrix(x.T), lambda v: np.diag(v[x][:, 0])),
        (DiagonalOf(X), lambda v: np.diag(v[X]).reshape(-1, 1)),
        (DiagonalMatrix(X), lambda v: np.diag(np.diag(v[X]))),
        (KroneckerProduct(B, x, A), lambda v: np.kron(np.kron(v[B], v[x]), v[A])),
        (HadamardProduct(X, A, X), lambda v: v[X] * v[A] * v[X]),
        (Inverse(X) * A, lambda v: np.linalg.solve(v[X], v[A])),
        ((X * A).T - Rational(1, 2) * B * B.T, lambda v: (v[X] @ v[A]).T - v[B] @ v[B].T / 2),
        (norm(B) + norm(x), lambda v: np.linalg.norm(v[B]) + np.linalg.norm(v[x])),
        (x.T * A * x, lambda v: (v[x].T @ v[A] @ v[x])[0, 0]),
    ]
    return cases


@pytest.mark.parametrize("expr,direct", _direct_cases(), ids=lambda e: str(e)[:40])
def test_printer_matches_numpy(expr, direct):
    pt = random_point(expr, seed=3)
    value = evaluate(expr, pt)
    expected = direct(pt.values)
    if isinstance(expr, MatrixExpr) and expr.shape == (1, 1) or not isinstance(expr, MatrixExpr):
        assert isinstance(value, float)
        expected = float(np.asarray(expected).reshape(-1)[0])
    else:
        assert value.shape == np.shape(expected)
    assert np.allclose(value, expected, rtol=1e-12, atol=1e-12)


def test_log_det_of_negative_determinant_is_nan():
    Y = MatrixSymbol("Y", 2, 2)
    pt = Point({}, {Y: np.array([[0.0, 1.0], [1.0, 0.0]])})
    assert math.isnan(evaluate(log(Determinant(Y)), pt))
    assert evaluate(log(Abs(Determinant(Y))), pt) == pytest.approx(0.0, abs=1e-15)


def test_printer_commutation_matrix():
    # K vec(B) = vec(B^T) for B 3 x 4, column-major vec
    vec = lambda M: M.reshape(-1, order="F")
    b = np.random.default_rng(0).standard_normal((3, 4))
    Kv = eval(MatcalcNumPyPrinter().doprint(CommutationMatrix(3, 4)), {"numpy": np})
    assert np.array_equal(Kv @ vec(b), vec(b.T))
    v = MatrixSymbol("v", n * m, 1)
    pt = Point({n: 3, m: 4}, {v: vec(b).reshape(-1, 1)})
    assert np.array_equal(evaluate(CommutationMatrix(n, m) * v, pt)[:, 0], vec(b.T))


def test_sympy_lambdify_prints_matcalc_classes_by_their_rules():
    """SymPy's own printer reaches matcalc's classes through ``_numpycode``: the same code."""
    import sympy
    from sympy.printing.numpy import NumPyPrinter
    t = Symbol("t")
    for expr in (norm(X), sigmoid(t), CommutationMatrix(3, 4)):
        assert NumPyPrinter().doprint(expr) == numpy_code(expr)
    f = sympy.lambdify([X, t], norm(X) + sigmoid(t), "numpy")
    assert f(np.eye(3), 0.0) == pytest.approx(math.sqrt(3) + 0.5)


def test_numpy_code_is_readable():
    assert numpy_code(Trace(A * X)) == "numpy.trace((A @ X))"
    assert numpy_code(X.applyfunc(exp)) == "(lambda _mc_x1: numpy.exp(_mc_x1))(X)"


def test_non_integer_power_of_a_square_matrix_is_refused():
    with pytest.raises(NotImplementedError, match="non-integer matrix power"):
        numpy_code(MatPow(X, Rational(1, 2)))


def test_lambdify_reads_sizes_from_arguments():
    B = MatrixSymbol("B", n, m)
    f = lambdify([X, B], Inverse(X) * B + Trace(X) * OneMatrix(n, m))
    rng = np.random.default_rng(1)
    for size, cols in [(3, 2), (5, 4)]:
        xv, bv = np.eye(size) + 0.1 * rng.standard_normal((size, size)), \
            rng.standard_normal((size, cols))
        assert np.allclose(f(xv, bv), np.linalg.solve(xv, bv) + np.trace(xv))
    with pytest.raises(ValueError, match="not among"):
        lambdify([X], Trace(A * X))


# -- the gradient check: right answers pass, wrong answers fail ----------------
@pytest.mark.parametrize("f,G,wrong", [
    (Trace(A * X), A.T, A),
    (log(Determinant(X)), Inverse(X).T, Inverse(X)),
    (Trace(X.T * X), 2 * X, 3 * X),
    (Determinant(X), Determinant(X) * Inverse(X).T, Inverse(X).T),
    (Trace(X * X * X), 3 * (X * X).T, 3 * X * X),
    (Trace(Inverse(X) * A), -(Inverse(X) * A * Inverse(X)).T, -Inverse(X) * A * Inverse(X)),
    (Trace(HadamardProduct(X, A).T * X), 2 * HadamardProduct(A, X), HadamardProduct(A, X)),
    (Trace(OneMatrix(n, n) * X.applyfunc(exp)), X.applyfunc(exp), X),
    (Trace(X.applyfunc(exp)), HadamardProduct(X.applyfunc(exp), Identity(n)), X.applyfunc(exp)),
], ids=["trAX", "logdet", "trXtX", "det", "trX3", "trXinvA", "hadamard", "elementwise",
        "trace-of-elementwise"])
def test_check_passes_right_and_catches_wrong_gradients(f, G, wrong):
    report = check(f, X, G)
    assert report.passed and bool(report), str(report)
    assert report.max_rel_error < 1e-8 and report.points == 3 and report.method == "richardson"
    bad = check(f, X, wrong)
    assert not bad.passed and not bad, str(bad)
    assert bad.max_rel_error > 1e-3 and "exceeds rtol" in bad.reason


def test_quadratic_form_vector_gradient_and_numerator_layout():
    f = x.T * A * x  # a 1x1 matrix expression
    assert check(f, x, (A + A.T) * x)
    assert not check(f, x, 2 * A * x)
    assert check(f, x, x.T * (A + A.T), layout="numerator")
    assert check(scalar(f), x, (A + A.T) * x)


def test_several_symbolic_sizes():
    W, Xr, Y = MatrixSymbol("W", m, p), MatrixSymbol("X", n, m), MatrixSymbol("Y", n, p)
    R = Xr * W - Y
    f = Trace(R.T * R)
    assert check(f, W, 2 * Xr.T * R)
    assert check(f, Xr, 2 * R * W.T)
    assert not check(f, W, Xr.T * R)
    report = check(f, W, 2 * Xr.T * R)
    assert len({tuple(d["sizes"].items()) for d in report.details}) >= 2


def test_scalar_symbols_and_chain_rule():
    s = Symbol("s", positive=True)
    f = s * log(Trace(X.T * X)) + exp(s * Trace(A * X))
    G = 2 * s / Trace(X.T * X) * X + s * exp(s * Trace(A * X)) * A.T
    assert check(f, X, G)
    assert not check(f, X, 2 / Trace(X.T * X) * X + s * exp(s * Trace(A * X)) * A.T)


def test_structure_symmetric_and_symmetric_elementwise():
    S = spd("S", n)
    Sinv = Inverse(S)
    elementwise = 2 * Sinv - HadamardProduct(Sinv, Identity(n))
    assert check(log(Determinant(S)), S, Sinv)  # unconstrained: S^{-T} = S^{-1}
    assert check(log(Determinant(S)), S, Sinv, structure="symmetric")
    assert check(log(Determinant(S)), S, elementwise, structure="symmetric-elementwise")
    assert not check(log(Determinant(S)), S, Sinv, structure="symmetric-elementwise")
    assert not check(log(Determinant(S)), S, elementwise, structure="symmetric")
    # tr(A X) for symmetric X: sym(A^T) = (A + A^T)/2, elementwise A + A^T - A∘I
    assert check(Trace(A * X), X, sym_part(A), structure="symmetric")
    assert not check(Trace(A * X), X, A.T, structure="symmetric")
    assert check(Trace(A * X), X, A + A.T - HadamardProduct(A, Identity(n)),
                 structure="symmetric-elementwise")


def test_fd_gradient_structures_relate():
    pt = random_point(Trace(A * X))
    G = fd_gradient(Trace(A * X), X, pt)
    assert np.allclose(G, pt[A].T, atol=1e-10)
    assert np.allclose(fd_gradient(Trace(A * X), X, pt, structure="symmetric"), (G + G.T) / 2)
    assert np.allclose(fd_gradient(Trace(A * X), X, pt, structure="symmetric-elementwise"),
                       G + G.T - np.diag(np.diag(G)))
    with pytest.raises(ValueError, match="fd_directional"):
        fd_gradient(Trace(A * X), X, pt, method="directional")


def test_directional_method():
    f, G = log(Determinant(X)), Inverse(X).T
    report = check(f, X, G, method="directional")
    assert report.passed and report.method == "directional"
    assert not check(f, X, Inverse(X), method="directional")
    pt = random_point(f, X)
    V, D = fd_directional(f, X, pt, directions=4)
    Gv = np.linalg.inv(pt[X]).T
    assert np.allclose(D[:, 0], [np.sum(Gv * v) for v in V], rtol=1e-9)
    # symmetric structures: an asymmetric claim cannot hide from symmetric directions
    S = spd("S", n)
    assert check(log(Determinant(S)), S, 2 * Inverse(S) - HadamardProduct(Inverse(S), Identity(n)),
                 structure="symmetric-elementwise", method="directional")
    assert not check(Trace(A * S), S, A.T, structure="symmetric", method="directional")


def test_large_variable_goes_directional():
    Big = MatrixSymbol("Big", 25, 20)
    Ab = MatrixSymbol("Ab", 20, 25)
    report = check(Trace(Ab * Big), Big, Ab.T, points=1)
    assert report.passed and report.method == "directional"
    assert not check(Trace(Ab * Big), Big, 2 * Ab.T, points=1)


def test_wrong_shape_is_a_shape_error_naming_both():
    with pytest.raises(ShapeError, match="1 x n, expected n x 1"):
        check(x.T * A * x, x, x.T * (A + A.T))
    B = MatrixSymbol("B", n, m)
    with pytest.raises(ShapeError, match="m x n, expected n x m"):
        check(Trace(B.T * B), B, B.T)
    with pytest.raises(ShapeError, match="1x1"):
        check(X * A, X, A)


def test_zero_gradient_is_judged_zero():
    f = Trace(A) + log(Determinant(A))  # independent of X
    assert check(f, X, ZeroMatrix(n, n))
    assert not check(f, X, Identity(n))


def test_non_finite_points_are_redrawn():
    # log(x^T a) is defined for about half the random draws: redrawn, then passes
    f = log(scalar(x.T * a))
    report = check(f, x, a / scalar(x.T * a), points=8)
    assert report.passed and any(d["redraws"] > 0 for d in report.details)


def test_never_finite_fails_with_reason():
    report = check(log(-Trace(X)), X, -Identity(n) / Trace(X))
    assert not report.passed and math.isinf(report.max_rel_error)
    assert "no finite values" in report.reason and "not finite" in report.details[0]["reason"]
    bad_claim = check(Trace(X), X, sqrt(-Trace(X)) * Identity(n))
    assert not bad_claim.passed and "claimed gradient" in bad_claim.reason
    # f is defined there: a non-finite claim is a wrong claim, not a reason to redraw
    assert all(d["redraws"] == 0 for d in bad_claim.details)


def test_point_sizes_may_be_keyed_by_name():
    pt = Point({"n": 2}, {X: np.diag([2.0, 3.0])})
    assert evaluate(Trace(X) + Determinant(X), pt) == pytest.approx(11.0)
    with pytest.raises(ValueError, match="no concrete size"):
        evaluate(Trace(X), Point({}, {X: np.eye(2)}))


def test_report_as_dict_is_json_and_str_is_readable():
    report = check(Trace(A * X), X, A.T, points=2)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["passed"] is True and data["points"] == 2 and len(data["details"]) == 2
    assert "PASSED" in str(report) and "CheckReport" in repr(report)
    assert isinstance(report, CheckReport)
    failed = check(log(-Trace(X)), X, Identity(n), points=1)
    assert json.loads(json.dumps(failed.as_dict()))["max_rel_error"] is None
    assert "FAILED" in str(failed) and "reason" in str(failed)


# -- Jacobians and Hessians ------------------------------------------------------
def test_fd_jacobian_of_AXB_is_kron():
    Am, Xm, Bm = MatrixSymbol("A", n, m), MatrixSymbol("X", m, p), MatrixSymbol("B", p, q)
    F = Am * Xm * Bm
    pt = random_point(F)
    J = fd_jacobian(F, Xm, pt)
    assert J.shape == (4 * 2, 3 * 5)
    assert np.allclose(J, np.kron(pt[Bm].T, pt[Am]), atol=1e-9)
    assert check_jacobian(F, Xm, KroneckerProduct(Bm.T, Am))
    assert check_jacobian(F, Xm, KroneckerProduct(Bm.T, Am), method="directional")
    Y, P, R = MatrixSymbol("Y", n, n), MatrixSymbol("P", n, n), MatrixSymbol("R", n, n)
    assert check_jacobian(P * Y * R, Y, KroneckerProduct(R.T, P))
    assert not check_jacobian(P * Y * R, Y, KroneckerProduct(R, P))  # forgot a transpose
    assert not check_jacobian(P * Y * R, Y, KroneckerProduct(P, R.T))  # wrong order
    with pytest.raises(ShapeError):
        check_jacobian(F, Xm, KroneckerProduct(Bm, Am))


def test_jacobian_of_transpose_is_commutation():
    from matcalc.constructs.commutation import CommutationMatrix
    B = MatrixSymbol("B", n, m)
    assert check_jacobian(B.T, B, CommutationMatrix(n, m))
    assert not check_jacobian(B.T, B, CommutationMatrix(m, n))


def test_fd_hessian_of_quadratic_form():
    f = x.T * A * x
    pt = random_point(f)
    H = fd_hessian(f, x, pt)
    assert np.allclose(H, pt[A] + pt[A].T, atol=1e-8)
    assert check_hessian(f, x, A + A.T)
    assert check_hessian(f, x, A + A.T, method="directional")
    assert not check_hessian(f, x, 2 * A)


def test_hessian_of_trace_XtAX_column_major():
    # d^2 tr(X^T A X) = I ⊗ (A + A^T) in column-major vec
    Xr = MatrixSymbol("X", n, m)
    f = Trace(Xr.T * A * Xr)
    assert check_hessian(f, Xr, KroneckerProduct(Identity(m), A + A.T))
    assert not check_hessian(f, Xr, KroneckerProduct(A + A.T, Identity(m)))


def test_hessian_of_log_det():
    # d^2 log det X = -tr(X^{-1} dX X^{-1} dX) = -vec(dX)^T K (X^{-T} ⊗ X^{-1}) vec(dX)
    from matcalc.constructs.commutation import CommutationMatrix
    Xi = Inverse(X)
    H = -CommutationMatrix(n, n) * KroneckerProduct(Xi.T, Xi)
    assert check_hessian(log(Determinant(X)), X, H)
    assert not check_hessian(log(Determinant(X)), X, -KroneckerProduct(Xi.T, Xi))


# -- refused up front: undefined values, too much work (issue 11) -----------------------------
def _refused_quickly(error, match, call, seconds=10.0, megabytes=50):
    """``call()`` raises ``error`` (message matching ``match``) within ``seconds`` and
    allocating at most ``megabytes``: a refusal, not a MemoryError after minutes of work."""
    import time
    import tracemalloc
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(error, match=match):
            call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.perf_counter() - start < seconds
    assert peak < megabytes * 2 ** 20, f"{peak / 2 ** 20:.0f} MB allocated before refusing"


def test_a_claim_or_function_containing_zoo_or_nan_is_refused_saying_why():
    f = Trace(X) / 0                         # zoo*tr(X): a division by zero
    _refused_quickly(NonFiniteError, r"function contains zoo \(complex infinity, e\.g\. from a "
                     r"division by zero\)", lambda: check(f, X, S.ComplexInfinity * Identity(n)))
    _refused_quickly(NonFiniteError, "claimed gradient contains zoo",
                     lambda: check(Trace(X), X, S.ComplexInfinity * Identity(n)))
    _refused_quickly(NonFiniteError, "claimed Jacobian contains nan",
                     lambda: check_jacobian(X, X, S.NaN * Identity(n ** 2)))
    _refused_quickly(NonFiniteError, "claimed Hessian contains nan",
                     lambda: check_hessian(Trace(X), X, S.NaN * Identity(n ** 2)))
    assert issubclass(NonFiniteError, MatcalcError) and issubclass(NonFiniteError, ValueError)


def test_zoo_prints_and_evaluates_as_nan():
    # SymPy's NumPy printer has no zoo ("KeyError: 'ComplexInfinity'"): complex infinity
    # has no real value
    assert numpy_code(S.ComplexInfinity * Trace(X)) == "numpy.nan*numpy.trace(X)"
    assert math.isnan(evaluate(Trace(X) / 0, random_point(Trace(X))))


def test_too_many_points_are_refused_up_front():
    _refused_quickly(ResourceLimitError, r"1,000,000,000 points requested; the evaluator "
                     r"compares at most 1,000", lambda: check(Trace(X), X, Identity(n),
                                                               points=10 ** 9))
    _refused_quickly(ResourceLimitError, "points",
                     lambda: check_jacobian(X, X, Identity(n ** 2), points=MAX_POINTS + 1))
    assert check(Trace(X), X, Identity(n), points=MAX_POINTS // 200).passed


def test_a_huge_matrix_is_refused_before_anything_is_drawn():
    Xh = MatrixSymbol("X", 100000, 100000)
    _refused_quickly(ResourceLimitError, r"100,000 x 100,000 matrix .*at most 10,000,000 entries",
                     lambda: check(Trace(Xh), Xh, Identity(100000)))
    _refused_quickly(ResourceLimitError, "n=100000",
                     lambda: random_point(Trace(X), sizes={n: 100000}))
    # at a point given by the user: an intermediate Kronecker product of 20^6 x 20^6
    Y = MatrixSymbol("Y", 20, 20)
    at = Point({}, {Y: np.eye(20)})
    _refused_quickly(ResourceLimitError, "KroneckerProduct",
                     lambda: evaluate(Trace(KroneckerProduct(*[Y] * 6)), at))
    assert MAX_ENTRIES == 10_000_000 and issubclass(ResourceLimitError, MatcalcError)


def test_jacobian_of_kron_X_X_is_checked_small_and_refused_at_40_by_40():
    """d vec(X ⊗ X) = (I_n ⊗ K_{n,n} ⊗ I_n)(I_{n^2} ⊗ vec X + vec X ⊗ I_{n^2}) vec(dX);
    at n = 40 it is 2,560,000 x 1,600 (its Kronecker factor 2,560,000 x 2,560,000)."""
    from matcalc.constructs.vec import Vec

    def J(V, size):
        inner = (KroneckerProduct(Identity(size ** 2), Vec(V))
                 + KroneckerProduct(Vec(V), Identity(size ** 2)))
        K = CommutationMatrix(size, size)
        return KroneckerProduct(Identity(size), K, Identity(size)) * inner

    assert check_jacobian(KroneckerProduct(X, X), X, J(X, n), points=1).passed
    X40 = MatrixSymbol("X", 40, 40)
    _refused_quickly(ResourceLimitError, "entries",
                     lambda: check_jacobian(KroneckerProduct(X40, X40), X40, J(X40, 40)))


def test_a_differential_has_no_numpy_code():
    from matcalc.errors import UnsupportedError
    with pytest.raises(UnsupportedError, match="a differential has no numeric value"):
        numpy_code(A * DifferentialSymbol.of(X))
