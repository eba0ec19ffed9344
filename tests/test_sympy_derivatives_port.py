"""SymPy's own matrix-derivative tests (sympy/matrices/expressions/tests/test_derivatives.py)
that matcalc could not take before: derivatives with respect to a scalar ``Symbol`` and with
respect to an entry ``X[m, n]`` (SymPy 1.14 answers some of these with 0, its issue #17229).

Each case is asserted against SymPy's expected answer (symbolically) and checked numerically:
a derivative with respect to a scalar by finite differences in that scalar; a derivative with
respect to an entry X_{mn} by assembling the matrix of all (m, n) at concrete indices and
sizes and checking it as the gradient.  Indices are constants of differentiation, as in SymPy.
"""
import pytest
from sympy import (KroneckerDelta, Matrix, MatrixSymbol, OneMatrix, Sum, Trace, ZeroMatrix,
                   cos, log, simplify, sin, symbols, tan)
from sympy.matrices.expressions import hadamard_power
from sympy.matrices.expressions.hadamard import HadamardProduct, hadamard_product

import matcalc
from matcalc.constructs.scalars import ScalarElement
from matcalc.simplify import equal_forms

i, j, k = symbols("i j k")
m, n = symbols("m n")
X = MatrixSymbol("X", k, k)
x, y = MatrixSymbol("x", k, 1), MatrixSymbol("y", k, 1)
A, B, C, D = (MatrixSymbol(s, k, k) for s in "ABCD")
a, b, c, d = (MatrixSymbol(s, k, 1) for s in "abcd")
xp = matcalc.positive("x", k, 1)          # x^{∘i} is real for a positive x


def KDelta(p, q):
    return KroneckerDelta(p, q, (0, k - 1))


def same(ours, expected):
    if getattr(ours, "is_Matrix", False):
        return ours == expected or equal_forms(ours, expected)
    # SymPy writes δ_{mn} with its range; an entry of a product, at concrete indices, entry-wise
    expected = expected.replace(lambda e: isinstance(e, KroneckerDelta) and len(e.args) == 3,
                                lambda e: KroneckerDelta(*e.args[:2]))
    ours = ours.replace(lambda e: isinstance(e, ScalarElement) and e.parent.shape[0].is_Integer
                        and e.i.is_Integer and e.j.is_Integer,
                        lambda e: e.parent.as_explicit()[int(e.i), int(e.j)])
    return simplify((ours - expected).doit().expand()) == 0


def check_by_scalar(F, R, var=i):
    """R = dF/di against finite differences in i."""
    if getattr(F, "is_Matrix", False) and F.shape != (1, 1):
        J = matcalc.vec(R) if not isinstance(R, ZeroMatrix) else ZeroMatrix(F.shape[0] * F.shape[1], 1)
        report = matcalc.check_jacobian(F, var, J)
    else:
        report = matcalc.check(F, var, R)
    assert report.passed, report


# -- derivatives with respect to a scalar Symbol (SymPy: test_matrix_derivative_by_scalar,
#    test_derivatives_elementwise_applyfunc) ---------------------------------------------

BY_SCALAR = [
    ("A", A, ZeroMatrix(k, k)),
    ("A(X + B)c", A * (X + B) * c, ZeroMatrix(k, 1)),
    ("x", x, ZeroMatrix(k, 1)),
    ("x^T y", x.T * y, ZeroMatrix(1, 1)),
    ("x x^T", x * x.T, ZeroMatrix(k, k)),
    ("x + y", x + y, ZeroMatrix(k, 1)),
    ("x^{∘2}", hadamard_power(x, 2), ZeroMatrix(k, 1)),
    ("x^{∘i}", hadamard_power(xp, i), HadamardProduct(xp.applyfunc(log), hadamard_power(xp, i))),
    ("x ∘ y", hadamard_product(x, y), ZeroMatrix(k, 1)),
    ("(i 1) ∘ x ∘ y", hadamard_product(i * OneMatrix(k, 1), x, y), hadamard_product(x, y)),
    ("i x", i * x, x),
    ("sin(i) A B x", sin(i) * A * B * x, cos(i) * A * B * x),
    ("sin(x)", x.applyfunc(sin), ZeroMatrix(k, 1)),
    ("tr(i^2 X)", Trace(i ** 2 * X), 2 * i * Trace(X)),
    ("sin(i^2 x)", (i ** 2 * x).applyfunc(sin), HadamardProduct(2 * i * x, (i ** 2 * x).applyfunc(cos))),
    ("sin(log(i) A B)", (log(i) * A * B).applyfunc(sin),
     HadamardProduct(A * B / i, (log(i) * A * B).applyfunc(cos))),
]


@pytest.mark.parametrize("F, expected", [c[1:] for c in BY_SCALAR], ids=[c[0] for c in BY_SCALAR])
def test_derivative_with_respect_to_a_scalar_symbol(F, expected):
    R = matcalc.diff(F, i)
    assert same(R, expected), f"d/di {F} = {R}, SymPy says {expected}"
    check_by_scalar(F, R)


def test_entry_of_an_elementwise_function_by_its_index_symbol():
    # SymPy: expr[i, 0].diff(i) == 2*i*x[i, 0]*cos(i**2*x[i, 0]) -- the index i held fixed
    F = (i ** 2 * x).applyfunc(sin)[i, 0]
    R = matcalc.diff(F, i)
    assert same(R, 2 * i * x[i, 0] * cos(i ** 2 * x[i, 0]))
    # numerically: the same function of i with the index a separate constant, j = 1
    check_by_scalar(F.xreplace({x[i, 0]: x[j, 0]}).subs(j, 1), R.xreplace({x[i, 0]: x[1, 0]}))


def test_derivative_by_scalar_is_the_gradient_for_a_scalar_function():
    f = Trace(i ** 2 * X) + sin(i) * (x.T * y)[0, 0]
    assert matcalc.grad(f, i) == matcalc.diff(f, i)
    check_by_scalar(f, matcalc.grad(f, i))


# -- derivatives with respect to an entry X[m, n] (SymPy: the .diff(X[m, n]) assertions) -----

def check_by_entry(f, M, R, fixed, size=3):
    """The matrix [R(m, n)] at concrete indices ``fixed`` and k = size against finite
    differences of f with respect to M."""
    concrete = {k: size, **fixed}
    f3 = f.subs(concrete).doit() if f.has(Sum) else f.subs(concrete)
    M3 = M.subs(k, size)
    rows, cols = (int(s) for s in M3.shape)
    G = Matrix(rows, cols, lambda p, q: R.subs({**concrete, m: p, n: q}).doit())
    report = matcalc.check(f3, M3, G)
    assert report.passed, report


BY_ENTRY = [
    ("x_i by x_m", x[i, 0], x[m, 0], KDelta(m, i), {i: 1}),
    ("(x^T a) by x_m", (x.T * a)[0, 0], x[m, 0], a[m, 0], {}),
    ("(tr(A) A)_ij by A_mn", (Trace(A) * A)[i, j], A[m, n],
     KDelta(i, m) * KDelta(j, n) * Trace(A) + KDelta(m, n) * A[i, j], {i: 1, j: 2}),
    ("tr X as a sum (Cookbook 99)", Trace(X).rewrite(Sum), X[m, n], KDelta(m, n), {}),
    ("tr XA as a sum (Cookbook 100)", Trace(X * A).rewrite(Sum), X[m, n], A[n, m], {}),
    ("tr AXB as a sum (Cookbook 101)", Trace(A * X * B).rewrite(Sum), X[m, n],
     (A.T * B.T)[m, n], {}),
    ("(Xb + c)^T D (Xb + c) (Cookbook 83)", ((X * b + c).T * D * (X * b + c))[0, 0], X[m, n],
     (D * (X * b + c) * b.T + D.T * (X * b + c) * b.T)[m, n], {}),
    ("(x^T y) by x_m", (x.T * y)[0, 0], x[m, 0], y[m, 0], {}),
    ("tan(x)_i by x_m", x.applyfunc(tan)[i, 0], x[m, 0],
     (tan(x[i, 0]) ** 2 + 1) * KDelta(i, m), {i: 1}),
]


@pytest.mark.parametrize("f, var, expected, fixed", [c[1:] for c in BY_ENTRY],
                         ids=[c[0] for c in BY_ENTRY])
def test_derivative_with_respect_to_an_entry(f, var, expected, fixed):
    R = matcalc.grad(f, var)
    if not fixed:   # compare with SymPy's answer at an off-diagonal entry (its forms use
        # sums; every entry is checked numerically below)
        at = {k: 3, m: 1, n: 2}
        assert same(R.subs(at).doit(), expected.subs(at).doit())
    else:
        assert same(R, expected), f"d {f} = {R}, SymPy says {expected}"
    check_by_entry(f, var.parent, R, fixed)


def test_entry_derivatives_are_unit_matrices_in_matrix_form():
    assert str(matcalc.grad(X[i, j], X)) == "E(i, j, k, k)"
    G = matcalc.grad((A * X * B)[i, j], X)
    assert matcalc.latex(G) == r"A^{T} E_{ij} B^{T}"
    assert matcalc.check((A * X * B)[1, 2], X, G.subs({i: 1, j: 2})).passed
    assert matcalc.grad((A * X * B)[i, j], X[m, n]) == A[i, m] * B[n, j]


def test_entry_derivative_where_sympy_says_zero_is_a_unit_matrix():
    # SymPy 1.14 answers X[1, 1].diff(X) with 0 (its issue #17229)
    three = MatrixSymbol("X", 3, 3)
    G = matcalc.grad(three[1, 1], three)
    assert G == Matrix([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    assert matcalc.check(three[1, 1], three, G).passed
