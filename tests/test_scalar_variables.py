"""Scalar ``Symbol`` variables, explicit matrices with symbolic entries, and entries E_ij:
the MML seed's own examples, written as the book writes them.

    h(t) = f(g(t)),  f(x) = exp(x_1 x_2^2),  g(t) = (t cos t, t sin t)      (MML 5.69-5.74)
    J of (x^2 + y^2, x y) at (1, 2) = [[2, 4], [2, 1]], det J = -6          (the seed's cell 2)
    J of x -> [[-2, 1], [1, 1]] x is that matrix, |det J| = 3              (MML 5.62-5.66)

Every derivative is checked numerically (a scalar variable by finite differences in it).
"""
import pytest
from sympy import (ImmutableMatrix, Matrix, MatrixSymbol, Trace, Determinant, cos, diff, exp,
                   simplify, sin, symbols)

import matcalc
from matcalc.constructs.unit_matrix import UnitMatrix
from matcalc.simplify import equal_forms
from conftest import n

t = symbols("t", real=True)
X, A, B = (MatrixSymbol(s, n, n) for s in "XAB")
x, v = MatrixSymbol("x", 2, 1), MatrixSymbol("v", 2, 1)


def test_mml_chain_rule_example_reads_like_the_book():
    f = exp(x[0] * x[1] ** 2)
    g = Matrix([t * cos(t), t * sin(t)])
    df_dx = matcalc.grad(f, x, layout="numerator")          # 1 x 2, (5.74b)
    dg_dt = matcalc.jacobian(g, t)                           # 2 x 1
    assert df_dx == Matrix([[x[1, 0] ** 2 * f, 2 * x[0, 0] * x[1, 0] * f]])
    assert dg_dt == Matrix([cos(t) - t * sin(t), sin(t) + t * cos(t)])
    assert matcalc.check(f, x, df_dx, layout="numerator").passed
    assert matcalc.check_jacobian(g, t, dg_dt).passed
    h = f.subs(x, g).doit()
    dh_dt = matcalc.grad(h, t)
    assert matcalc.check(h, t, dh_dt).passed
    assert simplify(dh_dt - (df_dx.subs(x, g).doit() * dg_dt)[0, 0]) == 0   # (5.74a)
    assert simplify(dh_dt - diff(h, t)) == 0
    assert "Matrix" not in str(dh_dt) and "t[0, 0]" not in str(dh_dt)


def test_jacobian_of_the_seeds_function_at_one_two():
    F = Matrix([v[0] ** 2 + v[1] ** 2, v[0] * v[1]])
    J = matcalc.jacobian(F, v)
    assert J == Matrix([[2 * v[0, 0], 2 * v[1, 0]], [v[1, 0], v[0, 0]]])
    assert matcalc.check_jacobian(F, v, J).passed
    at = J.subs(v, Matrix([1, 2])).doit()
    assert at == Matrix([[2, 4], [2, 1]]) and at.det() == -6


def test_area_scaling_jacobian_is_the_matrix_itself():
    J0 = ImmutableMatrix([[-2, 1], [1, 1]])
    J = matcalc.jacobian(J0 * x, x)
    assert J == J0 and abs(J.det()) == 3
    assert matcalc.check_jacobian(J0 * x, x, J).passed


def test_quadratic_form_with_an_explicit_matrix_is_evaluated():
    M = ImmutableMatrix([[1, 1], [0, 1]])
    G = matcalc.grad(v.T * M * v, v)
    assert G == Matrix([[2, 1], [1, 2]]) * v
    assert matcalc.check(v.T * M * v, v, G).passed
    H = matcalc.hessian(v.T * M * v, v)
    assert H == Matrix([[2, 1], [1, 2]])
    assert matcalc.check_hessian(v.T * M * v, v, H).passed


def test_explicit_matrix_of_traces_and_determinants_of_a_symbolic_variable():
    F = ImmutableMatrix([[Trace(A * X), 1], [0, Determinant(X)]])
    J = matcalc.jacobian(F, X)
    assert matcalc.check_jacobian(F, X, J).passed
    G = matcalc.grad(Trace(ImmutableMatrix([[1, 2], [3, 4]]) * F), X)
    assert equal_forms(G, A.T + 4 * Determinant(X) * X.T.I)
    assert matcalc.check(Trace(ImmutableMatrix([[1, 2], [3, 4]]) * F), X, G).passed


def test_entries_of_a_vector_symbol_give_an_explicit_gradient():
    f = v[0] ** 2 * v[1] + sin(v[1])
    G = matcalc.grad(f, v)
    assert G == Matrix([[2 * v[0, 0] * v[1, 0]], [v[0, 0] ** 2 + cos(v[1, 0])]])
    assert matcalc.check(f, v, G).passed


def test_derivative_of_a_matrix_with_respect_to_a_scalar_is_shaped_like_it():
    F = t ** 2 * A + sin(t) * X
    D = matcalc.diff(F, t)
    assert equal_forms(D, 2 * t * A + cos(t) * X)
    assert matcalc.check_jacobian(F, t, matcalc.vec(D)).passed
    assert matcalc.jacobian(F, t).shape == (n * n, 1)
    assert matcalc.jacobian(F, t, layout="denominator").shape == (1, n * n)


def test_second_derivative_and_steps_with_respect_to_a_scalar():
    f = sin(t) * t * Trace(A)
    assert simplify(matcalc.hessian(f, t) - diff(f, t, 2)) == 0
    d = matcalc.derive(f, t)
    assert d.steps[-1].rule == "identify df/dt: dt = 1" and d.result == matcalc.grad(f, t)
    assert r"\mathrm{d}t" in d.latex()


def test_entry_variable_and_unit_matrix():
    i, j = symbols("i j", integer=True, nonnegative=True)
    G = matcalc.grad((A * X * B)[i, j], X)
    assert G == A.T * UnitMatrix(n, n, i, j) * B.T
    assert matcalc.check((A * X * B)[1, 2], X, G.subs({i: 1, j: 2})).passed
    assert matcalc.latex(G) == r"A^{T} E_{ij} B^{T}"
    m = symbols("m", integer=True, nonnegative=True)
    assert matcalc.diff(A * X, X[i, m]) == A * UnitMatrix(n, n, i, m)


@pytest.mark.parametrize("structure", ["symmetric"])
def test_structure_needs_a_matrix_variable(structure):
    with pytest.raises(ValueError, match="needs a matrix variable"):
        matcalc.grad(t * Trace(A), t, structure=structure)


def test_relu_of_matrices_and_a_1x1_elementwise_function_of_a_scalar_variable():
    """Campaign run 6: the oracle put t's 1x1 matrix into f with SymPy's xreplace, which
    called the 1x1 relu map's body on a matrix (``Max``: 'not comparable'); and
    ``matcalc.relu`` of a matrix raised the same SymPy error."""
    from matcalc import relu
    from matcalc.constructs.elementwise import elementwise
    A, B = MatrixSymbol("A", n, n), MatrixSymbol("B", n, n)
    a, X = MatrixSymbol("a", n, 1), MatrixSymbol("X", n, n)
    inner = a.T * (t * A + B) * a
    for f in (relu(inner), elementwise(relu, inner)):
        J = matcalc.jacobian(f, t)
        assert matcalc.check_jacobian(f, t, J).passed, (f, J)
    f = Trace(A * relu(X))                         # elementwise, as the language reads it
    G = matcalc.grad(f, X)
    assert matcalc.check(f, X, G).passed


def test_a_1x1_result_reads_as_the_matrix_it_is():
    """c M_00 I_1 = c M for a 1x1 M: ``2*t`` and ``x.T*A.T*x``, not ``(2*t[0, 0])*I``."""
    from matcalc.printing.text import text_form
    t, a = MatrixSymbol("t", 1, 1), MatrixSymbol("a", 1, 1)
    x, A = MatrixSymbol("x", n, 1), MatrixSymbol("A", n, n)
    cases = ((Trace(t * t), "2*t"), (Trace(a * t), "a"), (Trace(t * x.T * A * x), "x.T*A.T*x"))
    for f, text in cases:
        G = matcalc.grad(f, t)
        assert str(G) == text and text_form(G) == text.replace(".T", "'")
        assert matcalc.check(f, t, G).passed
