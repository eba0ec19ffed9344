"""Hessians: symbolic derivation time, and the derived Hessian evaluated with NumPy
against finite differences and (when importable) torch.autograd.functional.hessian.

    python benchmarks/bench_hessian.py                 # n = 100, 300, 1000
    python benchmarks/bench_hessian.py --sizes 100     # a quick run

For a vector variable n is its length; a matrix variable is s x s with s = round(sqrt(n)),
so every problem has N ~ n variables and an N x N Hessian.  The finite-difference
Hessian (matcalc.numeric.fd_hessian: N(N+1)/2 Richardson mixed differences, 8 function
evaluations each) is skipped when its estimated time exceeds --fd-limit seconds (60),
and so is torch's when the previous size took more than --torch-limit seconds.
Errors are max|H - H_ref| / max|H_ref|.  Prints Markdown tables.

BLAS runs single-threaded for NumPy and torch alike (MATCALC_BENCH_THREADS to change):
on a loaded machine multi-threaded BLAS spins and its timings mean nothing.
"""
import argparse
import math
import os
import sys
import time
from pathlib import Path

THREADS = os.environ.get("MATCALC_BENCH_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, THREADS)

import numpy as np  # noqa: E402  (after the thread settings)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sympy import Determinant, MatrixSymbol, OneMatrix, Symbol, Trace, exp, log, symbols  # noqa: E402

from matcalc import norm, scalar  # noqa: E402
from matcalc.derivatives import hessian  # noqa: E402
from matcalc.latex import latex  # noqa: E402
from matcalc.numeric import _Bound, fd_hessian, random_point  # noqa: E402

try:
    import torch
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(int(THREADS))
except ImportError:  # the torch column is optional
    torch = None

n = symbols("n", integer=True, positive=True)
x, a, b, y, w = (MatrixSymbol(s, n, 1) for s in "x a b y w".split())
A, X, W, Y = (MatrixSymbol(s, n, n) for s in "A X W Y".split())
lam = Symbol("lambda", positive=True)


def _vector(v):
    return torch.as_tensor(np.ravel(v, order="F"))


def _matrix(M):
    return torch.as_tensor(np.asarray(M, dtype=float))


def _unvec(t, s):
    # column-major vec -> s x s matrix, differentiable
    return t.reshape(s, s).T


# name, f, variable, "vector"/"matrix", torch builder: values -> (function of vec(V))
PROBLEMS = [
    ("x^T A x", x.T * A * x, x, "vector",
     lambda v, s: (lambda t: t @ _matrix(v[A]) @ t)),
    ("||Ax - b||^2", norm(A * x - b) ** 2, x, "vector",
     lambda v, s: (lambda t: torch.sum((_matrix(v[A]) @ t - _vector(v[b])) ** 2))),
    ("ridge", norm(A * x - b) ** 2 + lam * norm(x) ** 2, x, "vector",
     lambda v, s: (lambda t: torch.sum((_matrix(v[A]) @ t - _vector(v[b])) ** 2)
                   + v[lam] * torch.sum(t ** 2))),
    ("(x^T A x)^2", scalar(x.T * A * x) ** 2, x, "vector",
     lambda v, s: (lambda t: (t @ _matrix(v[A]) @ t) ** 2)),
    ("||x - a||_2", norm(x - a), x, "vector",
     lambda v, s: (lambda t: torch.linalg.norm(t - _vector(v[a])))),
    ("log(x^T A x)", log(scalar(x.T * A * x)), x, "vector",
     lambda v, s: (lambda t: torch.log(t @ _matrix(v[A]) @ t))),
    ("logistic loss", OneMatrix(1, n) * (A * w).applyfunc(lambda z: log(1 + exp(z))) - y.T * A * w,
     w, "vector",
     lambda v, s: (lambda t: torch.sum(torch.nn.functional.softplus(_matrix(v[A]) @ t))
                   - _vector(v[y]) @ _matrix(v[A]) @ t)),
    ("tr(X^T A X)", Trace(X.T * A * X), X, "matrix",
     lambda v, s: (lambda t: torch.trace(_unvec(t, s).T @ _matrix(v[A]) @ _unvec(t, s)))),
    ("||XW - Y||_F^2 (W)", norm(X * W - Y) ** 2, W, "matrix",
     lambda v, s: (lambda t: torch.sum((_matrix(v[X]) @ _unvec(t, s) - _matrix(v[Y])) ** 2))),
    ("||XW - Y||_F^2 (X)", norm(X * W - Y) ** 2, X, "matrix",
     lambda v, s: (lambda t: torch.sum((_unvec(t, s) @ _matrix(v[W]) - _matrix(v[Y])) ** 2))),
    ("tr(X^2)", Trace(X ** 2), X, "matrix",
     lambda v, s: (lambda t: torch.trace(_unvec(t, s) @ _unvec(t, s)))),
    ("log det X", log(Determinant(X)), X, "matrix",
     lambda v, s: (lambda t: torch.logdet(_unvec(t, s)))),
    ("(a^T X b)^2", scalar(a.T * X * b) ** 2, X, "matrix",
     lambda v, s: (lambda t: (_vector(v[a]) @ _unvec(t, s) @ _vector(v[b])) ** 2)),
]


def side(kind, size):
    return size if kind == "vector" else max(2, round(math.sqrt(size)))


def rel_error(H, R):
    scale = max(float(np.max(np.abs(R))), 1e-300)
    return float(np.max(np.abs(H - R))) / scale


def timed(fn, repeat=1):
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def fd_estimate(f, V, point):
    """Seconds fd_hessian would take: 8 evaluations per pair, N(N+1)/2 pairs."""
    bound = _Bound(f, point)
    bound.call()
    _, t = timed(bound.call, repeat=20)
    N = np.asarray(point[V]).size
    return 8 * N * (N + 1) / 2 * t * 2.0


def run(sizes, fd_limit, torch_limit, budget):
    start = time.perf_counter()
    symbolic_rows, rows = [], []
    for name, f, V, kind, torch_f in PROBLEMS:
        H, t_sym = timed(lambda: hessian(f, V))
        symbolic_rows.append((name, t_sym, H))
        torch_slow = False
        for size in sizes:
            s = side(kind, size)
            point = random_point(f, H, sizes={n: s}, seed=1)
            N = np.asarray(point[V]).size
            bound = _Bound(H, point)                   # compiled once, then timed
            Hv, t_eval = timed(lambda: np.atleast_2d(bound.call()), repeat=3)
            row = {"problem": name, "N": N, "eval": t_eval}
            elapsed = time.perf_counter() - start
            estimate = fd_estimate(f, V, point)
            if estimate > fd_limit or elapsed + estimate > budget:
                row["fd"] = f"skipped (est. {estimate:.0f} s)"
            else:
                R, t_fd = timed(lambda: fd_hessian(f, V, point))
                row["fd"] = f"{t_fd:.2f} s, err {rel_error(Hv, R):.1e}"
            if torch is None:
                row["torch"] = "torch not installed"
            elif torch_slow:
                row["torch"] = f"skipped (> {torch_limit:.0f} s at a smaller n)"
            else:
                func = torch_f(point.values, s)
                t0 = _vector(point[V]).clone()
                T, t_torch = timed(lambda: torch.autograd.functional.hessian(func, t0), repeat=2)
                T = T.detach().numpy()
                row["torch"] = f"{t_torch:.3f} s, err {rel_error(Hv, T):.1e}"
                torch_slow = t_torch > torch_limit
            rows.append(row)
            print(f"  {name:22s} N={N:5d} done ({time.perf_counter() - start:.0f} s)",
                  file=sys.stderr)
    return symbolic_rows, rows


def _cell(text):
    return text.replace("|", "\\|")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--fd-limit", type=float, default=60.0)
    parser.add_argument("--torch-limit", type=float, default=60.0)
    parser.add_argument("--budget", type=float, default=480.0,
                        help="stop running finite differences after this many seconds")
    args = parser.parse_args(argv)
    symbolic_rows, rows = run(args.sizes, args.fd_limit, args.torch_limit, args.budget)

    print("### Symbolic Hessians\n")
    print("| problem | derivation (ms) | Hessian |")
    print("| --- | ---: | --- |")
    for name, t, H in symbolic_rows:
        print(f"| {_cell(name)} | {1000 * t:.0f} | ${_cell(latex(H))}$ |")
    print("\n### Derived Hessian (NumPy) vs finite differences and torch\n")
    print("| problem | N | derived H eval (ms) | finite differences | torch.autograd.functional.hessian |")
    print("| --- | ---: | ---: | --- | --- |")
    for r in rows:
        print(f"| {_cell(r['problem'])} | {r['N']} | {1000 * r['eval']:.1f} | {r['fd']} | {r['torch']} |")


if __name__ == "__main__":
    main()
