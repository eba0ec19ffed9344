"""Result size against depth: the gradient of a K-layer network, as a tree, as a DAG, and
written with named intermediates (``matcalc.named``).

    python benchmarks/named_depth.py                 # K = 1, 2, 4, ..., 32
    python benchmarks/named_depth.py --max-depth 64

f = ||tanh(W_K tanh(... tanh(W_1 x))) - y||^2, gradient w.r.t. W_1 (the deepest: every layer's
forward value and derivative occurs in it).  Sizes are nodes (``matcalc.named.tree_size``:
a shared subexpression counted at every occurrence; ``dag_size``: once; ``Named.size``:
the definitions plus the result).  The exponent is the least-squares slope of log(size)
against log(K) over K >= 4.  Every expanded named result is compared with the gradient
node for node, and the gradient is checked numerically at K <= 8.
"""
import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sympy import MatrixSymbol, symbols, tanh  # noqa: E402

import matcalc  # noqa: E402
from matcalc.constructs.elementwise import elementwise  # noqa: E402
from matcalc.named import dag_size, name_intermediates, tree_size  # noqa: E402

n = symbols("n", integer=True, positive=True)


def network(K):
    x, y = MatrixSymbol("x", n, 1), MatrixSymbol("y", n, 1)
    weights = [MatrixSymbol(f"W{k}", n, n) for k in range(1, K + 1)]
    h = x
    for W in weights:
        h = elementwise(tanh, W * h)
    return matcalc.scalar((h - y).T * (h - y)), weights[0]


def slope(points):
    xs = [math.log(k) for k, _ in points]
    ys = [math.log(v) for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-depth", type=int, default=32)
    args = parser.parse_args()
    sys.setrecursionlimit(100_000)
    depths = [k for k in (1, 2, 4, 8, 16, 32, 64) if k <= args.max_depth]
    rows = []
    for K in depths:
        f, W = network(K)
        start = time.perf_counter()
        G = matcalc.grad(f, W)
        derive_s = time.perf_counter() - start
        start = time.perf_counter()
        named = name_intermediates(G)
        name_s = time.perf_counter() - start
        assert named.expanded() == G, f"K={K}: the named form does not expand to the gradient"
        checked = matcalc.check(f, W, G, points=1).passed if K <= 8 else None
        rows.append((K, tree_size(G), dag_size(G), named.size, len(named.definitions),
                     derive_s, name_s, checked))
        print(f"K={K}: tree {rows[-1][1]}, named {rows[-1][3]}", file=sys.stderr)
    print("| K | tree | DAG | named | names | derive (s) | naming (s) | check |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |")
    for K, tree, dag, size, names, d, nm, ok in rows:
        verdict = "-" if ok is None else ("passed" if ok else "FAILED")
        print(f"| {K} | {tree} | {dag} | {size} | {names} | {d:.2f} | {nm:.3f} | {verdict} |")
    tail = [r for r in rows if r[0] >= 4]
    if len(tail) >= 2:
        print()
        print(f"size exponent over K = {tail[0][0]}..{tail[-1][0]}: tree "
              f"{slope([(r[0], r[1]) for r in tail]):.2f}, DAG {slope([(r[0], r[2]) for r in tail]):.2f}, "
              f"named {slope([(r[0], r[3]) for r in tail]):.2f}")


if __name__ == "__main__":
    main()
