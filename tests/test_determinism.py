"""Determinism: the same input prints the same result on every run.

Python randomises ``hash`` per process (``PYTHONHASHSEED``), which reorders sets
and dicts of SymPy objects; a result, a derivation, its LaTeX or the CLI output
that depended on that order would change from run to run. Each test runs the
same derivations in subprocesses with different hash seeds and compares the
output byte for byte.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HASH_SEEDS = ("0", "1", "4242")

DERIVATIONS = r'''
from sympy import Determinant, MatrixSymbol, Trace, log, symbols
import matcalc
from matcalc import norm, sigmoid, scalar

n, m, k, h = symbols("n m k h", integer=True, positive=True)
X, W, Y = MatrixSymbol("X", n, k), MatrixSymbol("W", k, m), MatrixSymbol("Y", n, m)
S, A, B = MatrixSymbol("S", n, n), MatrixSymbol("A", n, n), MatrixSymbol("B", n, n)
x, y, b1 = MatrixSymbol("x", k, 1), MatrixSymbol("y", m, 1), MatrixSymbol("b1", h, 1)
W1, W2 = MatrixSymbol("W1", h, k), MatrixSymbol("W2", m, h)
lam = symbols("lambda", positive=True)

least_squares = Trace((X * W - Y).T * (X * W - Y))
ridge = norm(X * W - Y) ** 2 + lam * norm(W) ** 2
logdet = log(Determinant(S))
net = norm(W2 * (W1 * x + b1).applyfunc(sigmoid) - y) ** 2
quadratic = scalar(x.T * MatrixSymbol("C", k, k) * x)

results = [
    ("grad least squares W", matcalc.grad(least_squares, W)),
    ("grad least squares X", matcalc.grad(least_squares, X)),
    ("grad ridge W", matcalc.grad(ridge, W)),
    ("grad log det", matcalc.grad(logdet, S)),
    ("grad log det symmetric", matcalc.grad(logdet, S, structure="symmetric")),
    ("grad net W1", matcalc.grad(net, W1)),
    ("grad net W2", matcalc.grad(net, W2)),
    ("grad net b1", matcalc.grad(net, b1)),
    ("grad numerator", matcalc.grad(least_squares, W, layout="numerator")),
    ("jacobian AXB", matcalc.jacobian(A * S * B, S)),
    ("jacobian inverse", matcalc.jacobian(S.I, S)),
    ("hessian quadratic", matcalc.hessian(quadratic, x)),
    ("hessian ridge", matcalc.hessian(ridge, W)),
    ("hessian log det", matcalc.hessian(logdet, S)),
]
for name, result in results:
    print(name, "|", result, "|", matcalc.latex(result))
derivation = matcalc.derive(net, W1)
print(derivation)
print(derivation.latex())
print(matcalc.check(net, W1, matcalc.grad(net, W1), points=2).as_dict())
'''


def _run(argv, hash_seed):
    env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=ROOT)
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _same_everywhere(argv):
    outputs = {seed: _run(argv, seed) for seed in HASH_SEEDS}
    first = outputs[HASH_SEEDS[0]]
    assert first.strip(), "no output"
    for seed, out in outputs.items():
        if out != first:
            diff = next(i for i, (a, b) in enumerate(zip(first.splitlines(), out.splitlines()))
                        if a != b) if first.splitlines()[:1] else 0
            pytest.fail(f"PYTHONHASHSEED={seed} printed something else; first differing "
                        f"line {diff}:\n  {first.splitlines()[diff][:300]}\n  "
                        f"{out.splitlines()[diff][:300]}")
    return first


def test_derivations_print_the_same_under_every_hash_seed():
    out = _same_everywhere([sys.executable, "-c", DERIVATIONS])
    assert "grad least squares W | 2*X.T*(X*W - Y)" in out


def test_cli_latex_prints_the_same_under_every_hash_seed():
    out = _same_everywhere([sys.executable, "-m", "matcalc", "grad", "norm(X*W - Y)^2",
                            "--wrt", "W", "--shape", "X=n,k", "--shape", "W=k,m",
                            "--shape", "Y=n,m", "--latex"])
    assert "X^{T}" in out or "X^T" in out


def test_cli_hessian_and_steps_print_the_same_under_every_hash_seed():
    script = ("from matcalc.cli import main\n"
              "codes = [main([\"hessian\", \"log(det(X)) + tr(A*X*B*X')\", \"--wrt\", \"X\"]),\n"
              "         main([\"grad\", \"log(det(X)) + tr(A*X*B*X')\", \"--wrt\", \"X\", "
              "\"--steps\"]),\n"
              "         main([\"jacobian\", \"kron(X, A) + kron(A, X)\", \"--wrt\", \"X\", "
              "\"--json\"])]\n"
              "assert codes == [0, 0, 0], codes\n")
    _same_everywhere([sys.executable, "-c", script])
