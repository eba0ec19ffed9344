"""How derivation time and result size grow with depth.

    python benchmarks/bench_scaling.py                       # K = 1, 2, 4, ..., 64
    python benchmarks/bench_scaling.py --max-k 16 --profile  # smaller, with a cProfile of the largest K

Two families, all sizes symbolic (n x n weights, n x 1 data):

- network:  f_K = ||σ(W_K σ(... σ(W_1 x))) - y||^2  w.r.t. W_1   (σ the logistic sigmoid, elementwise)
- chain:    g_K = tr(A_1 X A_2 X ... A_K X)           w.r.t. X    (K occurrences of X)

For each K: the time of ``matcalc.grad`` (median of ``--repeats`` cold-cache runs), the
result's size as a tree (nodes of ``preorder_traversal``), as a DAG (distinct
subexpressions) and printed (characters of ``str``), and a numeric check of the
result for K <= --check-max.  The growth exponent is the least-squares slope of
log(value) against log(K) over K >= 4 (where the constant overhead no longer dominates).
A K whose derivation takes longer than --limit seconds stops its family.  Prints Markdown.
"""
import argparse
import cProfile
import io
import math
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sympy  # noqa: E402
from sympy import MatrixSymbol, Trace, preorder_traversal, symbols  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

import matcalc  # noqa: E402
from matcalc import norm, sigmoid  # noqa: E402

n = symbols("n", integer=True, positive=True)
x, y = MatrixSymbol("x", n, 1), MatrixSymbol("y", n, 1)
X = MatrixSymbol("X", n, n)


def network(K):
    Ws = [MatrixSymbol(f"W{i}", n, n) for i in range(1, K + 1)]
    h = x
    for W in Ws:
        h = (W * h).applyfunc(sigmoid)
    return norm(h - y) ** 2, Ws[0]


def chain(K):
    factors = []
    for i in range(1, K + 1):
        factors += [MatrixSymbol(f"A{i}", n, n), X]
    return Trace(sympy.MatMul(*factors)), X


FAMILIES = {
    "network ||σ(W_K σ(...σ(W_1 x))) - y||^2 wrt W_1": network,
    "chain tr(A_1 X A_2 X ... A_K X) wrt X": chain,
}


def tree_size(e):
    return sum(1 for _ in preorder_traversal(e))


def dag_size(e):
    seen = set()
    stack = [e]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(node.args)
    return len(seen)


def slope(ks, values):
    pts = [(math.log(k), math.log(v)) for k, v in zip(ks, values) if k >= 4 and v > 0]
    if len(pts) < 2:
        return math.nan
    mx = statistics.mean(p[0] for p in pts)
    my = statistics.mean(p[1] for p in pts)
    num = sum((a - mx) * (b - my) for a, b in pts)
    den = sum((a - mx) ** 2 for a, _ in pts)
    return num / den


def measure(f, X, repeats):
    times = []
    for _ in range(repeats):
        clear_cache()
        start = time.perf_counter()
        G = matcalc.grad(f, X)
        times.append(time.perf_counter() - start)
    return statistics.median(times), G


def profile(f, X, top=18):
    clear_cache()
    prof = cProfile.Profile()
    prof.enable()
    matcalc.grad(f, X)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    text = out.getvalue()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return text, out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-k", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=float, default=120.0,
                        help="seconds: a slower derivation stops its family")
    parser.add_argument("--check-max", type=int, default=8)
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the largest K of each family (printed after the tables)")
    args = parser.parse_args()
    ks = [k for k in (1, 2, 4, 8, 16, 32, 64) if k <= args.max_k]
    profiles = []
    for title, make in FAMILIES.items():
        rows = []
        for K in ks:
            f, V = make(K)
            repeats = args.repeats if K <= 16 else 1
            t, G = measure(f, V, repeats)
            checked = ""
            if K <= args.check_max:
                checked = "pass" if matcalc.check(f, V, G, points=1) else "FAIL"
            rows.append((K, t, tree_size(G), dag_size(G), len(str(G)), checked))
            print(f"  {title} K={K}: {t:.3f} s", file=sys.stderr)
            if t > args.limit:
                print(f"  stopping {title}: K={K} took {t:.0f} s > {args.limit:.0f} s",
                      file=sys.stderr)
                break
        if args.profile:
            profiles.append((title, rows[-1][0], profile(*make(rows[-1][0]))))
        print(f"## {title}\n")
        print("| K | grad time (s) | time / K (ms) | tree nodes | DAG nodes | printed chars | check |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for K, t, tree, dag, chars, checked in rows:
            print(f"| {K} | {t:.4f} | {t / K * 1e3:.2f} | {tree} | {dag} | {chars} | {checked or '–'} |")
        done = [r[0] for r in rows]
        print()
        print("Growth exponent (log-log slope over K >= 4): "
              f"time {slope(done, [r[1] for r in rows]):.2f}, "
              f"tree nodes {slope(done, [r[2] for r in rows]):.2f}, "
              f"DAG nodes {slope(done, [r[3] for r in rows]):.2f}, "
              f"printed chars {slope(done, [r[4] for r in rows]):.2f}.\n")
    for title, K, (cumulative, own) in profiles:
        print(f"### cProfile: {title}, K = {K}\n")
        print("```\n" + cumulative.strip() + "\n```\n")
        print("```\n" + own.strip() + "\n```\n")


if __name__ == "__main__":
    main()
