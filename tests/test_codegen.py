"""Generated code (matcalc.codegen) agrees with the oracle and with the symbolic result.

Every generated gradient is compared (a) with the oracle's finite differences and
(b) with the symbolic gradient evaluated directly by ``matcalc.numeric.evaluate``;
Hessians and Hessian-vector products with the evaluated ``matcalc.hessian``.
The JAX and PyTorch backends are checked against NumPy when importable.
"""
import numpy as np
import pytest
from sympy import (Determinant, Identity, Inverse, KroneckerProduct, MatrixSymbol, OneMatrix,
                   Symbol, Trace, exp, log, symbols, tanh)

import matcalc
from matcalc import codegen as cg
from matcalc import norm
from matcalc.constructs.commutation import CommutationMatrix
from matcalc.derivatives import hessian
from matcalc.numeric import evaluate, fd_gradient, fd_hessian, random_point

n, m, k, h = symbols("n m k h", integer=True, positive=True)
lam = Symbol("lambda", positive=True)

Xd = MatrixSymbol("X", m, n)            # data: m samples, n features
w = MatrixSymbol("w", n, 1)
y = MatrixSymbol("y", m, 1)
Xsq, A, Bm = (MatrixSymbol(s, n, n) for s in "X A B".split())
U, V, R = MatrixSymbol("U", m, k), MatrixSymbol("V", n, k), MatrixSymbol("R", m, n)
W1, W2, W3 = MatrixSymbol("W1", h, n), MatrixSymbol("W2", h, h), MatrixSymbol("W3", k, h)
Xb, Yb = MatrixSymbol("X", n, m), MatrixSymbol("Y", k, m)
Wk = MatrixSymbol("W", n, k)


def _logistic():
    z = Xd * w
    return OneMatrix(1, m) * z.applyfunc(lambda t: log(1 + exp(t))) - y.T * z


def _mlp():
    hidden = (W2 * (W1 * Xb).applyfunc(tanh)).applyfunc(tanh)
    return norm(W3 * hidden - Yb) ** 2


PROBLEMS = [
    ("least squares", norm(Xd * w - y) ** 2, w),
    ("least squares (matrix)", Trace((Xd * Wk - U).T * (Xd * Wk - U)), Wk),
    ("ridge", norm(Xd * w - y) ** 2 + lam * norm(w) ** 2, w),
    ("logistic regression", _logistic(), w),
    ("matrix factorisation U", norm(R - U * V.T) ** 2, U),
    ("matrix factorisation V", norm(R - U * V.T) ** 2, V),
    ("3-layer MLP W1", _mlp(), W1),
    ("3-layer MLP W2", _mlp(), W2),
    ("log det", log(Determinant(Xsq)), Xsq),
    ("trace of inverse", Trace(Inverse(Xsq)), Xsq),
    ("tr(A X^-1 B)", Trace(A * Inverse(Xsq) * Bm), Xsq),
]
IDS = [p[0] for p in PROBLEMS]


def _values(point):
    return {s.name: v for s, v in point.values.items()}


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.mark.parametrize("name,f,X", PROBLEMS, ids=IDS)
def test_generated_gradient_agrees_with_oracle_and_symbolic_result(name, f, X):
    g = cg.lambdify_grad(f, X)
    for seed in (0, 1):
        point = random_point(f, X, seed=seed)
        G = g(**_values(point))
        assert G.shape == point.values[X].shape
        assert _rel(G, evaluate(g.expr, point)) < 1e-10, g.source(**_values(point))
        assert _rel(G, fd_gradient(f, X, point)) < 1e-6


@pytest.mark.parametrize("name,f,X", PROBLEMS, ids=IDS)
def test_value_and_gradient_share_one_function(name, f, X):
    g = cg.lambdify_grad(f, X, with_value=True)
    point = random_point(f, X, seed=2)
    value, G = g(**_values(point))
    assert abs(float(value) - evaluate(f, point)) <= 1e-10 * max(1.0, abs(evaluate(f, point)))
    assert _rel(G, evaluate(matcalc.grad(f, X), point)) < 1e-10


def test_inverse_becomes_solve():
    g = cg.lambdify_grad(Trace(A * Inverse(Xsq) * Bm), Xsq)
    source = g.source(n=400)
    assert "B.solve(" in source and "B.inv(" not in source, source
    # at n = 4 one inverse (used twice) costs less than two LAPACK calls
    assert "B.inv(" in g.source(n=4) and "B.solve(" not in g.source(n=4)
    # log det: the inverse itself is the value, formed once
    assert "B.inv(" in cg.lambdify_grad(log(Determinant(Xsq)), Xsq).source(n=4)


def test_common_subexpressions_are_computed_once():
    f = norm(Xd * w - y) ** 2
    g = cg.lambdify_grad(f, w, with_value=True)
    source = g.source(n=3, m=5)
    lines = source.splitlines()
    # the residual X w - y feeds both the loss and the gradient, and is computed once
    assert sum("_a0 @ _a1" in line for line in lines) == 1, source   # X w (X=_a0, w=_a1)
    assert sum(line.count(" - ") for line in lines) == 1, source
    mlp = cg.lambdify_grad(_mlp(), W1, with_value=True).source(n=3, m=4, h=5, k=2)
    assert mlp.count("B.tanh(") == 2, mlp   # the two hidden layers, shared by f and grad


def test_trace_of_a_product_never_forms_the_product():
    fn = cg.codegen(Trace(Xd.T * Xd * A))
    source = fn.source(n=3, m=7)
    assert "B.trace(" not in source and "B.trace_of_product(" in source, source
    point = random_point(Trace(Xd.T * Xd * A))
    assert abs(fn(**_values(point)) - evaluate(Trace(Xd.T * Xd * A), point)) < 1e-10


def test_chain_order_follows_the_concrete_sizes():
    fn = cg.codegen(Xd.T * Xd * w)
    source = fn.source(n=50, m=60)
    assert "_a0 @ _a1" in source, source       # X (X w), never the n x n matrix X^T X
    point = random_point(Xd.T * Xd * w)
    assert _rel(fn(**_values(point)), evaluate(Xd.T * Xd * w, point)) < 1e-12


def test_sizes_are_bound_from_the_arrays_at_call_time():
    g = cg.lambdify_grad(norm(Xd * w - y) ** 2, w)
    rng = np.random.default_rng(0)
    for rows, cols in ((5, 3), (40, 7)):
        X_, y_, w_ = rng.standard_normal((rows, cols)), rng.standard_normal((rows, 1)), \
            rng.standard_normal((cols, 1))
        assert np.allclose(g(X=X_, y=y_, w=w_), 2 * X_.T @ (X_ @ w_ - y_))
        assert np.allclose(g(X=X_, y=y_[:, 0], w=w_[:, 0]), 2 * X_.T @ (X_ @ w_ - y_))
    with pytest.raises(matcalc.ShapeError, match="y has shape"):
        g(X=np.ones((5, 3)), y=np.ones((4, 1)), w=np.ones((3, 1)))
    with pytest.raises(TypeError, match="missing argument"):
        g(X=np.ones((5, 3)), w=np.ones((3, 1)))
    with pytest.raises(TypeError, match="unexpected argument"):
        g(X=np.ones((5, 3)), y=np.ones((5, 1)), w=np.ones((3, 1)), z=1)


def test_a_size_not_in_any_shape_must_be_given():
    fn = cg.codegen(Trace(Identity(n)) * Xd)
    with pytest.raises(ValueError, match="pass them by name"):
        cg.codegen(OneMatrix(n, n))()
    assert np.allclose(cg.codegen(OneMatrix(n, 2))(n=3), np.ones((3, 2)))
    assert np.allclose(fn(X=np.ones((2, 4))), 4 * np.ones((2, 4)))


def test_gradient_not_depending_on_its_variable_still_takes_it():
    g = cg.lambdify_grad(Trace(A * Xsq), Xsq)
    A_ = np.arange(9.0).reshape(3, 3)
    assert np.allclose(g(A=A_, X=np.eye(3)), A_.T)


def test_symbol_names_never_reach_the_source():
    odd = MatrixSymbol("import os; x", n, 1)
    f = norm(odd) ** 2 + lam * Trace(odd.T * odd)
    g = cg.lambdify_grad(f, odd)
    assert "import" not in g.source(n=3) and "lambda" not in g.source(n=3)
    v = np.arange(3.0).reshape(3, 1)
    assert np.allclose(g(**{"import os; x": v, "lambda": 0.5}), 3 * v)


def test_commutation_and_kronecker_values():
    P = MatrixSymbol("P", m, n)
    K = CommutationMatrix(m, n)
    point = random_point(P * A, sizes={m: 3, n: 4})
    vecP = np.ravel(point.values[P], order="F").reshape(-1, 1)
    assert np.allclose(cg.codegen(K)(m=3, n=4) @ vecP, np.ravel(point.values[P].T, order="F")[:, None])
    kron = KroneckerProduct(A, P)
    dense = cg.codegen(kron)(**{"A": point.values[A], "P": point.values[P]})
    assert np.allclose(dense, np.kron(point.values[A], point.values[P]))
    v = np.random.default_rng(1).standard_normal((16, 2))
    Knn = CommutationMatrix(n, n)
    mv = cg.codegen(KroneckerProduct(A, P) * Knn, matvec=True)
    source = mv.source(A=point.values[A], P=point.values[P])
    assert "B.kron(" not in source and "B.commutation(" not in source, source
    assert np.allclose(mv(v, A=point.values[A], P=point.values[P]),
                       dense @ cg.codegen(Knn)(n=4) @ v)


# -- Hessians and Hessian-vector products -------------------------------------------------------

HESSIAN_PROBLEMS = [p for p in PROBLEMS if p[0] in
                    ("least squares", "ridge", "logistic regression", "matrix factorisation U",
                     "log det", "trace of inverse", "tr(A X^-1 B)", "3-layer MLP W1")]


@pytest.mark.parametrize("name,f,X", HESSIAN_PROBLEMS, ids=[p[0] for p in HESSIAN_PROBLEMS])
def test_hessian_vector_products_agree_with_the_hessian(name, f, X):
    point = random_point(f, X, seed=3)
    values = _values(point)
    p, q = point.values[X].shape
    Vmat = np.random.default_rng(4).standard_normal((p, q))
    vecV = np.ravel(Vmat, order="F")
    # reference 1: finite differences of the generated gradient along V
    g = cg.lambdify_grad(f, X)
    t = 1e-4

    def grad_at(x):
        return g(**{**values, X.name: x})
    fd = (8 * (grad_at(values[X.name] + t * Vmat) - grad_at(values[X.name] - t * Vmat))
          - (grad_at(values[X.name] + 2 * t * Vmat) - grad_at(values[X.name] - 2 * t * Vmat))) / (12 * t)
    hvp = cg.hessian_vector_product(f, X)
    out = hvp(Vmat, **values)
    assert out.shape == (p, q)
    assert _rel(out, fd) < 1e-6
    assert _rel(hvp(vecV, **values), np.ravel(fd, order="F")) < 1e-6
    if name == "3-layer MLP W1":
        return   # the Kronecker Hessian of the MLP is checked by the jacobian tests
    # reference 2: the symbolic Hessian evaluated by the oracle
    H = hessian(f, X)
    Hval = evaluate(H, point)
    assert _rel(out.ravel(order="F"), Hval @ vecV) < 1e-9
    kron = cg.hessian_vector_product(f, X, method="kronecker")
    assert _rel(kron(Vmat, **values).ravel(order="F"), Hval @ vecV) < 1e-9
    dense = cg.codegen(H, args=(f,))
    assert _rel(dense(**values), Hval) < 1e-10


def test_matvec_applies_kronecker_and_commutation_without_forming_them():
    H = hessian(Trace(Inverse(Xsq)), Xsq)
    mv = cg.codegen(H, matvec=True)
    source = mv.source(n=5)
    assert "kron_apply" in source and "comm_apply" in source, source
    assert "B.kron(" not in source and "B.commutation(" not in source, source
    point = random_point(Trace(Inverse(Xsq)), sizes={n: 5})
    Hval = evaluate(H, point)
    v = np.random.default_rng(5).standard_normal((25, 3))
    assert _rel(mv(v, X=point.values[Xsq]), Hval @ v) < 1e-10
    assert _rel(mv(v[:, 0], X=point.values[Xsq]), Hval @ v[:, 0]) < 1e-10


def test_logistic_hessian_is_a_symmetric_product_without_the_diagonal_matrix():
    H = hessian(_logistic(), w)
    fn = cg.codegen(H, args=(_logistic(),))
    source = fn.source(n=4, m=6)
    # X^T diag(d) X: d applied elementwise, as a symmetric product (syrk where d >= 0)
    assert "B.diag(" not in source and "B.congruence(" in source, source
    point = random_point(_logistic(), w, seed=3)
    got = fn(**{k: v for k, v in _values(point).items() if k in fn.arg_names})
    assert _rel(got, fd_hessian(_logistic(), w, point)) < 1e-6
    # a weight of either sign takes the general product
    ops = cg.backend_ops("numpy")
    rng = np.random.default_rng(0)
    M, d = rng.standard_normal((6, 4)), rng.standard_normal((6, 1))
    assert np.allclose(ops.congruence(M, d), M.T @ np.diag(d.ravel()) @ M)
    assert np.allclose(ops.congruence(M, d * d), M.T @ np.diag((d * d).ravel()) @ M)


# -- other backends -----------------------------------------------------------------------------

def _other_backend_problems(backend):
    cases = [p for p in PROBLEMS if p[0] in ("least squares", "ridge", "logistic regression",
                                             "matrix factorisation U", "3-layer MLP W1",
                                             "log det", "trace of inverse", "tr(A X^-1 B)")]
    for name, f, X in cases:
        point = random_point(f, X, seed=6)
        values = _values(point)
        reference = cg.lambdify_grad(f, X)(**values)
        fn = cg.lambdify_grad(f, X, backend=backend)
        yield name, np.asarray(fn(**values)), reference, f, X, values


def test_torch_backend_agrees_with_numpy():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: torch backend untested")
    for name, G, reference, f, X, values in _other_backend_problems("torch"):
        assert _rel(G, reference) < 1e-12, name
    tensors = {k_: torch.as_tensor(np.asarray(v, dtype=float)) for k_, v in values.items()}
    out = cg.lambdify_grad(f, X, backend="torch")(**tensors)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    H = hessian(Trace(Inverse(Xsq)), Xsq)
    point = random_point(Trace(Inverse(Xsq)), sizes={n: 4})
    v = np.ones((16, 1))
    mv = cg.codegen(H, backend="torch", matvec=True)
    assert _rel(np.asarray(mv(v, X=point.values[Xsq])), evaluate(H, point) @ v) < 1e-10


def test_jax_backend_agrees_with_numpy():
    jax = pytest.importorskip("jax", reason="JAX is not installed: jax backend untested")
    jax.config.update("jax_enable_x64", True)
    for name, G, reference, f, X, values in _other_backend_problems("jax"):
        assert _rel(G, reference) < 1e-12, name
    H = hessian(Trace(Inverse(Xsq)), Xsq)
    point = random_point(Trace(Inverse(Xsq)), sizes={n: 4})
    v = np.ones((16, 1))
    mv = cg.codegen(H, backend="jax", matvec=True)
    assert _rel(np.asarray(mv(v, X=point.values[Xsq])), evaluate(H, point) @ v) < 1e-10


def test_a_missing_backend_says_how_to_install_it(monkeypatch):
    class Missing:
        def __init__(self):
            raise ImportError("No module named 'torch'")
    from matcalc.codegen import backends
    monkeypatch.setitem(backends._OPS_CLASSES, "torch", Missing)
    monkeypatch.delitem(backends._OPS, "torch", raising=False)
    with pytest.raises(ImportError, match="pip install torch"):
        cg.codegen(Xd * w, backend="torch")
    with pytest.raises(ValueError, match="unknown backend"):
        cg.codegen(Xd * w, backend="tensorflow")


def test_deep_compositions_and_long_chains():
    """A 24-layer sigmoid network (deep recursion) and a 30-factor chain (greedy order)."""
    from sympy import MatMul
    from matcalc import sigmoid
    x, yv = MatrixSymbol("x", n, 1), MatrixSymbol("y", n, 1)
    Ws = [MatrixSymbol(f"W{i}", n, n) for i in range(24)]
    hidden = x
    for W in Ws:
        hidden = (W * hidden).applyfunc(sigmoid)
    f = norm(hidden - yv) ** 2
    g = cg.lambdify_grad(f, Ws[0])
    point = random_point(f, Ws[0], sizes={n: 3})
    assert _rel(g(**_values(point)), evaluate(g.expr, point)) < 1e-10
    chain = Trace(MatMul(*[a for i in range(15) for a in (MatrixSymbol(f"A{i}", n, n), Xsq)]))
    g = cg.lambdify_grad(chain, Xsq)
    point = random_point(chain, Xsq, sizes={n: 3})
    assert _rel(g(**_values(point)), evaluate(g.expr, point)) < 1e-10
