"""Evaluation time: matcalc's generated gradients, Hessians and Hessian-vector products against
torch, jitted JAX and a hand-written NumPy implementation of the textbook formulas.

    python benchmarks/bench_autodiff.py                    # gradients n = 100, 1000, 3000;
                                                           # Hessians N = 100, 300, 1000
    python benchmarks/bench_autodiff.py --grad-sizes 100 --hess-sizes 100 --rounds 3   # quick

The problems are in ``autodiff_cases.py``.  For every problem and size, all competitors are
timed interleaved: each round runs one batch of every competitor in a fresh random order
(a batch repeats a fast call until it lasts 20 ms); --rounds rounds (default 7) give a median
and a min - max per competitor.  Before timing, every competitor's result is compared with
matcalc's (max |a - b| / max |b|); a difference above 1e-8 is reported as MISMATCH.

Competitors, each at its strongest setting that runs here:
- matcalc: ``value_and_grad(f, X)`` (value and gradient, NumPy backend), the dense Hessian
  ``codegen(hessian(f, X))``, ``hessian_vector_product(f, X)``; all data are arguments
  (nothing bound as a constant: the same inputs every competitor gets);
- NumPy: the textbook formula written by hand (``X.T @ (sigmoid(X @ w) - y)``, ...);
- torch (eager, CPU): ``torch.autograd.grad`` of the loss (value and gradient); Hessian: the
  faster of ``torch.autograd.functional.hessian`` (default mode: a loop of vector-Jacobian
  products) and ``torch.func.hessian`` (jacfwd of jacrev, vectorised), both timed, the
  faster one reported and named; HVP: the faster of double backward and ``torch.func.jvp`` of
  ``torch.func.grad``;
- jax: ``jax.jit(jax.value_and_grad(f))``; ``jax.jit(jax.hessian(f))``; HVP
  ``jax.jit(lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1])`` (forward-over-reverse).

Every library runs on --threads BLAS / intra-op threads (default 1: on a shared 2-core
machine a spinning multi-threaded BLAS measures the load, not the code).  Ratios are
t_competitor / t_matcalc (> 1: matcalc faster) of the medians; the verdicts also give the
ratio of the fastest runs (load only ever adds time, so the minimum is the least disturbed
estimate).  Prints Markdown; --summary writes the verdicts and every time as JSON.
"""
import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_common import interleaved, median, pin_threads  # noqa: E402


def _threads_from_argv():
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


THREADS = _threads_from_argv()
pin_threads(THREADS)   # before NumPy, torch and jax are imported

import numpy as np  # noqa: E402

from autodiff_cases import GRADIENT_CASES, HESSIAN_CASES  # noqa: E402
from matcalc.codegen import codegen, hessian_vector_product, value_and_grad  # noqa: E402
from matcalc.derivatives import hessian  # noqa: E402

try:
    import torch
    torch.set_num_threads(int(THREADS))
    torch.set_num_interop_threads(1)
except ImportError:
    torch = None
try:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
except ImportError:
    jax = jnp = None

MISMATCH = 1e-8


def _np(x):
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x, dtype=float)


def _rel(a, ref):
    a, ref = _np(a).reshape(-1), _np(ref).reshape(-1)
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-300))


def _block(out):
    if isinstance(out, tuple):
        for x in out:
            _block(x)
    elif hasattr(out, "block_until_ready"):
        out.block_until_ready()


def _only(fn, d):
    names = set(fn.arg_names)
    return {k: v for k, v in d.items() if k in names}


def _torch_data(d):
    return {k: torch.as_tensor(np.asarray(v, dtype=float)) if np.ndim(v) else v
            for k, v in d.items()}


def _jax_data(d):
    return {k: jnp.asarray(v) for k, v in d.items()}


def _torch_hessian_layout(Ht, shape):
    """torch's H[i, j, k, l] = d2f / dX_ij dX_kl as matcalc's vec-order N x N matrix."""
    N = int(np.prod(shape))
    return _np(Ht).reshape(shape + shape).transpose(1, 0, 3, 2).reshape(N, N)


# --------------------------------------------------------------------------
# competitors per kind: {name: (callable, result -> comparable arrays)}
# --------------------------------------------------------------------------

def gradient_competitors(case, compiled, d):
    var = case.variable
    vg = compiled["vg"]
    out = {"matcalc": (lambda: vg(**_only(vg, d)), lambda r: r),
           "NumPy": (lambda: case.np_value_and_grad(d), lambda r: r)}
    if torch is not None:
        tloss, td = case.loss(torch, torch.logdet), _torch_data(d)

        def torch_vg():
            x = td[var].detach().requires_grad_(True)
            value = tloss(x, td)
            return value, torch.autograd.grad(value, x)[0]
        out["torch"] = (torch_vg, lambda r: r)
    if jax is not None:
        jloss, jd = case.loss(jnp, lambda A: jnp.linalg.slogdet(A)[1]), _jax_data(d)
        fn = jax.jit(jax.value_and_grad(jloss))
        out["jax"] = (lambda: fn(jd[var], jd), lambda r: r)
    return out


def hessian_competitors(case, compiled, d):
    var = case.variable
    Hfn = compiled["H"]
    x0 = np.asarray(d[var], dtype=float)
    out = {"matcalc": (lambda: Hfn(**_only(Hfn, d)), lambda r: r),
           "NumPy": (lambda: case.np_hessian(d), lambda r: r)}
    if torch is not None:
        tloss, td = case.loss(torch, torch.logdet), _torch_data(d)
        layout = (lambda r: _torch_hessian_layout(r, x0.shape))
        out["torch default"] = (
            lambda: torch.autograd.functional.hessian(lambda x: tloss(x, td), td[var]), layout)
        func_h = torch.func.hessian(lambda x: tloss(x, td))
        out["torch.func.hessian"] = (lambda: func_h(td[var]), layout)
    if jax is not None:
        jloss, jd = case.loss(jnp, lambda A: jnp.linalg.slogdet(A)[1]), _jax_data(d)
        jh = jax.jit(jax.hessian(jloss))
        out["jax"] = (lambda: jh(jd[var], jd), lambda r: _torch_hessian_layout(np.asarray(r),
                                                                               x0.shape))
    return out


def hvp_competitors(case, compiled, d, v):
    var = case.variable
    hvp = compiled["hvp"]
    out = {"matcalc": (lambda: hvp(v, **_only(hvp, d)), lambda r: r),
           "NumPy": (lambda: case.np_hvp(d, v), lambda r: r)}
    if torch is not None:
        tloss, td = case.loss(torch, torch.logdet), _torch_data(d)
        tv = torch.as_tensor(v)

        def double_backward():
            x = td[var].detach().requires_grad_(True)
            g, = torch.autograd.grad(tloss(x, td), x, create_graph=True)
            return torch.autograd.grad(g, x, grad_outputs=tv)[0]
        t_grad = torch.func.grad(lambda x: tloss(x, td))
        out["torch double backward"] = (double_backward, lambda r: r)
        out["torch.func jvp(grad)"] = (lambda: torch.func.jvp(t_grad, (td[var],), (tv,))[1],
                                       lambda r: r)
    if jax is not None:
        jloss, jd = case.loss(jnp, lambda A: jnp.linalg.slogdet(A)[1]), _jax_data(d)
        grad_f = jax.grad(jloss)
        jhv = jax.jit(lambda x, w, dd: jax.jvp(lambda u: grad_f(u, dd), (x,), (w,))[1])
        jv = jnp.asarray(v)
        out["jax"] = (lambda: jhv(jd[var], jv, jd), lambda r: r)
    return out


def _compare(competitors, results):
    """Max relative difference of each competitor's result from matcalc's."""
    ref = results["matcalc"]
    diffs = {}
    for name, (_, view) in competitors.items():
        if name == "matcalc":
            continue
        got = view(results[name])
        if isinstance(ref, tuple):
            diffs[name] = max(_rel(g, r) for g, r in zip(got, ref))
        else:
            diffs[name] = _rel(got, ref)
    return diffs


def measure(competitors, rounds):
    fns = {name: fn for name, (fn, _) in competitors.items()}
    results = {}
    for name, fn in fns.items():
        out = fn()
        _block(out)
        results[name] = out
    diffs = _compare(competitors, results)
    times = interleaved(fns, rounds=rounds, after_call=lambda name, out: _block(out))
    return times, diffs


def best_of(times, names):
    """The competitor among ``names`` with the smallest median time: (name, times)."""
    present = [n for n in names if n in times]
    if not present:
        return None, None
    name = min(present, key=lambda n: median(times[n]))
    return name, times[name]


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------

def _cell(ts):
    if ts is None:
        return "–"
    return f"{median(ts) * 1e3:.3g} ({min(ts) * 1e3:.3g}–{max(ts) * 1e3:.3g})"


def _ratio(other, mine):
    if other is None or mine is None:
        return None
    return median(other) / median(mine)


def _r(x):
    return "–" if x is None else f"{x:.2f}x"


def run_kind(kind, cases, sizes, rounds, compile_fn, competitors_fn, rows, log):
    for case in cases:
        compiled = compile_fn(case)
        for size in sizes:
            rng = np.random.default_rng(size)
            d = case.data(size, rng, for_hessian=(kind != "gradient"))
            x0 = np.asarray(d[case.variable], dtype=float)
            if kind == "hvp":
                competitors = competitors_fn(case, compiled, d, rng.standard_normal(x0.shape))
            else:
                competitors = competitors_fn(case, compiled, d)
            times, diffs = measure(competitors, rounds)
            rows.append({"kind": kind, "case": case.name, "size": size, "N": int(x0.size),
                         "times": times, "diffs": diffs})
            log(f"  {kind} {case.name} n={size}: " + ", ".join(
                f"{k} {median(t) * 1e3:.3g} ms" for k, t in times.items()))


TORCH_H = ("torch default", "torch.func.hessian")
TORCH_HV = ("torch double backward", "torch.func jvp(grad)")


def print_tables(rows):
    verdicts = []
    sections = [
        ("gradient", "Gradients (value and gradient)", "n", ("torch",), 1.0, 1.0),
        ("hessian", "Dense Hessians", "N", TORCH_H, 10.0, 3.0),
        ("hvp", "Hessian-vector products", "N", TORCH_HV, None, 1.0),
    ]
    for kind, title, size_label, torch_names, torch_target, jax_target in sections:
        kind_rows = [r for r in rows if r["kind"] == kind]
        if not kind_rows:
            continue
        print(f"### {title}: times in ms, median (min–max)\n")
        print(f"| problem | {size_label} | matcalc | NumPy textbook | torch (best mode) | "
              "jax jit | torch / matcalc | jax / matcalc | matcalc / NumPy | "
              "max rel. difference from matcalc |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for r in kind_rows:
            t = r["times"]
            tname, tt = best_of(t, torch_names)
            mine = t["matcalc"]
            torch_cell = "–" if tt is None else (
                f"{_cell(tt)} {tname}" if len(torch_names) > 1 else _cell(tt))
            worst = max(r["diffs"].items(), key=lambda kv: kv[1]) if r["diffs"] else None
            diff = "–" if worst is None else (
                f"{worst[1]:.1e} ({worst[0]})" + (" **MISMATCH**" if worst[1] > MISMATCH else ""))
            size = r["size"] if kind == "gradient" else r["N"]
            r_torch, r_jax = _ratio(tt, mine), _ratio(t.get("jax"), mine)
            r_np = median(mine) / median(t["NumPy"])
            best = {"torch": min(tt) / min(mine) if tt else None,
                    "jax": min(t["jax"]) / min(mine) if "jax" in t else None,
                    "numpy": min(mine) / min(t["NumPy"])}
            print(f"| {r['case']} | {size} | {_cell(mine)} | {_cell(t['NumPy'])} | {torch_cell} | "
                  f"{_cell(t.get('jax'))} | {_r(r_torch)} | {_r(r_jax)} | {r_np:.2f} | {diff} |")
            verdicts.append({"kind": kind, "case": r["case"], "size": size,
                             "torch": r_torch, "jax": r_jax, "numpy": r_np, "best": best,
                             "torch_target": torch_target, "jax_target": jax_target,
                             "max_diff": worst[1] if worst else None,
                             "times": {k: v for k, v in t.items()}})
        print()
    return verdicts


def print_verdicts(verdicts):
    print("### Targets\n")
    lines = []
    checks = [
        ("gradient", "torch", "gradients >= 1.0x torch.autograd"),
        ("gradient", "jax", "gradients >= 1.0x jitted jax.value_and_grad"),
        ("hessian", "torch", "Hessians >= 10x torch (faster of default and torch.func.hessian)"),
        ("hessian", "jax", "Hessians >= 3x jitted jax.hessian"),
        ("hvp", "jax", "HVPs >= 1.0x jitted jax jvp(grad)"),
    ]
    for kind, who, label in checks:
        vs = [v for v in verdicts if v["kind"] == kind and v[who] is not None]
        if not vs:
            continue
        target = vs[0][f"{who}_target"]
        misses = [v for v in vs if v[who] < target]
        low = min(vs, key=lambda v: v[who])
        best_misses = [v for v in vs if v["best"][who] is not None and v["best"][who] < target]
        lines.append(f"- {label}: **{'met' if not misses else 'missed'}**, met on "
                     f"{len(vs) - len(misses)} of {len(vs)} (lowest {low[who]:.2f}x, "
                     f"{low['case']} at {low['size']})"
                     + ("" if not misses else "; misses: " + ", ".join(
                         f"{v['case']} at {v['size']} {v[who]:.2f}x "
                         f"(fastest runs: {v['best'][who]:.2f}x)" for v in misses))
                     + f"; on the fastest run of each: met on {len(vs) - len(best_misses)} of "
                       f"{len(vs)}")
    vs = verdicts
    misses = [v for v in vs if v["numpy"] > 1.2]
    best_misses = [v for v in vs if v["best"]["numpy"] > 1.2]
    if vs:
        worst = max(vs, key=lambda v: v["numpy"])
        lines.append(f"- every generated function within 1.2x of the NumPy textbook code: "
                     f"**{'met' if not misses else 'missed'}**, met on {len(vs) - len(misses)} of "
                     f"{len(vs)} (worst {worst['numpy']:.2f}x, {worst['kind']} {worst['case']} "
                     f"at {worst['size']})" + ("" if not misses else "; misses: " + ", ".join(
                         f"{v['kind']} {v['case']} at {v['size']} {v['numpy']:.2f}x "
                         f"(fastest runs: {v['best']['numpy']:.2f}x)" for v in misses))
                     + f"; on the fastest run of each: within on {len(vs) - len(best_misses)} "
                       f"of {len(vs)}")
    bad = [v for v in vs if v["max_diff"] is not None and v["max_diff"] > MISMATCH]
    lines.append(f"- every competitor's result equal to matcalc's (relative difference <= "
                 f"{MISMATCH:g}): **{'yes' if not bad else 'NO'}**"
                 + ("" if not bad else ": " + ", ".join(f"{v['kind']} {v['case']} at {v['size']}"
                                                        for v in bad)))
    print("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grad-sizes", type=int, nargs="*", default=[100, 1000, 3000])
    parser.add_argument("--hess-sizes", type=int, nargs="*", default=[100, 300, 1000])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", default="1", help="BLAS / intra-op threads (default 1)")
    parser.add_argument("--cases", nargs="*", help="only problems whose name contains one of these")
    parser.add_argument("--summary", help="write the targets' verdicts as JSON here")
    args = parser.parse_args()

    def chosen(cases):
        return [c for c in cases if not args.cases or any(s in c.name for s in args.cases)]

    def log(text):
        print(text, file=sys.stderr, flush=True)

    rows = []
    print(f"Threads: {THREADS} (OpenBLAS, torch intra-op, XLA); {args.rounds} interleaved rounds "
          f"per measurement; torch {torch.__version__ if torch else 'not installed'}, "
          f"jax {jax.__version__ if jax else 'not installed'}, NumPy {np.__version__}.\n")
    run_kind("gradient", chosen(GRADIENT_CASES), args.grad_sizes, args.rounds,
             lambda c: {"vg": value_and_grad(*c.symbolic())}, gradient_competitors, rows, log)
    run_kind("hessian", chosen(HESSIAN_CASES), args.hess_sizes, args.rounds,
             lambda c: {"H": codegen(hessian(*c.symbolic()), args=c.symbolic())},
             hessian_competitors, rows, log)
    run_kind("hvp", chosen(HESSIAN_CASES), args.hess_sizes, args.rounds,
             lambda c: {"hvp": hessian_vector_product(*c.symbolic())}, hvp_competitors, rows, log)
    verdicts = print_tables(rows)
    print_verdicts(verdicts)
    if args.summary:
        Path(args.summary).write_text(json.dumps(verdicts, indent=1))


if __name__ == "__main__":
    main()
