"""Honest failure: every construct without a rule raises UnsupportedError naming it;
bad arguments raise a specific error with a message that says what is wrong."""
import pytest
from sympy import (Identity, MatPow, MatrixSymbol, Mod, Q,
                   Trace, assuming, conjugate, exp, floor, log, Determinant, symbols)
from sympy.matrices.expressions.adjoint import Adjoint

import matcalc
from matcalc import UnsupportedError
from conftest import assert_gradient

n = symbols("n", integer=True, positive=True)
kk = symbols("k", integer=True)
X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
x = MatrixSymbol("x", n, 1)


@pytest.mark.parametrize("f,var,names", [
    (Trace(MatPow(X, kk)), X, "symbolic exponent"),
    (Trace(Adjoint(X)), X, "Adjoint"),
    (Mod(Trace(X), 2), X, "Mod"),
    (conjugate(Trace(X)), X, "conjugate"),
    (floor(Trace(X)), X, "floor"),
    (exp(X), X, "matrix function exp(X)"),
], ids=["symbolic-power", "adjoint", "mod", "conjugate", "floor", "matrix-exponential"])
def test_unsupported_constructs_are_named(f, var, names):
    with pytest.raises(UnsupportedError, match="no rule for") as info:
        matcalc.grad(f, var)
    assert names in str(info.value)
    assert isinstance(info.value, NotImplementedError)


def test_never_zero_for_log_det_where_sympy_says_zero():
    G = matcalc.grad(log(Determinant(X)), X)
    assert G != 0 and matcalc.check(log(Determinant(X)), X, G).passed


def test_non_scalar_function_is_a_value_error():
    with pytest.raises(ValueError, match="scalar function.*shape n x n.*jacobian"):
        matcalc.grad(X * A, X)


def test_variable_must_be_a_matrix_symbol_a_symbol_or_an_entry():
    with pytest.raises(TypeError, match="MatrixSymbol.*scalar Symbol.*entry.*MatMul"):
        matcalc.grad(Trace(X), X * A)
    with pytest.raises(TypeError, match="MatrixSymbol.*Trace"):
        matcalc.grad(Trace(X), Trace(X))


def test_bad_layout_and_structure_options():
    with pytest.raises(ValueError, match="layout must be one of"):
        matcalc.grad(Trace(X), X, layout="columns")
    with pytest.raises(ValueError, match="structure must be one of"):
        matcalc.grad(Trace(X), X, structure="hermitian")
    with pytest.raises(ValueError, match="square variable"):
        matcalc.grad(Trace(x.T * x), x, structure="symmetric")


def test_structure_declarations_validate():
    with pytest.raises(matcalc.NonSquareMatrixError, match="symmetric matrix S must be square"):
        matcalc.symmetric("S", n, 3)
    with pytest.raises(ValueError, match="unknown structure 'hermitian'"):
        matcalc.constructs.structured.StructuredMatrixSymbol("S", n, n, "hermitian")


def test_sympy_q_assumptions_are_read():
    S = MatrixSymbol("S", n, n)
    with assuming(Q.symmetric(S)):
        assert matcalc.structure_of(S) == "symmetric"
    assert matcalc.structure_of(S) == "general"


def test_scalar_of_non_one_by_one_is_rejected():
    with pytest.raises(ValueError, match="1x1 matrix expression.*shape"):
        matcalc.scalar(X)


def test_scalar_functions_of_determinants_print_and_differentiate():
    # SymPy 1.14 raised "Mix of Matrix and Scalar symbols" printing this result
    from sympy import tanh
    I = Identity(n)
    f = tanh(log(Determinant(3 * I + X * X.T)))
    G = assert_gradient(f, X)
    assert "tanh" in str(G)
