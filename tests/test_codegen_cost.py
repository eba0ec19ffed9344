"""The generated code's cost model, bound constants and the value/gradient/HVP entry points.

Every value is checked numerically: against the symbolic result evaluated by the oracle's
evaluator, against finite differences (``fd_gradient``, ``fd_hessian``) and, for the choices
of the cost model, against the source that shows which form was chosen.
"""
import numpy as np
import pytest
from sympy import MatrixSymbol, OneMatrix, Trace, exp, log, symbols, tanh

import matcalc
from matcalc import codegen as cg
from matcalc import norm, scalar
from matcalc.derivatives import hessian
from matcalc.numeric import evaluate, fd_gradient, fd_hessian, random_point

n, m, r = symbols("n m r", integer=True, positive=True)
x, v = MatrixSymbol("x", n, 1), MatrixSymbol("v", n, 1)
A, X = MatrixSymbol("A", n, n), MatrixSymbol("X", n, r)
Bm = MatrixSymbol("B", r, r)
Xd, w, y = MatrixSymbol("X", m, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", m, 1)

#: the issue's example: its gradient is (A + A^T) x + softmax(x)
QUADRATIC_LSE = scalar(x.T * A * x) + log(scalar(OneMatrix(1, n) * x.applyfunc(exp)))


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _values(point):
    return {s.name: value for s, value in point.values.items()}


def _data(size, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((size, size)), rng.standard_normal((size, 1))


# -- the cost model ------------------------------------------------------------------------

def test_a_sum_times_a_vector_is_distributed_and_times_a_wide_matrix_formed():
    """(A + A^T) v: two products beat forming the n^2 sum; (A + A^T) W with many columns:
    forming the sum once is cheaper than two wide products."""
    W = MatrixSymbol("W", n, m)
    vector = cg.codegen((A + A.T) * v)
    assert "_a0 + " not in vector.source(n=500), vector.source(n=500)     # never forms A + A^T
    wide = cg.codegen((A + A.T) * W)
    src = wide.source(n=500, m=200)
    assert src.count(" @ ") == 1, src                                    # formed, one product
    Av, vv = _data(40)
    assert _rel(vector(A=Av, v=vv), (Av + Av.T) @ vv) < 1e-12
    Wv = np.random.default_rng(1).standard_normal((40, 30))
    assert _rel(wide(A=Av, W=Wv), (Av + Av.T) @ Wv) < 1e-12


def test_the_issue_gradient_is_two_products_and_shares_the_forward_pass():
    vg = cg.value_and_grad(QUADRATIC_LSE, x)
    src = vg.source(n=1000)
    assert "_a0 + _t" not in src and src.count("_a0 @ _a1") == 1, src   # A x once, no A + A^T
    Av, xv = _data(30, seed=2)
    value, G = vg(A=Av, x=xv)
    point = random_point(QUADRATIC_LSE, x, sizes={n: 30}, seed=2)
    point.values[A], point.values[x] = Av, xv
    assert abs(value - evaluate(QUADRATIC_LSE, point)) < 1e-10 * max(1, abs(value))
    assert _rel(G, fd_gradient(QUADRATIC_LSE, x, point)) < 1e-6


def test_a_product_computed_for_the_value_is_reused_by_the_gradient():
    """tr(X^T A X B): the value computes A X; the gradient's A X B reuses it as (A X) B."""
    f = Trace(X.T * A * X * Bm)
    vg = cg.value_and_grad(f, X)
    src = vg.source(n=300, r=10)
    lines = src.splitlines()
    a_t = [line.split(" = ")[0].strip() for line in lines if line.endswith("= _a0.T")]
    products = [line for line in lines if any(f"= {a} @ " in line for a in ["_a0"] + a_t)]
    assert len(products) == 2, src          # A X and A^T (X B^T): 2 n^2 r products, not 3
    point = random_point(f, X, sizes={n: 12, r: 4}, seed=3)
    value, G = vg(**{k: val for k, val in _values(point).items() if k in vg.arg_names})
    assert abs(value - evaluate(f, point)) < 1e-9 * max(1, abs(value))
    assert _rel(G, fd_gradient(f, X, point)) < 1e-6


def test_a_coefficient_scales_the_smallest_operand():
    """2 G X^T (G n x b, X^T b x n): the n x b factor is scaled, not the n x n product."""
    Xb, Y = MatrixSymbol("X", n, r), MatrixSymbol("Y", m, r)
    W1, W2 = MatrixSymbol("W1", n, n), MatrixSymbol("W2", m, n)
    f = norm(W2 * (W1 * Xb).applyfunc(tanh) - Y) ** 2
    g = cg.lambdify_grad(f, W1)
    src = g.source(n=200, r=8, m=5)
    last_product = [line for line in src.splitlines() if " @ " in line][-1]
    assert "2.0 *" not in src.splitlines()[-2] and "@" in last_product, src
    point = random_point(f, W1, sizes={n: 6, r: 3, m: 2}, seed=4)
    assert _rel(g(**_values(point)), fd_gradient(f, W1, point)) < 1e-6


# -- bound constants -------------------------------------------------------------------------

def test_constants_are_bound_once_and_the_sum_is_hoisted():
    Av, xv = _data(25, seed=5)
    g = cg.lambdify_grad(QUADRATIC_LSE, x, constants={A: Av})
    assert g.arg_names == ["x"]
    src = g.source(n=25)
    hoisted, per_call = src.split("def _generated")
    assert "_a0.T" in hoisted and " + " in hoisted, src                 # A + A^T once
    assert "_a0.T" not in per_call and per_call.count(" @ ") == 2, src  # (A + A^T) x, 1^T e
    expected = (Av + Av.T) @ xv + np.exp(xv) / np.exp(xv).sum()
    assert _rel(g(x=xv), expected) < 1e-12
    assert _rel(g(xv), expected) < 1e-12                                # positionally too
    Av[0, 0] += 100.0                        # the caller's array changes: the binding does not
    assert _rel(g(x=xv), expected) < 1e-12


def test_a_bound_constant_is_read_only_and_a_hoisted_output_is_a_copy():
    Av, _ = _data(6)
    H = cg.codegen(hessian(scalar(x.T * A * x), x), args=(x,), constants={"A": Av})
    first = H(x=np.ones((6, 1)))
    assert _rel(first, Av + Av.T) < 1e-12
    first[:] = 0.0                           # the caller owns its result
    assert _rel(H(x=np.ones((6, 1))), Av + Av.T) < 1e-12
    with pytest.raises(ValueError):
        H.constants["A"][0, 0] = 1.0


def test_binding_errors_are_clear():
    Av, _ = _data(4)
    with pytest.raises(ValueError, match="constant 'B' is not an argument"):
        cg.lambdify_grad(QUADRATIC_LSE, x, constants={"B": Av})
    g = cg.lambdify_grad(QUADRATIC_LSE, x, constants={A: Av})
    with pytest.raises(TypeError, match="A is bound as a constant"):
        g(x=np.ones((4, 1)), A=Av)
    with pytest.raises(matcalc.ShapeError):
        cg.lambdify_grad(QUADRATIC_LSE, x, constants={A: np.ones(4)})


def test_constant_data_makes_products_of_constants_free():
    """Least squares with X and y bound: X^T X and X^T y are computed once, and each call
    is one n x n product instead of two m x n ones when that is cheaper."""
    f = norm(Xd * w - y) ** 2
    rng = np.random.default_rng(6)
    Xv, yv, wv = rng.standard_normal((300, 40)), rng.standard_normal((300, 1)), \
        rng.standard_normal((40, 1))
    g = cg.lambdify_grad(f, w, constants={Xd: Xv, y: yv})
    src = g.source(n=40, m=300)
    per_call = src.split("def _generated")[1]
    assert per_call.count(" @ ") == 1, src
    assert _rel(g(w=wv), 2 * Xv.T @ (Xv @ wv - yv)) < 1e-10


# -- value and gradient, Hessian-vector products ------------------------------------------------

def test_value_and_grad_matches_the_oracle():
    f = norm(Xd * w - y) ** 2 + scalar(w.T * w)
    vg = cg.value_and_grad(f, w)
    point = random_point(f, w, seed=7)
    value, G = vg(**_values(point))
    assert abs(value - evaluate(f, point)) < 1e-10 * max(1, abs(value))
    assert _rel(G, fd_gradient(f, w, point)) < 1e-6


def test_hvp_at_a_bound_point_reuses_the_forward_pass():
    """hvp(V) with x and A bound: exp(x), its sum and A + A^T are computed once; a call
    does the V-dependent work only -- and equals H v from finite differences."""
    Av, xv = _data(8, seed=8)
    point = random_point(QUADRATIC_LSE, x, sizes={n: 8}, seed=8)
    point.values[A], point.values[x] = Av, xv
    H = fd_hessian(QUADRATIC_LSE, x, point)
    hvp = cg.hessian_vector_product(QUADRATIC_LSE, x, constants={A: Av, x: xv})
    assert hvp.arg_names == []
    src = hvp.source(n=8)
    assert "B.exp(" in src.split("def _generated")[0] and "B.exp(" not in \
        src.split("def _generated")[1], src
    for seed in (0, 1):
        vv = np.random.default_rng(seed).standard_normal((8, 1))
        assert _rel(hvp(vv), H @ vv) < 1e-6
    unbound = cg.hessian_vector_product(QUADRATIC_LSE, x)
    assert _rel(unbound(vv, A=Av, x=xv), H @ vv) < 1e-6


def test_hvp_with_grad_returns_value_gradient_and_product():
    f = norm(Xd * w - y) ** 2
    hvp = cg.hessian_vector_product(f, w, with_grad=True)
    point = random_point(f, w, seed=9)
    vv = np.random.default_rng(2).standard_normal(point.values[w].shape)
    value, G, Hv = hvp(vv, **_values(point))
    assert abs(value - evaluate(f, point)) < 1e-10 * max(1, abs(value))
    assert _rel(G, fd_gradient(f, w, point)) < 1e-6
    assert _rel(Hv, fd_hessian(f, w, point) @ vv) < 1e-6


def test_the_fast_call_path_still_checks_new_shapes():
    g = cg.lambdify_grad(norm(Xd * w - y) ** 2, w)
    rng = np.random.default_rng(3)
    for rows, cols in ((7, 3), (7, 3), (5, 4), (7, 3)):
        Xv, yv, wv = (rng.standard_normal((rows, cols)), rng.standard_normal((rows, 1)),
                      rng.standard_normal((cols, 1)))
        assert _rel(g(X=Xv, y=yv, w=wv), 2 * Xv.T @ (Xv @ wv - yv)) < 1e-12
    with pytest.raises(matcalc.ShapeError):
        g(X=Xv, y=rng.standard_normal((rows + 1, 1)), w=wv)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_the_symmetric_product_on_other_backends(backend):
    """X^T diag(d) X (the logistic Hessian) on torch and jax agrees with NumPy's."""
    pytest.importorskip(backend, reason=f"{backend} is not installed: its backend untested")
    if backend == "jax":
        import jax
        jax.config.update("jax_enable_x64", True)
    z = Xd * w
    f = OneMatrix(1, m) * z.applyfunc(lambda t: log(1 + exp(t))) - y.T * z
    H = hessian(f, w)
    point = random_point(f, w, seed=11)
    values = _values(point)
    expected = cg.codegen(H, args=(f,))(**values)
    got = cg.codegen(H, backend=backend, args=(f,))(**values)
    assert _rel(np.asarray(got), expected) < 1e-12
    assert _rel(expected, fd_hessian(f, w, point)) < 1e-6


def test_a_dying_product_is_scaled_in_place_and_an_input_never_is():
    """The least-squares Hessian 2 X^T X: the product is the function's own temporary, so it
    is scaled in place (no second n x n array); 2 X of an input X is a new array."""
    f = norm(Xd * w - y) ** 2
    H = hessian(f, w)
    assert matcalc.check_hessian(f, w, H).passed
    g = cg.codegen(H, args=[Xd, w, y])
    Xv, yv = _data(6)
    wv = np.random.default_rng(1).standard_normal((6, 1))
    kept = Xv.copy()
    assert "B.scale_owned(2.0, " in g.source(X=Xv, w=wv, y=yv)
    assert _rel(g(X=Xv, w=wv, y=yv), 2 * Xv.T @ Xv) < 1e-14
    assert np.array_equal(Xv, kept)
    doubled = cg.codegen(2 * A, args=[A])
    Av = Xv.copy()
    assert "scale_owned" not in doubled.source(A=Av)
    assert _rel(doubled(A=Av), 2 * kept) == 0 and np.array_equal(Av, kept)
