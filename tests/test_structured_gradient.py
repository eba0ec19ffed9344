"""A structured variable's gradient is the gradient on its structure (issue 11): the same for
every spelling SymPy may store, and checked along the structure's tangent directions."""
import pytest
from sympy import Determinant, Identity, Inverse, MatrixSymbol, Trace, log

import matcalc
from matcalc.cli import main
from matcalc.simplify import equal_forms

from conftest import n

A, B = MatrixSymbol("A", n, n), MatrixSymbol("B", n, n)
Q = matcalc.orthogonal("Q", n)
S = matcalc.symmetric("S", n)
P = matcalc.spd("P", n)
D = matcalc.diagonal("D", n)


def sym(G):
    return (G + G.T) / 2


SPELLINGS = [  # (variable, spellings of one function on the structure, its gradient there)
    (S, [Trace(A * S.T), Trace(A * S), Trace(S * A)], sym(A)),
    (P, [Trace(A * P.T), Trace(P * A)], sym(A)),
    (Q, [Trace(A * Inverse(Q)), Trace(A * Q.T), Trace(Q.T * A)], (A - Q * A.T * Q) / 2),
    (Q, [Trace(Q.T * Q * A), Trace(A)], 0 * Q),
    (Q, [Trace(B * Q.T * Q * A * Q), Trace(B * A * Q)],
     (A.T * B.T - Q * B * A * Q) / 2),
    (D, [Trace(A * D), Trace(A * D.T)], matcalc.grad(Trace(A * D), D, structure="diagonal")),
]


@pytest.mark.parametrize("X, spellings, expected", SPELLINGS,
                         ids=["symmetric", "spd", "orthogonal-inverse", "orthogonal-QtQ",
                              "orthogonal-chain", "diagonal"])
def test_every_spelling_gets_the_gradient_on_the_structure(X, spellings, expected):
    for f in spellings:
        G = matcalc.grad(f, X)
        assert equal_forms(G, expected) or (expected.is_ZeroMatrix and G.is_ZeroMatrix), \
            f"grad({f}) = {G}, expected {expected}"
        assert matcalc.check(f, X, G).passed
        for other in spellings:     # right for every spelling, checked on each
            assert matcalc.check(other, X, G).passed


def test_diagonal_gradient_is_the_diagonal_part():
    G = matcalc.grad(Trace(A * D), D)
    report = matcalc.check(Trace(A * D), D, G)
    assert report.passed
    assert not matcalc.check(Trace(A * D), D, A.T).passed    # off the diagonal: not tangent


def test_check_fails_a_claim_off_the_structure():
    """The unconstrained A^T is right along symmetric directions but not a gradient on the
    symmetric matrices: the check fails it (the same claim passes with structure="general")."""
    for method in ("richardson", "directional"):
        report = matcalc.check(Trace(A * S), S, A.T, method=method)
        assert not report.passed, method
    assert report.details[0]["off_structure"] > 0.1
    assert matcalc.check(Trace(A * S), S, A.T, structure="general").passed
    assert not matcalc.check(Trace(A * Q.T), Q, A).passed


def test_general_structure_keeps_the_gradient_as_stored():
    assert matcalc.grad(Trace(A * S), S, structure="general") == A.T
    G = matcalc.grad(log(Determinant(P)), P)
    assert equal_forms(G, Inverse(P)) and matcalc.check(log(Determinant(P)), P, G).passed


def test_invertible_variables_keep_the_unconstrained_gradient():
    X = matcalc.invertible("X", n)
    G = matcalc.grad(log(Determinant(X)), X)
    assert equal_forms(G, Inverse(X).T)
    assert matcalc.check(log(Determinant(X)), X, G).passed


def test_orthogonal_identity_function_has_zero_gradient_on_the_group():
    G = matcalc.grad(Trace(Q * Q.T) + Trace(Identity(n)), Q)
    assert G.is_ZeroMatrix


def test_cli_assumed_structure(capsys):
    assert main(["grad", "tr(A*inv(Q))", "--wrt", "Q", "--assume", "Q=orthogonal",
                 "--check"]) == 0
    out = capsys.readouterr().out
    assert "Q*A'*Q" in out and "check passed" in out
    assert main(["grad", "tr(A*S)", "--wrt", "S", "--assume", "S=symmetric",
                 "--structure", "general"]) == 0
    assert capsys.readouterr().out == "A'\n"
