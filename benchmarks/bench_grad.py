"""Derivation time and correctness: ``matcalc.grad`` vs ``sympy.diff`` on the same problems.

    python benchmarks/bench_grad.py                  # all problems, 5 interleaved rounds
    python benchmarks/bench_grad.py --repeats 3 --timeout 60

The problems are the Matrix Cookbook 2.1-2.7 identities of tests/test_gradient.py
(determinants, inverses, linear/quadratic/higher-order forms, traces), norms, every
construct, and ML staples, all with symbolic sizes.  Each derivation is timed from a
cold SymPy cache (``clear_cache()`` before every run); matcalc and sympy.diff are timed in
the same run, interleaved: each of ``--repeats`` rounds runs every problem's two derivations
in a random order; the medians are reported.  Both results are judged by the oracle, ``matcalc.check(f, X, G)``
(finite differences at 3 random points, rtol 1e-6).  SymPy's result gets ``.doit()``
first when it is not already a plain matrix expression, and SymPy is given the
function in its own constructs (``sympy_native``: norms as sqrt(tr(E^T E)), ``M[0, 0]``
for 1x1 scalars, the sigmoid as 1/(1 + exp(-t)), plain symbols); a result that still holds
an unevaluated ``Derivative``, is not a matrix expression shaped like X, raises, or
fails the check counts as not solved.  The speed-up t_sympy / t_matcalc is taken over
the problems both solve.  Prints Markdown.
"""
import argparse
import math
import platform
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sympy  # noqa: E402
from sympy import (Abs, Derivative, Determinant, HadamardProduct, HadamardPower, Identity,  # noqa: E402
                   Inverse, KroneckerProduct, MatrixSymbol, OneMatrix, Rational, Symbol, Trace,
                   exp, log, sin, sqrt, symbols, tanh)
from sympy.core.cache import clear_cache  # noqa: E402
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf  # noqa: E402
from sympy.matrices.expressions.matexpr import MatrixExpr  # noqa: E402

import matcalc  # noqa: E402
from matcalc import norm, scalar, sigmoid  # noqa: E402

n, m, k = symbols("n m k", integer=True, positive=True)


def cookbook_problems():
    """(name, f, X) of the Cookbook tables in tests/test_gradient.py."""
    import test_gradient as tg
    out = []
    for section, table in (("2.1", tg.COOKBOOK_DET), ("2.2", tg.COOKBOOK_INV),
                           ("2.4", tg.COOKBOOK_FORMS), ("2.5", tg.COOKBOOK_TRACE)):
        for name, f, X, _ in table:
            out.append((f"CB {section} ({name})", f, X))
    return out


def other_problems():
    X, A, B = (MatrixSymbol(s, n, n) for s in "X A B".split())
    x, a = MatrixSymbol("x", n, 1), MatrixSymbol("a", n, 1)
    lam = Symbol("lambda", positive=True)
    Xd, w, y = MatrixSymbol("X", m, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", m, 1)
    U, V, R = MatrixSymbol("U", m, k), MatrixSymbol("V", n, k), MatrixSymbol("R", m, n)
    Xr, W, Yr = MatrixSymbol("X", n, k), MatrixSymbol("W", k, n), MatrixSymbol("Y", n, n)
    W1, W2 = MatrixSymbol("W1", k, n), MatrixSymbol("W2", m, k)
    t = MatrixSymbol("t", m, 1)
    Sigma, mu = matcalc.spd("Sigma", n), MatrixSymbol("mu", n, 1)
    z = Xd * w
    e = W2 * (W1 * x).applyfunc(tanh) - t
    r = x - mu
    nll = Rational(1, 2) * scalar(r.T * Inverse(Sigma) * r) + Rational(1, 2) * log(Determinant(Sigma))
    return [
        ("CB 2.6 ||x - a||_2", norm(x - a), x),
        ("CB 2.6 ||x - a||^2", norm(x - a) ** 2, x),
        ("CB 2.7 ||X||_F^2", norm(X) ** 2, X),
        ("CB 2.7 ||X||_F", norm(X), X),
        ("CB 2.6 (x-a)^T (x-a)", (x - a).T * (x - a), x),
        ("sqrt tr(X^T X)", sqrt(Trace(X.T * X)), X),
        ("exp tr(X^T X)", exp(Trace(X.T * X)), X),
        ("tr(AX) tr(BX)", Trace(A * X) * Trace(B * X), X),
        ("|tr(AX)|", Abs(Trace(A * X)), X),
        ("tr(A^T (X ∘ B))", Trace(A.T * HadamardProduct(X, B)), X),
        ("tr(A X^∘3)", Trace(A * HadamardPower(X, 3)), X),
        ("tr(A exp∘(X))", Trace(A * X.applyfunc(exp)), X),
        ("1^T sin∘(x)", OneMatrix(1, n) * x.applyfunc(sin), x),
        ("tr(X ⊗ X)", Trace(KroneckerProduct(X, X)), X),
        ("tr(diag(x) A)", Trace(DiagMatrix(x) * A), x),
        ("a^T diagvec(X)", a.T * DiagonalOf(X), X),
        ("log det(I + X X^T)", log(Determinant(Identity(n) + X * X.T)), X),
        ("least squares ||XW - Y||_F^2", Trace((Xr * W - Yr).T * (Xr * W - Yr)), W),
        ("least squares ||Xw - y||^2", norm(Xd * w - y) ** 2, w),
        ("ridge", norm(Xd * w - y) ** 2 + lam * norm(w) ** 2, w),
        ("logistic regression", OneMatrix(1, m) * z.applyfunc(lambda u: log(1 + exp(u))) - y.T * z, w),
        ("softplus-sigmoid 1^T σ∘(Xw)", OneMatrix(1, m) * z.applyfunc(sigmoid), w),
        ("Gaussian NLL wrt mu", nll, mu),
        ("Gaussian NLL wrt Sigma", nll, Sigma),
        ("matrix factorisation wrt U", norm(R - U * V.T) ** 2, U),
        ("matrix factorisation wrt V", norm(R - U * V.T) ** 2, V),
        ("2-layer tanh net wrt W2", norm(e) ** 2, W2),
        ("2-layer tanh net wrt W1", norm(e) ** 2, W1),
    ]


def sympy_native(expr):
    """The same function in SymPy's own constructs, so that sympy.diff is judged on input
    it can read: ||E|| -> sqrt(tr(E^T E)), matcalc's scalar(M) -> SymPy's M[0, 0],
    sigmoid(t) -> 1/(1 + exp(-t)), structured symbols -> plain MatrixSymbols."""
    from sympy import Lambda, Transpose
    from sympy.matrices.expressions.matexpr import MatrixElement
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
    from matcalc.constructs.norm import Norm
    from matcalc.constructs.scalars import ScalarElement
    from matcalc.constructs.structured import StructuredMatrixSymbol

    def walk(e):
        if isinstance(e, StructuredMatrixSymbol):
            return MatrixSymbol(e.name, *e.shape)
        if not e.args:
            return e
        args = [walk(a) for a in e.args]
        if isinstance(e, Norm):
            return sqrt(Trace(Transpose(args[0]) * args[0]))
        if isinstance(e, ScalarElement):
            return MatrixElement(*args)
        if isinstance(e, sigmoid):
            return 1 / (1 + exp(-args[0]))
        if isinstance(e, ElementwiseApplyFunction) and not isinstance(e.function, Lambda):
            u = sympy.Dummy("u")
            return ElementwiseApplyFunction(Lambda(u, walk(e.function(u))), args[1])
        return e.func(*args) if args != list(e.args) else e
    return walk(expr)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def timed_once(fn, timeout):
    """(seconds, result or exception) of one run from a cold SymPy cache."""
    clear_cache()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    start = time.perf_counter()
    try:
        result = fn()
    except _Timeout:
        return math.nan, TimeoutError(f"over {timeout} s")
    except Exception as exc:  # sympy raises all kinds; it counts as not solved
        result = exc
    finally:
        signal.alarm(0)
    return time.perf_counter() - start, result


def interleaved_runs(problems, repeats, timeout):
    """{(name, tool): [seconds]} and {(name, tool): first result}: every round runs each
    problem's matcalc and sympy.diff derivations in a random order (A B / B A), rounds
    over all problems, so that load hits both alike; a tool that raised or timed out on a
    problem is not run on it again."""
    import random
    rng = random.Random(0)
    times, results = {}, {}
    for _ in range(repeats):
        for name, f, X in problems:
            f_sp, X_sp = sympy_native(f), sympy_native(X)
            runs = [("matcalc", lambda: matcalc.grad(f, X)),
                    ("sympy", lambda: sympy.diff(f_sp, X_sp))]
            rng.shuffle(runs)
            for tool, fn in runs:
                key = (name, tool)
                if isinstance(results.get(key), Exception):
                    continue
                t, out = timed_once(fn, timeout)
                times.setdefault(key, []).append(t)
                if key not in results or isinstance(out, Exception):
                    results[key] = out
    return times, results


def judge(f, X, G):
    """(solved, reason) by the oracle."""
    if isinstance(G, Exception):
        return False, f"raises {type(G).__name__}"
    if not isinstance(G, MatrixExpr) or G.has(Derivative):
        try:
            G = G.doit()
        except Exception as exc:
            return False, f"doit raises {type(exc).__name__}"
    if G.has(Derivative):
        return False, "unevaluated Derivative"
    if not isinstance(G, MatrixExpr):
        return False, f"not a matrix expression ({type(G).__name__})"
    if tuple(G.shape) != tuple(X.shape):
        return False, f"shape {G.shape[0]} x {G.shape[1]}"
    try:
        report = matcalc.check(f, X, G)
    except Exception as exc:
        return False, f"check raises {type(exc).__name__}"
    if report.passed:
        return True, "ok"
    from sympy.matrices.expressions.special import ZeroMatrix
    return False, "wrong zero" if isinstance(G, ZeroMatrix) else \
        f"wrong (rel. error {report.max_rel_error:.2g})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=int, default=60, help="seconds per derivation")
    parser.add_argument("--summary", help="write the headline figures as JSON here")
    args = parser.parse_args()
    problems = cookbook_problems() + other_problems()
    times, results = interleaved_runs(problems, args.repeats, args.timeout)
    rows, speedups, solved = [], [], {"matcalc": 0, "sympy": 0}
    total = {"matcalc": 0.0, "sympy": 0.0}
    for name, f, X in problems:
        t_mc = statistics.median(times[name, "matcalc"])
        t_sp = statistics.median(times[name, "sympy"])
        G_mc, G_sp = results[name, "matcalc"], results[name, "sympy"]
        ok_mc, why_mc = judge(f, X, G_mc)
        ok_sp, why_sp = judge(f, X, G_sp)
        solved["matcalc"] += ok_mc
        solved["sympy"] += ok_sp
        total["matcalc"] += t_mc if not math.isnan(t_mc) else 0
        total["sympy"] += t_sp if not math.isnan(t_sp) else args.timeout
        ratio = t_sp / t_mc if ok_mc and ok_sp else None
        if ratio is not None:
            speedups.append((ratio, name))
        rows.append((name, t_mc, t_sp, ratio, why_mc, why_sp))
        print(f"  {name}: matcalc {t_mc * 1e3:.1f} ms ({why_mc}), sympy {t_sp * 1e3:.1f} ms ({why_sp})",
              file=sys.stderr)

    print(f"## matcalc.grad vs sympy.diff ({len(problems)} problems, symbolic sizes)\n")
    print(f"Python {platform.python_version()}, SymPy {sympy.__version__}; each derivation "
          f"from a cold SymPy cache, {args.repeats} interleaved rounds (matcalc and sympy.diff "
          f"alternating in random order, both timed fresh in this run); medians.\n")
    print("| problem | matcalc (ms) | sympy.diff (ms) | speed-up | matcalc | sympy.diff |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for name, t_mc, t_sp, ratio, why_mc, why_sp in rows:
        r = f"{ratio:.1f}x" if ratio is not None else "–"
        print(f"| {name} | {t_mc * 1e3:.2f} | {t_sp * 1e3:.2f} | {r} | {why_mc} | {why_sp} |")
    print()
    print(f"**Solved correctly** (oracle): matcalc {solved['matcalc']}/{len(problems)}, "
          f"sympy.diff {solved['sympy']}/{len(problems)}.\n")
    if speedups:
        values = sorted(r for r, _ in speedups)
        worst = min(speedups)
        best = max(speedups)
        geo = math.exp(sum(math.log(r) for r in values) / len(values))
        slower = sum(r < 1 for r in values)
        print(f"**Speed-up t_sympy / t_matcalc** on the {len(values)} problems both solve: "
              f"median {statistics.median(values):.1f}x, geometric mean {geo:.1f}x, "
              f"worst {worst[0]:.2f}x ({worst[1]}), best {best[0]:.1f}x ({best[1]}); "
              f"matcalc slower on {slower}.\n")
    print(f"Total derivation time (medians summed): matcalc {total['matcalc']:.2f} s, "
          f"sympy.diff {total['sympy']:.2f} s.")
    if args.summary:
        import json
        values = sorted(r for r, _ in speedups)
        Path(args.summary).write_text(json.dumps({
            "problems": len(problems), "solved": solved, "both": len(values),
            "median": statistics.median(values) if values else None,
            "worst": min(speedups) if speedups else None,
            "slower": sum(r < 1 for r in values)}, indent=1))


if __name__ == "__main__":
    main()
