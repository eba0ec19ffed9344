"""A function or a derivative that is not finite is an error that says why, never a result.

SymPy folds ``nan*tr(X)`` to ``nan`` and ``tr(X)/0`` to ``zoo*tr(X)``: a gradient of 0 or
``zoo*I`` would be a silent wrong answer (issue 11)."""
import pytest
from sympy import MatrixSymbol, Trace, log, nan, oo, symbols

import matcalc
from matcalc.cli import main

n = symbols("n", integer=True, positive=True)
X = MatrixSymbol("X", n, n)


@pytest.mark.parametrize("f, name", [
    (nan * Trace(X), "nan"),
    (Trace(X) / 0, "zoo"),
    (oo * Trace(X), "oo"),
    (Trace(X) * log(0), "zoo"),
])
@pytest.mark.parametrize("derivative", [matcalc.grad, matcalc.hessian, matcalc.jacobian])
def test_non_finite_function_is_refused(f, name, derivative):
    with pytest.raises(matcalc.NonFiniteError, match=rf"the function is not finite: it contains {name}"):
        derivative(f, X)


def test_a_finite_function_still_differentiates():
    G = matcalc.grad(log(Trace(X)), X)
    assert str(G) == "1/Trace(X)*I"
    assert matcalc.check(log(Trace(X)), X, G).passed


def test_cli_division_by_zero_is_a_one_line_error(capsys):
    code = main(["grad", "tr(X)/0", "--wrt", "X", "--check"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("matcalc: error: the function is not finite: it contains zoo")
    assert err.count("\n") == 1
