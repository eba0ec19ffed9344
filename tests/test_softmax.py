"""softmax and log-sum-exp: of vectors, per column or row of a matrix; the cross-entropy.

Each derivative is asserted in its printed form and against finite differences.
"""
import numpy as np
import pytest
from sympy import MatrixSymbol, OneMatrix, Trace, log, symbols

import matcalc
from conftest import assert_derived as derived
from matcalc import logsumexp, scalar, softmax
from matcalc.constructs.softmax import LogSumExp, Softmax
from matcalc.derivatives import jacobian
from matcalc.numeric import check_jacobian, evaluate
from matcalc.numeric.points import point_at
from matcalc.parse import parse
from matcalc.printing.text import text_form
from matcalc.simplify import equal_forms

m, n = symbols("m n", integer=True, positive=True)
X, w, y = MatrixSymbol("X", m, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", m, 1)
z = MatrixSymbol("z", n, 1)
Z, C = MatrixSymbol("Z", m, n), MatrixSymbol("C", m, n)


def test_grad_of_logsumexp_is_softmax():
    derived(logsumexp(z), z, "softmax(z)")


def test_softmax_jacobian_is_diag_s_minus_s_s_transpose():
    J = derived(softmax(z), z, "diagm(softmax(z)) - softmax(z)*softmax(z)'", "jacobian")
    assert matcalc.latex(J) == (r"\operatorname{diag}\left(\operatorname{softmax}\left(z\right)"
                                r"\right) - \operatorname{softmax}\left(z\right) "
                                r"\operatorname{softmax}\left(z\right)^{T}")


def test_logsumexp_hessian_is_the_softmax_jacobian():
    derived(logsumexp(z), z, "diagm(softmax(z)) - softmax(z)*softmax(z)'", "hessian")


def test_cross_entropy_gradient_is_x_transpose_softmax_minus_y():
    f = logsumexp(X * w) - scalar(y.T * X * w)     # -y^T log softmax(X w) for sum(y) = 1
    derived(f, w, "X'*(softmax(X*w) - y)")
    derived(f, w, "X'*(diagm(softmax(X*w)) - softmax(X*w)*softmax(X*w)')*X", "hessian")


def test_cross_entropy_through_log_softmax():
    f = -scalar(y.T * softmax(X * w).applyfunc(log))
    G = derived(f, w, "X'*((ones(1, m)*y)*softmax(X*w) - y)")     # X^T (s 1^T y - y)
    assert equal_forms(G, X.T * (softmax(X * w) * OneMatrix(1, m) * y - y))


def test_softmax_per_column_and_per_row():
    derived(Trace(C.T * softmax(Z)), Z, "C .* softmax(Z) - (ones(m, m)*(C .* softmax(Z))) .* softmax(Z)")
    derived(Trace(C.T * softmax(Z, 2)), Z,
            "C .* softmax(Z, 2) - ((C .* softmax(Z, 2))*ones(n, n)) .* softmax(Z, 2)")
    derived(scalar(LogSumExp(Z) * OneMatrix(n, 1)), Z, "softmax(Z)")
    derived(scalar(OneMatrix(1, m) * LogSumExp(Z, 2)), Z, "softmax(Z, 2)")
    J = jacobian(softmax(Z), Z)
    assert check_jacobian(softmax(Z), Z, J).passed


def test_transposes_and_shapes():
    assert LogSumExp(Z).shape == (1, n) and LogSumExp(Z, 2).shape == (m, 1)
    assert softmax(z.T).dim == 2 and softmax(z).dim == 1
    assert equal_forms(softmax(Z).T, Softmax(Z.T, 2))
    assert equal_forms(LogSumExp(Z).T, LogSumExp(Z.T, 2))
    with pytest.raises(ValueError, match="dim must be 1"):
        Softmax(Z, 3)


def test_numpy_values_are_stable_for_large_entries():
    Zv = np.random.default_rng(0).normal(size=(4, 3)) * 800
    point = point_at({Z: Zv}, Z)
    S = evaluate(softmax(Z), point)
    shifted = np.exp(Zv - Zv.max(axis=0))
    assert np.all(np.isfinite(S)) and np.allclose(S, shifted / shifted.sum(axis=0))
    L = evaluate(LogSumExp(Z, 2), point)
    assert np.allclose(L.ravel(), Zv.max(axis=1) + np.log(np.exp(Zv - Zv.max(axis=1)[:, None])
                                                         .sum(axis=1)))


def test_generated_cross_entropy_gradient():
    from matcalc.codegen import lambdify_grad
    g = lambdify_grad(logsumexp(X * w) - scalar(y.T * X * w), w)
    rng = np.random.default_rng(1)
    Xv, wv, yv = rng.normal(size=(6, 3)) * 100, rng.normal(size=(3, 1)), np.eye(6)[:, [2]]
    s = np.exp(Xv @ wv - (Xv @ wv).max())
    assert np.allclose(g(X=Xv, w=wv, y=yv), Xv.T @ (s / s.sum() - yv))


@pytest.mark.parametrize("text", ["softmax(z)", "softmax(Z, 2)", "logsumexp(Z)",
                                  "logsumexp(Z, 2)", "softmax(z)'", "logsumexp(X*w)"])
def test_softmax_prints_as_it_reads(text):
    shapes = {"z": "n", "Z": "m,n", "X": "m,n", "w": "n"}
    assert text_form(parse(text, shapes=shapes).expr) == text


def test_softmax_dim_must_be_one_or_two():
    with pytest.raises(matcalc.ShapeError, match="1 \\(each column\\) or 2"):
        parse("softmax(Z, 3)")
