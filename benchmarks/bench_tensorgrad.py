"""Derivation time: matcalc.grad against tensorgrad (symbolic tensor derivatives), interleaved.

    python benchmarks/bench_tensorgrad.py                      # makes its own venv, 5 rounds
    python benchmarks/bench_tensorgrad.py --python /path/to/python   # an interpreter with tensorgrad

tensorgrad 0.3.0 requires torch < 2.13 (torch 2.13 removed the named tensors its compiler
evaluates with), which this project's benchmark environment does not have (torch 2.13.0),
so tensorgrad runs in a separate virtual environment that this script
makes (--venv) with ``pip install tensorgrad "torch<2.13"``.  Only a CPU build of torch is
acceptable: the install is resolved first (``pip install --dry-run --report``) and when it
would pull CUDA packages (nvidia-*, triton, cuda-*) the comparison is skipped with a message.

tensorgrad runs in a worker process in that environment; the main process times matcalc and
asks the worker to time tensorgrad, alternating in a random order per problem and round.
tensorgrad's time is ``Derivative(loss, V).full_simplify()``; matcalc's is ``grad(f, V)``
from a cold SymPy cache.  Both results are evaluated at the same random point (tensorgrad's
through its own compiler, matcalc's by the oracle's evaluator) and compared.  Prints
Markdown; --summary writes the headline as JSON.
"""
import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from sympy import (Determinant, MatrixSymbol, OneMatrix, Trace, exp, log, symbols,  # noqa: E402
                   tanh)
from sympy.core.cache import clear_cache  # noqa: E402

import matcalc  # noqa: E402
from matcalc import norm, scalar  # noqa: E402
from matcalc.numeric import evaluate, random_point  # noqa: E402

CUDA_PREFIXES = ("nvidia", "triton", "cuda")

#: the worker: builds each problem in tensorgrad, times derivations, evaluates results
WORKER = r'''
import json, sys, time
import sympy as sp
import torch
import tensorgrad as tg
import tensorgrad.functions as F
from tensorgrad.compiler import compile_to_callable
torch.set_default_dtype(torch.float64)
i, j, k, b = sp.symbols("i j k b")

def problem(name):
    """(loss, variable, {matrix name: (variable, edges)}) in tensorgrad."""
    X, W, Y = tg.Variable("X", b, i), tg.Variable("W", i, j), tg.Variable("Y", b, j)
    x, y, A = tg.Variable("x", i), tg.Variable("y", b), tg.Variable("A", i, j)
    if name == "least squares ||XW - Y||_F^2 (W)":
        e = X @ W - Y
        return e @ e, W, {"X": (X, "bi"), "W": (W, "ij"), "Y": (Y, "bj")}
    if name == "least squares ||Xw - y||^2 (w)":
        e = X @ x - y
        return e @ e, x, {"X": (X, "bi"), "x": (x, "i"), "y": (y, "b")}
    if name == "x^T A x":
        A = tg.Variable("A", i, j=i)                # square: the edge j has the size i
        return x @ A @ x.rename(i="j"), x, {"A": (A, "ij"), "x": (x, "i")}
    if name == "logistic 1^T log(1 + exp(Xw)) - y^T X w":
        z = X @ x
        return F.sum(F.log(1 + F.exp(z))) - y @ z, x, {"X": (X, "bi"), "x": (x, "i"),
                                                        "y": (y, "b")}
    if name == "2-layer tanh net ||W2 tanh(W1 x) - t||^2 (W1)":
        W1, W2 = tg.Variable("W1", j, i), tg.Variable("W2", k, j)
        t = tg.Variable("t", k)
        e = W2 @ F.tanh(W1 @ x) - t
        return e @ e, W1, {"W1": (W1, "ji"), "W2": (W2, "kj"), "x": (x, "i"), "t": (t, "k")}
    raise KeyError(name)

def answer(msg):
    loss, var, table = problem(msg["problem"])
    if msg["op"] == "time":
        start = time.perf_counter()
        tg.Derivative(loss, var).full_simplify()
        return time.perf_counter() - start
    else:
        G = tg.Derivative(loss, var).full_simplify()
        fn = compile_to_callable(G)
        values, sizes = {}, {}
        for name, (v, edges) in table.items():
            arr = torch.tensor(msg["values"][name])
            values[v] = arr.refine_names(*edges)
            for e, n in zip(edges, arr.shape):
                sizes[sp.Symbol(e)] = n
        out = fn(values, sizes)
        edges = table[var.name][1]
        return out.align_to(*edges).rename(None).tolist()

for line in sys.stdin:
    try:
        print(json.dumps({"ok": answer(json.loads(line))}), flush=True)
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:200]}), flush=True)
'''


def matcalc_problems():
    """The same problems for matcalc: name -> (f, V, {tensorgrad name: matcalc symbol})."""
    n, m, p, q = symbols("n m p q", integer=True, positive=True)
    X, W, Y = MatrixSymbol("X", m, n), MatrixSymbol("W", n, p), MatrixSymbol("Y", m, p)
    x, y, A = MatrixSymbol("x", n, 1), MatrixSymbol("y", m, 1), MatrixSymbol("A", n, n)
    W1, W2, t = MatrixSymbol("W1", p, n), MatrixSymbol("W2", q, p), MatrixSymbol("t", q, 1)
    z = X * x
    return {
        "least squares ||XW - Y||_F^2 (W)": (norm(X * W - Y) ** 2, W),
        "least squares ||Xw - y||^2 (w)": (norm(X * x - y) ** 2, x),
        "x^T A x": (scalar(x.T * A * x), x),
        "logistic 1^T log(1 + exp(Xw)) - y^T X w":
            (OneMatrix(1, m) * z.applyfunc(lambda u: log(1 + exp(u))) - y.T * z, x),
        "2-layer tanh net ||W2 tanh(W1 x) - t||^2 (W1)":
            (norm(W2 * (W1 * x).applyfunc(tanh) - t) ** 2, W1),
    }


def find_python(args, log):
    """An interpreter with tensorgrad, or (None, reason)."""
    if args.python:
        return args.python, None
    venv = Path(args.venv)
    python = venv / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import tensorgrad"],
                                          capture_output=True).returncode == 0:
        return str(python), None
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    report = venv / "report.json"
    wanted = ["tensorgrad", "torch<2.13"]
    log("  resolving tensorgrad and torch<2.13 (dry run)")
    done = subprocess.run([str(python), "-m", "pip", "install", "--dry-run", "--quiet",
                           "--report", str(report), *wanted], capture_output=True, text=True)
    if done.returncode != 0 or not report.exists():
        return None, f"pip cannot resolve tensorgrad with torch<2.13 here ({done.stderr.strip()[-200:]})"
    names = [item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]]
    cuda = sorted(n for n in names if n.startswith(CUDA_PREFIXES))
    if cuda:
        return None, ("the only torch<2.13 pip can reach here is a CUDA build (it would pull "
                      f"{', '.join(cuda[:3])}, ... {len(cuda)} CUDA packages); the benchmark "
                      "installs CPU builds only")
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *wanted],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return None, f"pip install failed: {done.stderr.strip()[-200:]}"
    return str(python), None


class Worker:
    def __init__(self, python):
        self.proc = subprocess.Popen([python, "-c", WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def ask(self, **msg):
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the tensorgrad worker stopped")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["ok"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--venv", default="/tmp/matcalc-bench/tensorgrad-venv")
    parser.add_argument("--python", help="an interpreter that has tensorgrad (no venv made)")
    parser.add_argument("--summary", help="write the headline as JSON here")
    args = parser.parse_args()

    def log(text):
        print(text, file=sys.stderr, flush=True)

    print("## Derivation time: matcalc vs tensorgrad\n")
    python, why = find_python(args, log)
    if python is None:
        text = f"skipped: {why}"
        print(f"**Skipped**: {why}.\n")
        log(f"  tensorgrad {text}")
        if args.summary:
            Path(args.summary).write_text(json.dumps({"text": text}))
        return
    version = subprocess.run([python, "-c", "import importlib.metadata as m; print("
                              "m.version('tensorgrad'), m.version('torch'))"],
                             capture_output=True, text=True).stdout.split()
    worker = Worker(python)
    problems = matcalc_problems()
    times = {(name, tool): [] for name in problems for tool in ("matcalc", "tensorgrad")}
    rng = random.Random(0)
    failed = {}
    for _ in range(args.rounds):
        for name, (f, V) in problems.items():
            order = ["matcalc", "tensorgrad"]
            rng.shuffle(order)
            for tool in order:
                if tool == "matcalc":
                    clear_cache()
                    start = time.perf_counter()
                    matcalc.grad(f, V)
                    times[name, tool].append(time.perf_counter() - start)
                elif name not in failed:
                    try:
                        times[name, tool].append(worker.ask(problem=name, op="time"))
                    except RuntimeError as exc:
                        failed[name] = str(exc)
    rows, ratios = [], []
    for name, (f, V) in problems.items():
        if name in failed:
            rows.append(f"| {name} | – | tensorgrad raised {failed[name]} | – | – |")
            continue
        G = matcalc.grad(f, V)
        dims = sorted({d for M in f.free_symbols if isinstance(M, MatrixSymbol)
                       for d in M.shape if not d.is_Integer}, key=str)
        point = random_point(f, G, sizes={d: 3 + k for k, d in enumerate(dims)}, seed=1)
        values = {s.name: np.asarray(v, dtype=float) for s, v in point.values.items()}
        tg_values = {k: (v.ravel() if v.shape[1] == 1 else v).tolist() for k, v in values.items()}
        try:
            got = np.asarray(worker.ask(problem=name, op="value", values=tg_values))
            ours = np.asarray(evaluate(G, point), dtype=float)
            diff = float(np.max(np.abs(got.reshape(ours.shape) - ours))
                         / max(np.max(np.abs(ours)), 1e-300))
            agree = f"{diff:.1e}" + ("" if diff < 1e-8 else " **MISMATCH**")
        except Exception as exc:   # a compile or evaluation failure is reported, not fatal
            agree = f"not compared ({str(exc)[:80]})"
        t_mc = statistics.median(times[name, "matcalc"])
        t_tg = statistics.median(times[name, "tensorgrad"])
        ratios.append(t_tg / t_mc)
        rows.append(f"| {name} | {t_mc * 1e3:.2f} ({min(times[name, 'matcalc']) * 1e3:.2f} – "
                    f"{max(times[name, 'matcalc']) * 1e3:.2f}) | {t_tg * 1e3:.2f} "
                    f"({min(times[name, 'tensorgrad']) * 1e3:.2f} – "
                    f"{max(times[name, 'tensorgrad']) * 1e3:.2f}) | {t_tg / t_mc:.2f}x | {agree} |")
    worker.close()
    print(f"tensorgrad {version[0] if version else '?'} with torch "
          f"{version[1] if len(version) > 1 else '?'} ({python}); {args.rounds} interleaved "
          "rounds; times in ms, median (min – max).\n")
    print("| problem | matcalc.grad | tensorgrad Derivative(...).full_simplify() | "
          "tensorgrad / matcalc | max rel. difference of the gradients |")
    print("| --- | ---: | ---: | ---: | --- |")
    print("\n".join(rows) + "\n")
    text = (f"tensorgrad / matcalc time: median {statistics.median(ratios):.2f}x, "
            f"{min(ratios):.2f}x – {max(ratios):.2f}x over {len(ratios)} problems")
    print(text + ".\n")
    if args.summary:
        Path(args.summary).write_text(json.dumps({"text": text}))


if __name__ == "__main__":
    main()
