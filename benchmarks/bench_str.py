"""``str()`` of results with elementwise functions: matcalc's spelling against SymPy's own.

    python3 benchmarks/bench_str.py              # 7 interleaved rounds
    python3 benchmarks/bench_str.py --rounds 11

matcalc prints an elementwise function as the language does (``tanh'(X)``,
``map(u -> u**2 + 1, X)``), through ``ElementwiseApplyFunction._sympystr``; SymPy's own
printing (``Lambda(_d, 1 - tanh(_d)**2).(X)``) is the same printer with that hook removed.
Each round runs both, alternating which goes first, in fresh processes: the first ``str()``
in a process (which pays for the derivative spellings, computed once) and the median of 20
more.  Prints the medians (and min - max) in milliseconds as a Markdown table.
"""
import argparse
import json
import statistics
import subprocess
import sys

RUN = r"""
import json, sys, time
from sympy import MatrixSymbol, Trace, symbols, tanh, Lambda, Symbol
import matcalc
from matcalc.constructs.elementwise import ELEMENT
if sys.argv[1] == "sympy":
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
    del ElementwiseApplyFunction._sympystr
n = symbols("n", integer=True, positive=True)
X, A, B, W1, W2 = (MatrixSymbol(s, n, n) for s in ("X", "A", "B", "W1", "W2"))
t = Symbol("t")
H = (W1 * X).applyfunc(tanh)
f = Trace(A * (W2 * H).applyfunc(matcalc.sigmoid)) + Trace(B * X.applyfunc(Lambda(t, t**3 / 3 + t)))
results = [matcalc.grad(f, W1), matcalc.grad(f, W2), matcalc.grad(f, X)]
start = time.perf_counter()
text = [str(G) for G in results]
first = time.perf_counter() - start
times = []
for _ in range(20):
    start = time.perf_counter()
    [str(G) for G in results]
    times.append(time.perf_counter() - start)
times.sort()
print(json.dumps({"first": first, "median": times[len(times) // 2],
                  "chars": sum(map(len, text)), "lambda": any("Lambda" in s for s in text)}))
"""


def run(mode):
    done = subprocess.run([sys.executable, "-c", RUN, mode], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    samples = {"matcalc": [], "sympy": []}
    for k in range(args.rounds):
        order = ("matcalc", "sympy") if k % 2 == 0 else ("sympy", "matcalc")
        for mode in order:
            samples[mode].append(run(mode))
    print("| str() of 3 MLP gradients | first call (ms) | later calls (ms) | chars | "
          "`Lambda` in it |")
    print("| --- | --- | --- | --- | --- |")
    for mode, rows in samples.items():
        def cell(key):
            values = [1000 * r[key] for r in rows]
            return f"{statistics.median(values):.1f} ({min(values):.1f} - {max(values):.1f})"
        print(f"| {mode} | {cell('first')} | {cell('median')} | {rows[0]['chars']} | "
              f"{rows[0]['lambda']} |")


if __name__ == "__main__":
    main()
