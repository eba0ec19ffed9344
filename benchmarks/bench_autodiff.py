"""Evaluation time: matcalc's generated gradients, Hessians and Hessian-vector products
against torch.autograd and jax (CPU, float64).

    python benchmarks/bench_autodiff.py                          # gradients n = 100, 1000, 3000;
                                                                 # Hessians n = 100, 300, 1000
    python benchmarks/bench_autodiff.py --grad-sizes 100 --hess-sizes 100   # a quick run

Gradients (variable in brackets; m = n samples, r = 10, batch b = 32, 10 outputs):
least squares ||X w - y||^2 [w], ridge + λ||w||^2 [w], logistic regression
1^T log(1 + exp(Xw)) - y^T X w [w], matrix factorisation ||R - U V^T||_F^2 [U],
3-layer MLP ||W3 tanh(W2 tanh(W1 X)) - Y||_F^2 [W1] (W1, W2 n x n).

- matcalc: ``lambdify_grad(f, X)`` (NumPy backend) computes the gradient only; the
  "f + grad" column is ``lambdify_grad(f, X, with_value=True)``, the same work autodiff does;
- torch: the loss written in torch, ``torch.autograd.grad`` (forward + backward);
- jax: ``jax.jit(jax.value_and_grad(f))``; "matcalc→jax" is matcalc's generated code on the
  jax backend under ``jax.jit`` (value and gradient).

Hessians (vector variables: least squares, ridge, logistic regression; log det X with X
s x s, s = round(sqrt(n)), so every Hessian is about n x n):
- matcalc: ``codegen(matcalc.hessian(f, X))`` (dense H), ``hessian_vector_product(f, X)`` (H v);
- torch: ``torch.autograd.functional.hessian(..., vectorize=True)``; H v by double backward;
- jax: ``jax.jit(jax.hessian(f))``; H v by ``jax.jvp`` of ``jax.grad`` (forward-over-reverse), jitted.

All libraries run on BENCH_THREADS (default 1) BLAS threads.  Each time is the median of repeated calls after a warm-up call (compilation excluded and
reported separately for matcalc).  A size whose single call takes over --limit seconds
is skipped and said so.  Ratios are t_autodiff / t_matcalc (> 1: matcalc faster).
Every result is compared with torch's (max relative error).  Prints Markdown.
"""
import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# One BLAS/LAPACK thread for NumPy, torch and XLA alike (BENCH_THREADS=2 for two): on a
# shared 2-core machine a spinning multi-threaded OpenBLAS is 100x slower under load.
THREADS = os.environ.get("BENCH_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, THREADS)
if THREADS == "1":
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                       "intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sympy  # noqa: E402
from sympy import Determinant, MatrixSymbol, OneMatrix, Symbol, exp, log, symbols, tanh  # noqa: E402

from matcalc import norm  # noqa: E402
from matcalc.codegen import codegen, hessian_vector_product, lambdify_grad  # noqa: E402

try:
    import torch
    torch.set_num_threads(int(THREADS))
except ImportError:
    torch = None
try:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
except ImportError:
    jax = jnp = None

n, m, r, b, o = symbols("n m r b o", integer=True, positive=True)
LAM = 0.1


# --------------------------------------------------------------------------
# problems: symbolic f, variable, data, and the same loss in torch and jax
# --------------------------------------------------------------------------

def _least_squares():
    X, w, y = MatrixSymbol("X", m, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", m, 1)
    return norm(X * w - y) ** 2, w


def _ridge():
    X, w, y = MatrixSymbol("X", m, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", m, 1)
    return norm(X * w - y) ** 2 + Symbol("lambda", positive=True) * norm(w) ** 2, w


def _logistic():
    X, w, y = MatrixSymbol("X", m, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", m, 1)
    z = X * w
    return OneMatrix(1, m) * z.applyfunc(lambda t: log(1 + exp(t))) - y.T * z, w


def _factorisation():
    R, U, V = MatrixSymbol("R", m, n), MatrixSymbol("U", m, r), MatrixSymbol("V", n, r)
    return norm(R - U * V.T) ** 2, U


def _mlp():
    X, Y = MatrixSymbol("X", n, b), MatrixSymbol("Y", o, b)
    W1, W2, W3 = MatrixSymbol("W1", n, n), MatrixSymbol("W2", n, n), MatrixSymbol("W3", o, n)
    return norm(W3 * (W2 * (W1 * X).applyfunc(tanh)).applyfunc(tanh) - Y) ** 2, W1


def _logdet():
    X = MatrixSymbol("X", n, n)
    return log(Determinant(X)), X


def _data_regression(size, rng, labels=False):
    X = rng.standard_normal((size, size)) / np.sqrt(size)
    y = (rng.uniform(size=(size, 1)) < 0.5).astype(float) if labels else rng.standard_normal((size, 1))
    return {"X": X, "y": y, "w": rng.standard_normal((size, 1)), "lambda": LAM}


def _data_factorisation(size, rng):
    return {"R": rng.standard_normal((size, size)), "U": rng.standard_normal((size, 10)),
            "V": rng.standard_normal((size, 10))}


def _data_mlp(size, rng):
    return {"X": rng.standard_normal((size, 32)), "Y": rng.standard_normal((10, 32)),
            "W1": rng.standard_normal((size, size)) / np.sqrt(size),
            "W2": rng.standard_normal((size, size)) / np.sqrt(size),
            "W3": rng.standard_normal((10, size)) / np.sqrt(size)}


def _data_logdet(size, rng):
    s = int(round(np.sqrt(size)))
    return {"X": np.eye(s) + 0.3 * rng.standard_normal((s, s)) / np.sqrt(s)}


def _loss(name, lib):
    """The loss as a function (variable, data) written directly in torch or jax.numpy."""
    if lib == "torch":
        xp, logdet = torch, torch.logdet
    else:
        xp, logdet = jnp, (lambda A: jnp.linalg.slogdet(A)[1])
    if name == "least squares":
        return lambda w, d: xp.sum((d["X"] @ w - d["y"]) ** 2)
    if name == "ridge":
        return lambda w, d: xp.sum((d["X"] @ w - d["y"]) ** 2) + d["lambda"] * xp.sum(w * w)
    if name == "logistic regression":
        return lambda w, d: xp.sum(xp.log(1 + xp.exp(d["X"] @ w))) - xp.sum(d["y"] * (d["X"] @ w))
    if name == "matrix factorisation":
        return lambda U, d: xp.sum((d["R"] - U @ d["V"].T) ** 2)
    if name == "3-layer MLP":
        return lambda W1, d: xp.sum((d["W3"] @ xp.tanh(d["W2"] @ xp.tanh(W1 @ d["X"])) - d["Y"]) ** 2)
    if name == "log det":
        return lambda X, d: logdet(X)
    raise KeyError(name)


GRADIENT_PROBLEMS = [
    ("least squares", _least_squares, lambda s, g: _data_regression(s, g)),
    ("ridge", _ridge, lambda s, g: _data_regression(s, g)),
    ("logistic regression", _logistic, lambda s, g: _data_regression(s, g, labels=True)),
    ("matrix factorisation", _factorisation, _data_factorisation),
    ("3-layer MLP", _mlp, _data_mlp),
]
HESSIAN_PROBLEMS = [
    ("least squares", _least_squares, lambda s, g: _data_regression(s, g)),
    ("ridge", _ridge, lambda s, g: _data_regression(s, g)),
    ("logistic regression", _logistic, lambda s, g: _data_regression(s, g, labels=True)),
    ("log det", _logdet, _data_logdet),
]


# --------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------

def timeit(fn, budget=1.0, max_runs=30):
    """Median seconds of fn() after one warm-up call; (nan, None) if the warm-up is too slow."""
    start = time.perf_counter()
    out = fn()
    first = time.perf_counter() - start
    times = []
    total = 0.0
    while len(times) < 3 or (total < budget and len(times) < max_runs):
        start = time.perf_counter()
        fn()
        dt = time.perf_counter() - start
        times.append(dt)
        total += dt
        if first > 5:   # a slow function: 3 runs are enough
            if len(times) >= 3:
                break
    return statistics.median(times), out, first


def _only(fn, d):
    """The entries of d that are arguments of the generated function fn."""
    names = set(fn.arg_names)
    return {k_: v for k_, v in d.items() if k_ in names}


def _block(x):
    if isinstance(x, tuple):
        return tuple(_block(a) for a in x)
    return x.block_until_ready() if hasattr(x, "block_until_ready") else x


def _np(x):
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def _rel(a, ref):
    a, ref = _np(a).reshape(-1), _np(ref).reshape(-1)
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-300))


def _ms(t):
    return "–" if t is None or np.isnan(t) else f"{t * 1e3:.2f}"


def _ratio(t_other, t_mine):
    if t_other is None or t_mine is None or np.isnan(t_other) or np.isnan(t_mine):
        return "–"
    return f"{t_other / t_mine:.1f}x"


# --------------------------------------------------------------------------
# gradients
# --------------------------------------------------------------------------

def bench_gradients(sizes, limit):
    print("## Gradients: generated code vs autodiff (CPU, float64)\n")
    print("| problem | n | matcalc grad (ms) | matcalc f+grad (ms) | torch f+grad (ms) | "
          "jax.value_and_grad jit (ms) | matcalc→jax jit (ms) | torch / matcalc f+grad | "
          "jax / matcalc f+grad | max rel. error vs torch |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    skipped = []
    summary = []
    for name, make, data in GRADIENT_PROBLEMS:
        f, V = make()
        t0 = time.perf_counter()
        g = lambdify_grad(f, V)
        vg = lambdify_grad(f, V, with_value=True)
        vg_jax = lambdify_grad(f, V, with_value=True, backend="jax") if jax else None
        derive = time.perf_counter() - t0
        slow = False
        for size in sizes:
            if slow:
                skipped.append(f"{name} n={size} (n={prev} took over {limit:.0f} s)")
                continue
            rng = np.random.default_rng(size)
            d = data(size, rng)
            t_g, G, first = timeit(lambda: g(**_only(g, d)))
            compile_time = first
            t_vg, _, _ = timeit(lambda: vg(**_only(vg, d)))
            t_torch = t_jax = t_mj = None
            err = []
            if torch is not None:
                loss = _loss(name, "torch")
                td = {k_: torch.as_tensor(np.asarray(v, dtype=float)) if np.ndim(v) else v
                      for k_, v in d.items()}
                var0 = td[V.name]

                def torch_grad():
                    var = var0.detach().requires_grad_(True)
                    value = loss(var, td)
                    return value, torch.autograd.grad(value, var)[0]
                t_torch, (_, Gt), _ = timeit(torch_grad)
                err.append(_rel(G, Gt))
            if jax is not None:
                loss = _loss(name, "jax")
                jd = {k_: jnp.asarray(v) for k_, v in d.items()}
                fn = jax.jit(jax.value_and_grad(lambda var, dd: loss(var, dd)))
                t_jax, (_, Gj), _ = timeit(lambda: _block(fn(jd[V.name], jd)))
                t_mj, (_, Gmj), _ = timeit(lambda: _block(vg_jax(**_only(vg_jax, jd))))
                err.append(_rel(Gj, G))
                err.append(_rel(Gmj, G))
            print(f"| {name} | {size} | {_ms(t_g)} | {_ms(t_vg)} | {_ms(t_torch)} | {_ms(t_jax)} | "
                  f"{_ms(t_mj)} | {_ratio(t_torch, t_vg)} | {_ratio(t_jax, t_vg)} | "
                  f"{max(err) if err else float('nan'):.1e} |", flush=True)
            summary.append((name, size, t_g, t_vg, t_torch, t_jax))
            print(f"  {name} n={size}: derive+codegen {derive:.2f} s, first call {compile_time:.3f} s",
                  file=sys.stderr)
            prev = size
            slow = max(x for x in (t_g, t_vg, t_torch or 0, t_jax or 0)) > limit
    print()
    if skipped:
        print("Skipped: " + "; ".join(skipped) + ".\n")
    return summary


# --------------------------------------------------------------------------
# Hessians and Hessian-vector products
# --------------------------------------------------------------------------

def bench_hessians(sizes, limit):
    from matcalc.derivatives import hessian
    print("## Hessians and Hessian-vector products: generated code vs autodiff (CPU, float64)\n")
    print("| problem | N | matcalc H (ms) | torch H (ms) | jax H jit (ms) | torch / matcalc | "
          "jax / matcalc | matcalc Hv (ms) | torch Hv (ms) | jax Hv jit (ms) | torch / matcalc Hv | "
          "jax / matcalc Hv | max rel. error vs torch |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    summary = []
    skipped = []
    for name, make, data in HESSIAN_PROBLEMS:
        f, V = make()
        H = hessian(f, V)
        Hfn = codegen(H, args=(f, V))
        hvp = hessian_vector_product(f, V)
        torch_slow = jax_slow = False
        for size in sizes:
            rng = np.random.default_rng(size)
            d = data(size, rng)
            x0 = np.asarray(d[V.name], dtype=float)
            N = x0.size
            v = rng.standard_normal(x0.shape)
            t_h, Hm, _ = timeit(lambda: Hfn(**_only(Hfn, d)))
            t_hv, Hv, _ = timeit(lambda: hvp(v, **_only(hvp, d)))
            err = []
            t_th = t_thv = t_jh = t_jhv = None
            if torch is not None:
                loss = _loss(name, "torch")
                td = {k_: torch.as_tensor(np.asarray(val, dtype=float)) if np.ndim(val) else val
                      for k_, val in d.items()}
                tv = torch.as_tensor(v)
                if not torch_slow:
                    def torch_hessian():
                        return torch.autograd.functional.hessian(lambda var: loss(var, td),
                                                                 td[V.name], vectorize=True)
                    t_th, Ht, _ = timeit(torch_hessian, budget=0.5)
                    # torch's H[i, j, k, l] = d2f / dX_ij dX_kl; matcalc's is in vec order
                    Ht = _np(Ht).reshape(x0.shape + x0.shape).transpose(1, 0, 3, 2).reshape(N, N)
                    err.append(_rel(Hm, Ht))
                    torch_slow = t_th > limit
                else:
                    skipped.append(f"torch Hessian of {name} at N={N}")

                def torch_hvp():
                    var = td[V.name].detach().requires_grad_(True)
                    grad, = torch.autograd.grad(loss(var, td), var, create_graph=True)
                    return torch.autograd.grad(grad, var, grad_outputs=tv)[0]
                t_thv, Hvt, _ = timeit(torch_hvp)
                err.append(_rel(Hv, Hvt))
            if jax is not None:
                loss = _loss(name, "jax")
                jd = {k_: jnp.asarray(val) for k_, val in d.items()}
                if not jax_slow:
                    jh = jax.jit(jax.hessian(lambda var, dd: loss(var, dd)))
                    t_jh, _, _ = timeit(lambda: _block(jh(jd[V.name], jd)), budget=0.5)
                    jax_slow = t_jh > limit
                else:
                    skipped.append(f"jax Hessian of {name} at N={N}")
                grad_fn = jax.grad(lambda var, dd: loss(var, dd))
                jhv = jax.jit(lambda var, vec, dd: jax.jvp(lambda u: grad_fn(u, dd), (var,), (vec,))[1])
                t_jhv, Hvj, _ = timeit(lambda: _block(jhv(jd[V.name], jnp.asarray(v), jd)))
                err.append(_rel(Hvj, Hv))
            print(f"| {name} | {N} | {_ms(t_h)} | {_ms(t_th)} | {_ms(t_jh)} | {_ratio(t_th, t_h)} | "
                  f"{_ratio(t_jh, t_h)} | {_ms(t_hv)} | {_ms(t_thv)} | {_ms(t_jhv)} | "
                  f"{_ratio(t_thv, t_hv)} | {_ratio(t_jhv, t_hv)} | "
                  f"{max(err) if err else float('nan'):.1e} |", flush=True)
            summary.append((name, N, t_h, t_th, t_jh, t_hv, t_thv, t_jhv))
    print()
    if skipped:
        print("Skipped (previous size over the limit): " + "; ".join(skipped) + ".\n")
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grad-sizes", type=int, nargs="*", default=[100, 1000, 3000])
    parser.add_argument("--hess-sizes", type=int, nargs="*", default=[100, 300, 1000])
    parser.add_argument("--limit", type=float, default=60.0,
                        help="seconds: a slower call skips the larger sizes")
    args = parser.parse_args()
    versions = [f"Python {platform.python_version()}", f"SymPy {sympy.__version__}",
                f"NumPy {np.__version__}"]
    versions.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch
                    else "torch not installed")
    versions.append(f"jax {jax.__version__}" if jax else "jax not installed")
    print(", ".join(versions) + "\n")
    if args.grad_sizes:
        bench_gradients(args.grad_sizes, args.limit)
    if args.hess_sizes:
        bench_hessians(args.hess_sizes, args.limit)


if __name__ == "__main__":
    main()
