"""Jacobians d vec(F) / d vec(X)^T in Kronecker form, the commutation matrix, the tensor view.

Every Jacobian asserted here is checked against finite differences by the
numeric oracle (``matcalc.numeric.check_jacobian``), and so is the expected form.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sympy import (Determinant, Identity, ImmutableMatrix, Inverse, KroneckerProduct, MatAdd,
                   MatMul, MatPow, MatrixSymbol, Matrix, Rational, Symbol, Trace,
                   Transpose, cos, diff, exp, latex, log, permutedims, sin, symbols, tanh)
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

import matcalc
from matcalc import UnsupportedError, scalar
from matcalc.constructs.commutation import CommutationMatrix, commutation_permutation
from matcalc.tensor import jacobian_from_tensor, tensor_from_jacobian
from matcalc.numeric import check_jacobian, evaluate, random_point
from matcalc.numeric import MatcalcNumPyPrinter
from matcalc.simplify import equal_forms
from matcalc.algebra import transpose_of
from matcalc.constructs.vec import Vec, vec
from matcalc.simplify.kronecker_form import simplify_jacobian

n, m, k, p, q = symbols("n m k p q", integer=True, positive=True)
X, A, B = (MatrixSymbol(s, n, n) for s in "XAB")
Xr = MatrixSymbol("X", p, q)          # rectangular variable
Ar, Br = MatrixSymbol("A", m, p), MatrixSymbol("B", q, k)
a, x = MatrixSymbol("a", n, 1), MatrixSymbol("x", n, 1)
I_n = Identity(n)


def assert_jacobian(F, V, expected=None, *, text=None, layout="numerator", rtol=1e-6):
    """jacobian(F, V) passes the numeric check, equals ``expected`` (which passes too),
    and prints as ``text``."""
    J = matcalc.jacobian(F, V, layout=layout)
    numerator = J if layout == "numerator" else transpose_of(J)
    report = check_jacobian(F, V, numerator, rtol=rtol)
    assert report.passed, f"numeric check failed for J = {J}: {report}"
    if expected is not None:
        ref = expected if layout == "numerator" else transpose_of(expected)
        assert check_jacobian(F, V, ref, rtol=rtol).passed, f"the reference {expected} fails"
        assert J == expected or equal_forms(J, expected), f"J = {J}, expected {expected}"
    if text is not None:
        assert str(J) == text, f"printed {J}, expected {text}"
    return J


# -- the headline Jacobians ------------------------------------------------------------

def test_jacobian_of_AXB_is_kron_BT_A():
    assert_jacobian(Ar * Xr * Br, Xr, KroneckerProduct(Br.T, Ar), text="KroneckerProduct(B.T, A)")


def test_jacobian_of_transpose_is_the_commutation_matrix():
    J = assert_jacobian(Xr.T, Xr, CommutationMatrix(p, q), text="K(p, q)")
    assert isinstance(J, CommutationMatrix) and J.shape == (p * q, p * q)


def test_jacobian_of_inverse_is_minus_kron_of_inverses():
    expected = MatMul(-1, KroneckerProduct(Inverse(X.T), Inverse(X)))
    J = assert_jacobian(Inverse(X), X, expected)
    assert matcalc.latex(J) == r"- \left(X^{-T} \otimes X^{-1}\right)"


def test_jacobian_of_square_is_two_kronecker_terms():
    assert_jacobian(X ** 2, X, MatAdd(KroneckerProduct(I_n, X), KroneckerProduct(X.T, I_n)))


def test_jacobian_of_gram_matrix_is_I_plus_K_times_kron():
    # Magnus & Neudecker: d vec(X^T X) = (I + K_{qq})(I ⊗ X^T) d vec(X)
    Iq = Identity(q)
    expected = MatMul(MatAdd(Identity(q * q), CommutationMatrix(q, q)), KroneckerProduct(Iq, Xr.T))
    assert_jacobian(Xr.T * Xr, Xr, expected)


def test_jacobian_of_hadamard_is_diag_vec():
    assert_jacobian(HadamardProduct(A, X), X, DiagMatrix(Vec(A)), text="DiagMatrix(vec(A))")
    assert matcalc.latex(DiagMatrix(Vec(A))) == \
        r"\operatorname{diag}\left(\operatorname{vec}\left(A\right)\right)"


def test_jacobian_of_elementwise_exp_is_diag_vec_exp():
    J = assert_jacobian(X.applyfunc(exp), X)
    assert isinstance(J, DiagMatrix) and isinstance(J.args[0], Vec)
    assert matcalc.latex(J) == \
        r"\operatorname{diag}\left(\operatorname{vec}\left(\exp\left(X\right)\right)\right)"


def test_jacobian_of_vector_hadamard_is_diag():
    assert_jacobian(HadamardProduct(a, x), x, DiagMatrix(a), text="DiagMatrix(a)")


def test_jacobian_of_elementwise_functions_of_vectors():
    J = assert_jacobian((A * x).applyfunc(tanh), x)
    assert isinstance(J, MatMul) and J.args[-1] == A


def test_jacobian_of_XW_from_the_sympy_notebook():
    W = MatrixSymbol("W", n, k)
    assert_jacobian(X * W, X, KroneckerProduct(W.T, I_n), text="KroneckerProduct(W.T, I)")


def test_jacobian_of_hadamard_power():
    assert_jacobian(HadamardPower(X, 3), X, MatMul(3, DiagMatrix(Vec(HadamardPower(X, 2)))))


def test_jacobian_of_negative_power():
    assert_jacobian(MatPow(X, -2), X, text="-(KroneckerProduct(X.T**(-1), X**(-2))"
                                           " + KroneckerProduct(X.T**(-2), X**(-1)))")


# -- vector-by-vector, vector-by-matrix, scalar F ----------------------------------------------

def test_vector_by_vector_is_the_ordinary_jacobian():
    M = MatrixSymbol("M", m, n)
    assert_jacobian(M * x, x, M, text="M")
    assert_jacobian(M * x, x, M.T, layout="denominator")


def test_vector_by_matrix_mml_example():
    # MML 5.3: f = A x, df/dA in R^{M x (M N)}: x^T ⊗ I_M
    Am, xv = MatrixSymbol("A", m, n), MatrixSymbol("x", n, 1)
    assert_jacobian(Am * xv, Am, KroneckerProduct(xv.T, Identity(m)))


def test_scalar_function_gives_the_row_vec_grad_transpose():
    assert_jacobian(log(Determinant(X)), X, Transpose(Vec(Inverse(X.T))))
    assert_jacobian(x.T * A * x, x, MatMul(x.T, MatAdd(A, A.T)), text="x.T*(A + A.T)")
    assert_jacobian(x.T * A * x, x, MatMul(MatAdd(A, A.T), x), layout="denominator")


def test_scalar_times_matrix_uses_vec_M_vec_grad_transpose():
    assert_jacobian(Trace(X) * A, X, MatMul(Vec(A), Transpose(Vec(I_n))),
                    text="vec(A)*vec(I).T")
    expected = MatMul(Determinant(X), MatAdd(Identity(n * n),
                                             MatMul(Vec(X), Transpose(Vec(Inverse(X.T))))))
    assert_jacobian(Determinant(X) * X, X, expected)


def test_chain_rule_through_a_scalar():
    b = MatrixSymbol("b", n, 1)
    s = scalar(a.T * x)
    J = assert_jacobian(sin(s) * b, x)
    assert J == MatMul(cos(s), b, a.T) or equal_forms(J, MatMul(cos(s), b, a.T))
    assert_jacobian(exp(Trace(X)) * A, X, MatMul(exp(Trace(X)), Vec(A), Transpose(Vec(I_n))))


def test_inverse_of_a_sum_and_products():
    assert_jacobian(Inverse(X * A + B), X)
    assert_jacobian(A * X.T * B + X, X)


def test_diagonal_constructs():
    assert_jacobian(DiagMatrix(x), x)
    assert_jacobian(DiagonalOf(X), X)
    assert_jacobian(DiagonalMatrix(X), X, DiagMatrix(Vec(I_n)))


def test_kronecker_products_with_the_variable():
    C = MatrixSymbol("C", 2, 3)
    X23 = MatrixSymbol("X", 3, 2)
    assert_jacobian(KroneckerProduct(C, X23), X23)
    assert_jacobian(KroneckerProduct(X23, C), X23)


def test_layouts_are_transposes():
    F = Ar * Xr * Br
    assert matcalc.jacobian(F, Xr, layout="denominator") == KroneckerProduct(Br, Ar.T)
    assert_jacobian(F, Xr, KroneckerProduct(Br, Ar.T), layout="denominator")
    with pytest.raises(ValueError, match="layout"):
        matcalc.jacobian(F, Xr, layout="mixed")


def test_scalar_variable():
    t = Symbol("t")
    J = matcalc.jacobian(t ** 2 * A + sin(t) * B, t)
    T1 = MatrixSymbol("t", 1, 1)
    # the same Jacobian through a 1x1 matrix variable, checked numerically
    F1 = (scalar(T1) ** 2 * A + sin(scalar(T1)) * B)
    J1 = matcalc.jacobian(F1, T1)
    assert check_jacobian(F1, T1, J1).passed
    assert J.xreplace({t: scalar(T1)}) == J1 or equal_forms(J.xreplace({t: scalar(T1)}), J1)
    assert J.shape == (n * n, 1)
    assert matcalc.jacobian(sin(t) * t, t) == t * cos(t) + sin(t)


# -- never a silent zero --------------------------------------------------------------------

def test_unsupported_constructs_raise():
    s = Symbol("s", integer=True)
    with pytest.raises(UnsupportedError, match="power"):
        matcalc.jacobian(MatPow(X, s), X)
    f = __import__("sympy").Function("f")
    with pytest.raises(UnsupportedError, match="FunctionGradient.*no differential rule"):
        matcalc.hessian(f(X), X)   # the derivative of ∇f(X) would need ∇²f
    with pytest.raises(UnsupportedError, match="not linear"):
        from matcalc.identify import vec_jacobian
        from matcalc.constructs.differentials import DifferentialSymbol
        dX = DifferentialSymbol.of(X)
        vec_jacobian(MatMul(dX, dX), dX)


def test_constant_function_has_zero_jacobian():
    J = assert_jacobian(A * B, X)
    assert J.is_ZeroMatrix and J.shape == (n * n, n * n)


def test_bad_variable_is_a_type_error():
    with pytest.raises(TypeError, match="MatrixSymbol"):
        matcalc.jacobian(X, X.T)


# -- the commutation matrix ----------------------------------------------------------------

def test_commutation_matrix_maps_vec_to_vec_of_transpose():
    M = np.arange(12.0).reshape(3, 4)
    K = np.array(CommutationMatrix(3, 4).as_explicit(), dtype=float)
    assert np.array_equal(K @ M.ravel(order="F"), M.T.ravel(order="F"))
    assert commutation_permutation(3, 4)[1] == 3   # row j + i n = 1 picks i + j m = 3


def test_commutation_matrix_algebra_and_printing():
    K = CommutationMatrix(m, n)
    assert K.shape == (m * n, m * n)
    assert transpose_of(K) == CommutationMatrix(n, m) == K.T == K.I
    assert CommutationMatrix(1, n).doit() == Identity(n)
    assert latex(K) == "K_{m,n}" and matcalc.latex(K) == "K_{m,n}" and str(K) == "K(m, n)"
    E = np.array(CommutationMatrix(3, 4).as_explicit(), dtype=float)
    assert np.array_equal(E.T @ E, np.eye(12))
    assert np.isclose(float(Determinant(CommutationMatrix(3, 4)).doit()), np.linalg.det(E))
    assert Trace(CommutationMatrix(3, 4)).doit() == int(np.trace(E))


def test_commutation_numpy_code_agrees_with_the_oracle_printer():
    K = CommutationMatrix(m, n)
    from sympy.printing.numpy import NumPyPrinter
    assert MatcalcNumPyPrinter().doprint(K) == NumPyPrinter().doprint(K)   # one definition
    point = random_point(K, sizes={m: 3, n: 4})
    assert np.array_equal(evaluate(K, point), np.array(CommutationMatrix(3, 4).as_explicit(),
                                                       dtype=float))


def test_commutation_identities_used_in_simplification():
    P = MatrixSymbol("P", m, n)
    Q = MatrixSymbol("Q", p, q)
    # K_{p,m} (P ⊗ Q) K_{n,q} = Q ⊗ P
    lhs = MatMul(CommutationMatrix(p, m), KroneckerProduct(P, Q), CommutationMatrix(n, q))
    assert simplify_jacobian(lhs) == KroneckerProduct(Q, P)
    assert simplify_jacobian(MatMul(CommutationMatrix(n, m), CommutationMatrix(m, n))) == \
        Identity(m * n)
    # the same identity numerically
    sizes = {m: 2, n: 3, p: 4, q: 2}
    point = random_point(lhs, sizes=sizes)
    assert np.allclose(evaluate(lhs, point), evaluate(KroneckerProduct(Q, P), point))


def test_vec_expression():
    M = MatrixSymbol("M", 2, 3)
    V = Vec(M)
    assert V.shape == (6, 1) and V[3, 0] == M[1, 1]
    assert str(V) == "vec(M)" and latex(V) == r"\operatorname{vec}\left(M\right)"
    assert Vec(ImmutableMatrix([[1, 2], [3, 4]])).doit() == ImmutableMatrix([1, 3, 2, 4])
    assert vec(x) == x and vec(x.T) == x
    assert vec(MatMul(a, x.T)) == KroneckerProduct(x, a)   # vec(a x^T) = x ⊗ a
    point = random_point(V)
    assert np.array_equal(evaluate(V, point).ravel(), point[M].ravel(order="F"))


# -- the tensor view (MML 5.4, SymPy notebook) ---------------------------------------------------

def test_derivative_tensor_of_XW_matches_sympy_diff():
    X3, W3 = MatrixSymbol("X", 3, 3), MatrixSymbol("W", 3, 2)
    T = matcalc.derivative_tensor(X3 * W3, X3)
    assert T.shape == (3, 2, 3, 3)
    Xm = Matrix(3, 3, lambda i, j: Symbol(f"x{i}{j}"))
    Wm = Matrix(3, 2, lambda i, j: Symbol(f"w{i}{j}"))
    sympy_tensor = diff(Xm * Wm, Xm)        # SymPy orders the indices (k, l, i, j)
    ours = T.subs({W3[i, j]: Wm[i, j] for i in range(3) for j in range(2)})
    assert permutedims(sympy_tensor, (2, 3, 0, 1)) == ours
    # ... and it is the numerically checked vec-Jacobian W^T ⊗ I reshaped
    J = matcalc.jacobian(X3 * W3, X3)
    assert check_jacobian(X3 * W3, X3, J).passed


def test_two_equivalent_approaches_of_mml_5_4():
    """dA/dx for A(x) in R^{4x2}, x in R^3: (a) collating partial derivatives,
    (b) the Jacobian of vec(A) reshaped into a 4 x 2 x 3 tensor."""
    C, c = MatrixSymbol("C", 4, 3), MatrixSymbol("c", 2, 1)
    xv = MatrixSymbol("x", 3, 1)
    F = MatMul(C, xv.applyfunc(sin), c.T)           # 4 x 2, nonlinear in x
    T = matcalc.derivative_tensor(F, xv)             # approach (b)
    assert T.shape == (4, 2, 3)
    explicit = F.as_explicit()
    collated = [[[diff(explicit[i, j], xv[l, 0]) for l in range(3)] for j in range(2)]
                for i in range(4)]                    # approach (a)
    assert (T.tolist() == collated) or all(
        (T[i, j, l] - collated[i][j][l]).simplify() == 0
        for i in range(4) for j in range(2) for l in range(3))
    J = matcalc.jacobian(F, xv)
    assert check_jacobian(F, xv, J).passed


def test_tensor_and_jacobian_reshape_both_ways():
    rng = np.random.default_rng(0)
    J = rng.standard_normal((6, 12))                  # F 2x3, X 4x3
    T = tensor_from_jacobian(J, (2, 3), (4, 3))
    for i, j, kk, ll in [(0, 0, 0, 0), (1, 2, 3, 1), (0, 1, 2, 2)]:
        assert T[i, j, kk, ll] == J[i + j * 2, kk + ll * 4]
    assert np.array_equal(T, J.reshape((2, 3, 4, 3), order="F"))
    assert np.array_equal(jacobian_from_tensor(T, (2, 3), (4, 3)), J)
    Js = Matrix(6, 12, lambda r, c: Symbol(f"j{r}_{c}"))
    Ts = tensor_from_jacobian(Js, (2, 3), (4, 3))
    assert Ts[1, 2, 3, 1] == Js[1 + 2 * 2, 3 + 1 * 4]
    assert jacobian_from_tensor(Ts, (2, 3), (4, 3)) == Js


def test_derivative_tensor_at_symbolic_sizes_needs_sizes():
    T = matcalc.derivative_tensor(Ar * Xr * Br, Xr, sizes={m: 2, p: 3, q: 2, k: 2})
    assert T.shape == (2, 2, 3, 2)
    A2 = MatrixSymbol("A", 2, 3)
    B2 = MatrixSymbol("B", 2, 2)
    # T[i, j, k, l] = A[i, k] B[l, j]
    assert T[1, 0, 2, 1] == A2[1, 2] * B2[1, 0]
    with pytest.raises(ValueError, match="concrete sizes"):
        matcalc.derivative_tensor(Ar * Xr * Br, Xr)


def test_derivative_tensor_of_a_scalar_is_the_gradient():
    X2 = MatrixSymbol("X", 2, 2)
    T = matcalc.derivative_tensor(Trace(X2.T * X2), X2)
    assert T.shape == (2, 2) and T[1, 0] == 2 * X2[1, 0]
    assert check_jacobian(Trace(X2.T * X2), X2, matcalc.jacobian(Trace(X2.T * X2), X2)).passed


# -- random expressions against the oracle ----------------------------------------------------

LEAVES = (X, X, A, B, Transpose(X))


def _well_conditioned(draw):
    """Operands safe to invert at the oracle's points (X, A, B ~ I + small noise)."""
    return draw(st.sampled_from([X, X * A, A * X + B, X.T * X + A, X ** 2, X + A]))


@st.composite
def matrix_expressions(draw, depth=3):
    """A random n x n expression in X built from every construct the engine supports."""
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(LEAVES))
    sub = lambda: draw(matrix_expressions(depth - 1))
    kind = draw(st.sampled_from(["mul", "mul", "add", "sub", "T", "inv", "pow", "had", "hadpow",
                                 "elem", "tr*", "det*", "c*", "diag", "scalar*"]))
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
        return MatPow(sub(), draw(st.sampled_from([2, 3])))
    if kind == "had":
        return HadamardProduct(sub(), sub())
    if kind == "hadpow":
        return HadamardPower(sub(), 2)
    if kind == "elem":
        return sub().applyfunc(draw(st.sampled_from([sin, tanh, exp])))
    if kind == "tr*":
        return MatMul(Trace(sub()), sub())
    if kind == "det*":
        return MatMul(Determinant(_well_conditioned(draw)), sub())
    if kind == "c*":
        return MatMul(draw(st.sampled_from([Rational(1, 2), -3, 2])), sub())
    if kind == "diag":
        return DiagMatrix(DiagonalOf(sub()))
    v = MatrixSymbol("v", n, 1)
    return MatMul(sin(scalar(v.T * sub() * v)), sub())


def _jacobian_or_unsupported(F, V):
    try:
        return matcalc.jacobian(F, V)
    except UnsupportedError:
        event("unsupported")
        return None


def _assert_not_refuted(report, f, D):
    """A pass, or the oracle's abstention (finite differences that do not settle, e.g. a
    function constant along X); never a refutation."""
    if report.verdict == "unreliable":
        event("oracle abstained")
        return
    assert report.passed, f"f = {f}\nderivative = {D}\n{report}"


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(matrix_expressions(), st.sampled_from(["plain"] * 4 + ["kron-left", "kron-right"]))
def test_random_matrix_expressions_match_the_oracle(F, wrap):
    C = MatrixSymbol("C", 2, 3)
    if wrap == "kron-left":
        F = KroneckerProduct(C, F)
    elif wrap == "kron-right":
        F = KroneckerProduct(F, C)
    J = _jacobian_or_unsupported(F, X)
    if J is None:
        return
    assert J.shape == (F.shape[0] * F.shape[1], n * n)
    _assert_not_refuted(check_jacobian(F, X, J, points=2, rtol=1e-5), F, J)


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(matrix_expressions(depth=2), st.sampled_from(["x", "vector-valued"]))
def test_random_vector_expressions_match_the_oracle(E, kind):
    """Vector-valued functions of a vector: E(X) x with X fixed, or E(X) a w.r.t. X."""
    if kind == "x":
        F, V = MatMul(E.xreplace({X: A}), x).applyfunc(sin), x
    else:
        F, V = MatMul(E, a), X
    J = _jacobian_or_unsupported(F, V)
    if J is None:
        return
    _assert_not_refuted(check_jacobian(F, V, J, points=2, rtol=1e-5), F, J)
