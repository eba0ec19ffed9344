"""Derivation needs no more recursion room than SymPy needed to build the input: the stages
(and SymPy's sort keys under them) recurse about 1.5x as deep as the input, so the public
entry points raise the limit while they run (issue 15). Speed with depth is measured in
benchmarks/bench_scaling.py, not here."""
import sys

import pytest
from sympy import MatrixSymbol, Trace, sin, symbols
from sympy.core.cache import clear_cache

import matcalc
from matcalc import derivatives

n = symbols("n", integer=True, positive=True)
X = MatrixSymbol("X", n, n)
DEPTH = 40


def _tower(depth):
    M = X
    for _ in range(depth):
        M = M.applyfunc(sin)
    return Trace(M)


@pytest.fixture
def tight_limit():
    """A recursion limit with room to build a 40-level tower and to check its gradient, but
    not to derive it without the raised limit (asserted below)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(_frames()) + 150)
    yield
    sys.setrecursionlimit(old)


def _frames():
    frame, frames = sys._getframe(), []
    while frame:
        frames.append(frame)
        frame = frame.f_back
    return frames


def test_an_input_sympy_builds_is_derived_under_the_same_limit(tight_limit, monkeypatch):
    f = _tower(DEPTH)
    limit = sys.getrecursionlimit()
    G = matcalc.grad(f, X)
    assert sys.getrecursionlimit() == limit  # restored
    assert matcalc.check(f, X, G, points=1).passed
    # without the raised limit the same derivation fails: the test measures something
    monkeypatch.setattr(derivatives, "_RECURSION_LIMIT", 0)
    clear_cache()
    with pytest.raises(RecursionError):
        matcalc.grad(f, X)
