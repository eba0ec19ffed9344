"""The cost of a power rule does not grow with the exponent (issues 11 and 16): time and memory.

    python3 benchmarks/bench_powers.py                          # this checkout, 3 runs each
    python3 benchmarks/bench_powers.py --before ../main --limit 60   # and another checkout

Each problem runs in a fresh process (``matcalc`` imported from the checkout given); the
table reports the median wall time of the derivation over ``--runs`` runs (interleaved:
run 1 of every problem, then run 2 ...), the spread (min - max), and the child's peak
resident memory.  A run over ``--limit`` seconds is killed and reported as such.  The
result's size (characters of its text) shows that nothing is written out term by term.

Before this change d(U^k) was written out as k terms: ``tr(X^300)`` printed ``X'^299`` 300
times, and the issue measured ``tr(X^(10^9))`` out of memory, ``tr(X^100000)``,
``tr(X^-100000)``, ``hessian(tr(X^1000))``, ``jacobian(X^(10^6))`` over 60 s and 0.4 - 1.2 GB.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

PROBLEMS = {
    "grad tr(X^300)": "matcalc.grad(Trace(X**300), X)",
    "grad tr(X^(10^9))": "matcalc.grad(Trace(X**(10**9)), X)",
    "grad tr(X^100000)": "matcalc.grad(Trace(X**100000), X)",
    "grad tr(X^-100000)": "matcalc.grad(Trace(X**-100000), X)",
    "grad tr(A X^(10^9))": "matcalc.grad(Trace(A*X**(10**9)), X)",
    "grad tr(A X^p)": "matcalc.grad(Trace(A*X**p), X)",
    "hessian tr(X^1000)": "matcalc.hessian(Trace(X**1000), X)",
    "jacobian X^(10^6)": "matcalc.jacobian(X**(10**6), X)",
}

RUN = r"""
import json, resource, sys, time
start = time.perf_counter()
import matcalc
from sympy import MatrixSymbol, Trace, symbols
from matcalc.printing.text import text_form
n = symbols("n", integer=True, positive=True)
p = symbols("p", integer=True, positive=True)
X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
imported = time.perf_counter()
result = eval(sys.argv[1])
derived = time.perf_counter()
chars = len(text_form(result))
print(json.dumps({"seconds": derived - imported, "chars": chars,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_once(expr, checkout, limit):
    env = dict(os.environ, PYTHONPATH=str(checkout))
    try:
        done = subprocess.run([sys.executable, "-c", RUN, expr], capture_output=True, text=True,
                              timeout=limit, env=env, cwd=checkout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode:
        lines = done.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(runs, limit):
    if any(r is None for r in runs):
        return f"> {limit:g} s (killed)", "-", "-"
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        return f"error: {errors[0][:60]}", "-", "-"
    seconds = [r["seconds"] for r in runs]
    time_text = f"{statistics.median(seconds):.3f} ({min(seconds):.3f} - {max(seconds):.3f})"
    return time_text, f"{max(r['rss_mb'] for r in runs):.0f}", str(runs[0]["chars"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=60, help="seconds per run")
    parser.add_argument("--before", help="another checkout to measure too (e.g. ../main)")
    args = parser.parse_args()
    here = pathlib.Path(__file__).resolve().parents[1]
    checkouts = [("this checkout", here)]
    if args.before:
        checkouts.append(("before", pathlib.Path(args.before).resolve()))
    results = {(label, name): [] for label, _ in checkouts for name in PROBLEMS}
    started = time.perf_counter()
    for _ in range(args.runs):                  # interleaved: one run of every problem per round
        for name, expr in PROBLEMS.items():
            for label, checkout in checkouts:
                runs = results[(label, name)]
                if runs and (runs[-1] is None or "error" in runs[-1]):
                    continue                    # killed or failed once: not again
                runs.append(run_once(expr, checkout, args.limit))
    print(f"Python {sys.version.split()[0]}; median of {args.runs} fresh processes "
          f"(spread min - max); peak RSS of the process\n")
    for label, _ in checkouts:
        print(f"### {label}\n")
        print("| problem | derivation (s) | peak RSS (MB) | result (chars of text) |")
        print("| --- | --- | --- | --- |")
        for name in PROBLEMS:
            time_text, rss, chars = summary(results[(label, name)], args.limit)
            print(f"| {name} | {time_text} | {rss} | {chars} |")
        print()
    print(f"{time.perf_counter() - started:.0f} s in all", file=sys.stderr)


if __name__ == "__main__":
    main()
