"""Undefined functions (``Function("f")``): the chain rule in closed form, checked with concrete
functions bound (``functions=``).

    d f(a) = f'(a) da          d F(a, b) = ∂_1 F da + ∂_2 F db          d f(U) = <∇f(U), dU>
    grad_B f(tr((AB - C)(AB - C)^T)) = 2 f'(tr(..)) A^T (AB - C)           (the SymPy seed's [21])
    grad_A g(f(AB)) = g'(f(AB)) ∇f(AB) B^T                                 (the seed's [22]-[23])

The derivatives are SymPy's own ``Subs``/``Derivative`` objects: ``.subs(f, sin).doit()``
gives the concrete gradient, and the results agree with SymPy's chain rule for scalars.
"""
import pytest
from sympy import (Derivative, Determinant, Function, Lambda, MatMul, MatrixSymbol, Subs, Symbol,
                   Trace, cos, diff, exp, sin, symbols, tanh)

import matcalc
from matcalc.constructs.function_gradient import FunctionGradient
from matcalc.constructs.undefined import commutative_functions, partial
from matcalc.simplify import equal_forms
from conftest import n

X, A, B, C = (MatrixSymbol(s, n, n) for s in "XABC")
M = MatrixSymbol("M", n, n)
f, g, F = symbols("f g F", cls=Function)
u, v, t = symbols("u v t")
fp = f(Trace(X)).fdiff()       # f'(tr X), SymPy's Subs(Derivative(f(ξ), ξ), ξ, tr X)


def assert_bound(expr, V, G, functions, expected=None):
    """G passes the check with concrete functions; so does ``expected``, equal to G."""
    report = matcalc.check(expr, V, G, functions=functions)
    assert report.passed, report
    if expected is not None:
        assert equal_forms(G, expected), f"{G} is not {expected}"


def test_function_of_a_trace_is_f_prime_times_the_trace_gradient():
    G = matcalc.grad(f(Trace(X)), X)
    assert_bound(f(Trace(X)), X, G, {f: sin}, fp * MatMul(1, __import__("sympy").Identity(n)))
    assert matcalc.latex(G) == r"f'\left(\operatorname{tr}\left(X\right)\right) I_{n}"
    assert G.subs(f, sin).doit() == cos(Trace(X)) * __import__("sympy").Identity(n)


def test_nested_undefined_functions_at_any_depth():
    G = matcalc.grad(g(f(Trace(A * X))), X)
    assert_bound(g(f(Trace(A * X))), X, G, {f: sin, g: exp})
    assert_bound(g(f(Trace(A * X))), X, G, {f: Lambda(u, u ** 3), g: tanh})
    assert "g'" in matcalc.latex(G) and "f'" in matcalc.latex(G)


def test_function_of_two_scalars_has_partials():
    expr = F(Trace(A * X), Determinant(X))
    G = matcalc.grad(expr, X)
    assert_bound(expr, X, G, {F: Lambda((u, v), u ** 2 * v + sin(v))})
    tex = matcalc.latex(G)
    assert r"\partial_{1} F\left(\operatorname{tr}\left(A X\right), \det\left(X\right)\right)" in tex
    assert r"\partial_{2} F" in tex
    # the partials are SymPy's objects: a concrete F and doit() give the concrete gradient
    concrete = G.subs(F, Lambda((u, v), u ** 2 * v)).doit()
    assert matcalc.check((Trace(A * X) ** 2 * Determinant(X)), X, concrete).passed


def test_seed_cell_21_the_answer_the_seeds_sympy_gave():
    E = A * B - C
    expr = f(Trace(E * E.T))
    G = matcalc.grad(expr, B)
    expected = 2 * f(Trace(E * E.T)).fdiff() * A.T * E
    assert_bound(expr, B, G, {f: Lambda(u, u ** 2)}, expected)


def test_seed_cells_22_23_scalar_function_of_a_matrix():
    expr = g(f(A * B))
    G = matcalc.grad(expr, A)
    # SymPy makes f(A B) non-commutative; matcalc's f(A B) is a commutative scalar
    fAB = commutative_functions(f(A * B))
    expected = MatMul(partial(g(fAB), [1]), FunctionGradient(fAB, 1), B.T)
    assert_bound(expr, A, G, {f: Lambda(M, Trace(M.T * M)), g: sin}, expected)
    assert matcalc.latex(G) == (r"g'\left(f\left(A B\right)\right) \nabla f\left(A B\right) "
                                r"B^{T}")


def test_function_of_two_matrices_has_gradients_per_argument():
    expr = f(X, A * X)
    G = matcalc.grad(expr, X)
    assert_bound(expr, X, G, {f: Lambda((M, C), Trace(M * C * M))})
    assert r"\nabla_{2} f" in matcalc.latex(G)


def test_undefined_function_applied_elementwise():
    expr = Trace(A * X.applyfunc(f))
    G = matcalc.grad(expr, X)
    assert_bound(expr, X, G, {f: tanh})
    assert matcalc.latex(G) == r"f'\left(X\right) \circ A^{T}"


def test_hessian_of_an_undefined_function_of_a_scalar():
    expr = g(f(Trace(X)))
    H = matcalc.hessian(expr, X)
    report = matcalc.check_hessian(expr, X, H, functions={f: sin, g: exp})
    assert report.passed, report
    assert "f''" in matcalc.latex(H)


def test_agrees_with_sympys_chain_rule_for_scalars():
    for expr in (g(f(t)), f(t) * g(t ** 2), F(sin(t), g(t))):
        ours, sympys = matcalc.grad(expr, t), diff(expr, t)
        concrete = {f: Lambda(u, u ** 3), g: exp, F: Lambda((u, v), u * v ** 2)}
        a = ours.subs(concrete).doit()
        b = sympys.subs(concrete).doit()
        assert (a - b).simplify() == 0, (ours, sympys)
        assert matcalc.check(expr, t, ours, functions=concrete).passed


def test_an_unbound_function_has_no_value_and_says_how_to_bind_it():
    G = matcalc.grad(f(Trace(X)), X)
    with pytest.raises(matcalc.UnsupportedError, match="functions=.*f: sin"):
        matcalc.check(f(Trace(X)), X, G)


def test_the_gradient_of_a_matrix_function_needs_its_hessian_to_be_differentiated():
    with pytest.raises(matcalc.UnsupportedError, match="∇²f"):
        matcalc.hessian(f(X), X)


def test_derivatives_in_a_function_are_accepted_when_undefined():
    G = matcalc.grad(fp * Trace(A * X), X)     # f'(tr X) tr(AX): differentiate the result again
    assert_bound(fp * Trace(A * X), X, G, {f: sin})
    with pytest.raises(ValueError, match="unevaluated Derivative"):
        matcalc.grad(Derivative(Trace(X) ** 2, Symbol("s")), X)
    assert isinstance(fp, Subs)


def test_hessian_of_an_undefined_function_of_a_1x1_elementwise_tanh():
    """The campaign's crash: SymPy's ElementwiseApplyFunction calls φ on a 1x1 argument,
    and ``1 - tanh(x'a)**2`` with a matrix inside sent its assumptions into MatMul.expand."""
    x, a = MatrixSymbol("x", n, 1), MatrixSymbol("a", n, 1)
    expr = (x.T * a).applyfunc(tanh).applyfunc(f)[0, 0]
    H = matcalc.hessian(expr, x)
    assert H.shape == (n, n)
    report = matcalc.check_hessian(expr, x, H, functions={f: sin})
    assert report.passed, report
