"""Settles campaign run 6's open Hessian in 60-digit arithmetic (CAMPAIGN.md, run 7).

    python benchmarks/adjudicate_run6.py [--points 4]

f = log det((3I + S S^T) ⊗ (M M^T + 3I)), M = R S^4 a a^T S^2 C, S SPD (n = 3, m = 2). At
random points of scale 2 (the Kronecker argument has condition number 1e7 - 1e10) it prints,
for one pair of symmetric directions V, W:

- vec(V)^T H vec(W) with matcalc's Hessian H evaluated in 60-digit arithmetic,
- the mixed second difference of f in 60-digit arithmetic (step 1e-15),
- the same H evaluated in float64 by the oracle's evaluator,

and the relative error of float64 against the 60-digit value. The claim and the 60-digit
differences agree to ~16 digits; the float64 value of the claim does not, which is what the
oracle's ``claim_jitter`` now measures before it calls a miss a failure.
"""
import argparse
import os
import sys

import numpy as np
import sympy
from sympy import Determinant, Float, Identity, ImmutableMatrix, KroneckerProduct, MatrixSymbol
from sympy import log, symbols

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import matcalc  # noqa: E402
from matcalc.constructs.scalars import ScalarElement  # noqa: E402
from matcalc.numeric import evaluate, point_at  # noqa: E402
from matcalc.numeric.judge import claim_jitter  # noqa: E402

DIGITS = 60
n, m = symbols("n m", integer=True, positive=True)
S = matcalc.spd("S", n)
R, a, C = MatrixSymbol("R", m, n), MatrixSymbol("a", n, 1), MatrixSymbol("C", n, m)
M = R * S ** 4 * a * a.T * S ** 2 * C
f = log(Determinant(KroneckerProduct(3 * Identity(n) + S * S.T, M * M.T + 3 * Identity(m))))


def exact(expr, values, sizes=(3, 2)):
    """expr at explicit 60-digit matrices, evaluated bottom-up."""
    expr = expr.xreplace({n: sympy.Integer(sizes[0]), m: sympy.Integer(sizes[1])})
    leaves = {s: values[str(s.name)] for s in expr.atoms(MatrixSymbol)}
    done = {}

    def walk(e):
        if e in done:
            return done[e]
        if e in leaves:
            out = leaves[e]
        elif not e.args or isinstance(e, (sympy.MatrixBase, Float)):
            out = e
        else:
            args = [walk(x) for x in e.args]
            if isinstance(e, ScalarElement):
                out = args[0][0, 0]
            else:
                out = e.func(*args)
                out = out.doit(deep=False) if hasattr(out, "doit") else out
                if isinstance(out, sympy.MatrixExpr) and not isinstance(out, sympy.MatrixBase):
                    out = out.as_explicit()
                elif isinstance(out, sympy.Expr) and not isinstance(out, sympy.MatrixBase):
                    out = out.evalf(DIGITS)
        done[e] = out
        return out

    return walk(expr)


def digits(array):
    return ImmutableMatrix(np.asarray(array, dtype=float)).applyfunc(lambda t: Float(t, DIGITS))


def main():
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--points", type=int, default=4)
    options.add_argument("--scale", type=float, default=2.0)
    args = options.parse_args()
    H = matcalc.hessian(f, S)
    rng = np.random.default_rng(1)
    print("| point | condition | claim, 60 digits | differences, 60 digits | claim, float64 | "
          "float64 error | claim_jitter |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for k in range(args.points):
        B = rng.standard_normal((3, 3))
        values = {"S": args.scale * (B @ B.T / 3 + np.eye(3)), "R": rng.standard_normal((2, 3)),
                  "a": rng.standard_normal((3, 1)), "C": rng.standard_normal((3, 2))}
        V, W = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
        V, W = V + V.T, W + W.T
        hp = {name: digits(value) for name, value in values.items()}
        H60 = np.array(sympy.Matrix(exact(H, hp)).tolist(), dtype=object)
        v, w = V.ravel(order="F"), W.ravel(order="F")
        claim60 = sum(Float(v[i], DIGITS) * H60[i, j] * Float(w[j], DIGITS)
                      for i in range(9) for j in range(9))
        h = Float("1e-15", DIGITS)

        def f60(s, t):
            moved = dict(hp, S=hp["S"] + s * h * digits(V) + t * h * digits(W))
            return exact(f, moved)

        fd60 = (f60(1, 1) - f60(1, -1) - f60(-1, 1) + f60(-1, -1)) / (4 * h * h)
        point = point_at(values, f, H)
        H64 = np.asarray(evaluate(H, point), dtype=float).reshape(9, 9)
        claim64 = v @ H64 @ w
        arg = np.kron(values["S"] @ values["S"].T + 3 * np.eye(3),
                      np.eye(2) * 3 + (lambda Mv: Mv @ Mv.T)(
                          values["R"] @ np.linalg.matrix_power(values["S"], 4) @ values["a"]
                          @ values["a"].T @ values["S"] @ values["S"] @ values["C"]))
        error = abs(claim64 - float(claim60)) / abs(float(claim60))
        print(f"| {k} | {np.linalg.cond(arg):.2g} | {float(claim60):.16g} | {float(fd60):.16g} | "
              f"{claim64:.16g} | {error:.2g} | {claim_jitter(H, point):.2g} |", flush=True)


if __name__ == "__main__":
    main()
