"""How derivation time and result size grow with depth.

    python benchmarks/bench_scaling.py                          # K = 1 ... 128, 5 rounds
    python benchmarks/bench_scaling.py --ks 1 2 4 8 16 --rounds 3 --profile   # quick

Two families, all sizes symbolic (n x n weights, n x 1 data):

- network:  f_K = ||σ(W_K σ(... σ(W_1 x))) - y||^2  w.r.t. W_1   (σ the logistic sigmoid)
- chain:    g_K = tr(A_1 X A_2 X ... A_K X)           w.r.t. X    (K occurrences of X)

Timing: every (family, K) is derived once per round from a cold SymPy cache
(``clear_cache()``), all of them in a fresh random order per round (interleaved), --rounds
rounds; the table gives the median with min - max.  The growth exponent is the least-squares
slope of log(time) against log(K) over a range of K, for the medians and for each round's
times separately (their min - max is the exponent's spread).  Result sizes: nodes of the
result as a tree (``preorder_traversal``), as a DAG (distinct subexpressions), printed
characters; a numeric check (``matcalc.check``) for K <= --check-max.

Depth: SymPy builds the K-deep input recursively, so the recursion limit is raised to
--recursion-limit.  ``--depth`` measures the deepest Python stack while building the input
and while deriving (a profile hook counting frames), to show that matcalc recurses no deeper
than the input does.  ``--profile`` prints a cProfile of the largest K of each family, with
the time per stage.  Prints Markdown; ``--summary`` writes the exponents as JSON.
"""
import argparse
import cProfile
import io
import json
import math
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

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

#: where the time goes: (label, function as pstats names it)
STAGES = [
    ("validation of the input", "derivatives.py", "_function"),
    ("differential", "differential.py", "differential"),
    ("identification (cotangents)", "gradient.py", "gradient_terms"),
    ("simplification (simplify_result)", "forms.py", "simplify_result"),
    ("  normalize (rewrite rules)", "rewrite.py", "normalize"),
    ("  expand_terms", "monomials.py", "expand_terms"),
    ("  factor_terms", "monomials.py", "factor_terms"),
    ("result checks (finite, no Derivative)", "derivatives.py", "_require_finite"),
    ("SymPy MatMul(...).doit (inside the above)", "matmul.py", "doit"),
]


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


def slope(ks, values, k_min=8, k_max=None):
    pts = [(math.log(k), math.log(v)) for k, v in zip(ks, values)
           if k >= k_min and (k_max is None or k <= k_max) and v > 0]
    if len(pts) < 2:
        return math.nan
    mx = statistics.mean(p[0] for p in pts)
    my = statistics.mean(p[1] for p in pts)
    num = sum((a - mx) * (b - my) for a, b in pts)
    den = sum((a - mx) ** 2 for a, _ in pts)
    return num / den


def timed_grad(f, V):
    clear_cache()
    start = time.perf_counter()
    G = matcalc.grad(f, V)
    return time.perf_counter() - start, G


def deepest_stack(fn):
    """(result, the deepest Python stack below this call while fn runs)."""
    depth = [0, 0]

    def hook(frame, event, arg):
        if event in ("call", "c_call"):
            depth[0] += 1
            depth[1] = max(depth[1], depth[0])
        elif event in ("return", "c_return", "c_exception"):
            depth[0] -= 1
    sys.setprofile(hook)
    try:
        out = fn()
    finally:
        sys.setprofile(None)
    return out, depth[1]


def profile(f, V, top=22):
    clear_cache()
    prof = cProfile.Profile()
    prof.enable()
    matcalc.grad(f, V)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt
    stages = []
    for label, filename, function in STAGES:
        cum = sum(v[3] for k, v in stats.stats.items()
                  if k[0].endswith(filename) and k[2] == function)
        stages.append((label, cum))
    # ``shape`` asked (matcalc's cache in sympy_fixes) and computed (SymPy's own properties)
    asked = sum(v[1] for k, v in stats.stats.items()
                if k[2] == "shape" and k[0].endswith("sympy_fixes.py"))
    computed = sum(v[1] for k, v in stats.stats.items()
                   if k[2] == "shape" and not k[0].endswith("sympy_fixes.py"))
    shape_calls = (asked, computed)
    texts = []
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(key).print_stats(top)
        texts.append(out.getvalue())
    return total, stages, shape_calls, texts


def fmt(ts):
    return f"{statistics.median(ts):.3f} ({min(ts):.3f} – {max(ts):.3f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+",
                        default=[1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--limit", type=float, default=120.0,
                        help="seconds: a slower derivation drops the larger K of its family")
    parser.add_argument("--check-max", type=int, default=8)
    parser.add_argument("--recursion-limit", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--depth", action="store_true",
                        help="measure the deepest Python stack at the largest K")
    parser.add_argument("--summary", help="write the exponents as JSON here")
    args = parser.parse_args()
    sys.setrecursionlimit(args.recursion_limit)
    import threading
    threading.stack_size(512 * 1024 * 1024)   # deep SymPy recursion needs a large C stack
    result = {}
    worker = threading.Thread(target=lambda: result.update(run(args)))
    worker.start()
    worker.join()
    if args.summary:
        Path(args.summary).write_text(json.dumps(result, indent=1))


def run(args):
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    inputs, built = {}, {}
    for title, make in FAMILIES.items():
        for K in args.ks:
            start = time.perf_counter()
            try:
                inputs[title, K] = make(K)
            except RecursionError:
                log(f"  {title}: SymPy cannot build K={K} (RecursionError)")
                break
            built[title, K] = time.perf_counter() - start
    times = {key: [] for key in inputs}
    results = {}
    dropped = set()
    rng = random.Random(0)
    for r in range(args.rounds):
        order = [key for key in inputs if key not in dropped]
        rng.shuffle(order)
        for key in order:
            t, G = timed_grad(*inputs[key])
            times[key].append(t)
            results.setdefault(key, G)
            if t > args.limit:
                dropped.update(k for k in inputs if k[0] == key[0] and k[1] > key[1])
        log(f"  round {r + 1}/{args.rounds} done")
    summary = {}
    for title in FAMILIES:
        rows = [(K, times[title, K], results[title, K]) for K in args.ks
                if (title, K) in results and len(times[title, K]) == args.rounds]
        print(f"### {title}\n")
        print("| K | grad time (s), median (min – max) | time / K (ms) | tree nodes | DAG nodes | "
              "printed chars | check |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        sizes = []
        for K, ts, G in rows:
            f, V = inputs[title, K]
            check = ("pass" if matcalc.check(f, V, G, points=1) else "FAIL") \
                if K <= args.check_max else "–"
            size = (tree_size(G), dag_size(G), len(str(G)))
            sizes.append(size)
            print(f"| {K} | {fmt(ts)} | {statistics.median(ts) / K * 1e3:.2f} | {size[0]} | "
                  f"{size[1]} | {size[2]} | {check} |")
        ks = [K for K, _, _ in rows]
        med = [statistics.median(ts) for _, ts, _ in rows]
        per_round = [slope(ks, [ts[r] for _, ts, _ in rows]) for r in range(args.rounds)]
        exps = {"time (medians), K >= 8": slope(ks, med),
                "time, K = 16 ... 64": slope(ks, med, 16, 64),
                "tree nodes": slope(ks, [s[0] for s in sizes]),
                "DAG nodes": slope(ks, [s[1] for s in sizes]),
                "printed chars": slope(ks, [s[2] for s in sizes])}
        print()
        print(f"Growth exponents (log-log slope over K >= 8 up to K = {ks[-1]}): "
              f"time {exps['time (medians), K >= 8']:.2f} (per round "
              f"{min(per_round):.2f} – {max(per_round):.2f}); over K = 16 ... 64 "
              f"{exps['time, K = 16 ... 64']:.2f}; tree nodes {exps['tree nodes']:.2f}, "
              f"DAG nodes {exps['DAG nodes']:.2f}, printed chars {exps['printed chars']:.2f}.  "
              f"Largest K built: {max(K for (t, K) in inputs if t == title)}.\n")
        summary[title] = dict(exps, per_round=[min(per_round), max(per_round)],
                              k_max=ks[-1])
        if args.depth:
            K = ks[-1]
            (_, d_build) = deepest_stack(lambda: FAMILIES[title](K))
            f, V = inputs[title, K]
            clear_cache()
            (_, d_grad) = deepest_stack(lambda: matcalc.grad(f, V))
            print(f"Deepest Python stack at K = {K}: building the input {d_build} frames, "
                  f"matcalc.grad {d_grad} frames.\n")
            summary[title]["depth"] = [d_build, d_grad]
        if args.profile:
            K = ks[-1] if ks[-1] <= 64 else max(k for k in ks if k <= 64)
            total, stages, shape_calls, (own, cumulative) = profile(*inputs[title, K])
            print(f"#### Where the time goes: {title}, K = {K} (cProfile, {total:.2f} s under "
                  f"the profiler; `.shape` asked {shape_calls[0]} times, computed "
                  f"{shape_calls[1]} times)\n")
            print("| stage | seconds (cumulative) | share |")
            print("| --- | ---: | ---: |")
            for label, cum in stages:
                print(f"| {label} | {cum:.2f} | {cum / total:.0%} |")
            print("\n<details><summary>cProfile, by own time and cumulative</summary>\n")
            print("```\n" + own.strip() + "\n```\n\n```\n" + cumulative.strip() + "\n```\n")
            print("</details>\n")
    return summary


if __name__ == "__main__":
    main()
