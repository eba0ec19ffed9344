"""Run every benchmark and regenerate every table of benchmarks/README.md and the summary
table of the top README's performance section, with date, machine and versions.

    python benchmarks/run_all.py                   # everything (about an hour on 2 shared cores)
    python benchmarks/run_all.py --only bench_startup bench_verify     # some, README updated
    python benchmarks/run_all.py --no-write        # print, leave the READMEs alone
    python benchmarks/run_all.py --quick           # fewer rounds and sizes (~30 minutes)

Each script runs in its own process (``sys.executable``), writes its Markdown to
``--results`` (default /tmp/matcalc-bench/NAME.md) and its headline figures to NAME.json;
the READMEs get each script's Markdown between ``<!-- BEGIN NAME -->`` and
``<!-- END NAME -->`` and the run's description between ``<!-- BEGIN run -->`` and
``<!-- END run -->``.  Text outside the markers is prose and stays as written.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_common import machine  # noqa: E402

#: (script, its arguments for the recorded run)
BENCHMARKS = [
    ("bench_startup", ["--rounds", "15"]),
    ("bench_grad", ["--repeats", "5"]),
    ("bench_tensorgrad", ["--rounds", "5"]),
    ("bench_scaling", ["--rounds", "5", "--profile", "--depth"]),
    ("bench_autodiff", ["--rounds", "7"]),
    ("bench_verify", ["--repeats", "3"]),
    ("bench_catalogue_load", []),
    ("compactness", []),
    ("named_depth", ["--max-depth", "64"]),
]
#: the reduced settings of ``--quick`` (fewer rounds, the largest catalogue sizes left out);
#: the run's description names them, so a table never passes for a full run
QUICK = {
    "bench_startup": ["--rounds", "9"],
    "bench_grad": ["--repeats", "3"],
    "bench_tensorgrad": ["--rounds", "3"],
    "bench_scaling": ["--rounds", "3", "--profile", "--depth"],
    "bench_autodiff": ["--rounds", "3"],
    "bench_verify": ["--repeats", "1"],
    "bench_catalogue_load": ["--sizes", "1000", "10000", "--latin1", "10000"],
    "compactness": [],
    "named_depth": ["--max-depth", "32"],
}
#: scripts that write a --summary JSON
WITH_SUMMARY = {"bench_startup", "bench_grad", "bench_tensorgrad", "bench_scaling",
                "bench_autodiff", "bench_verify"}


def run(name, args, results, log):
    out, summary = results / f"{name}.md", results / f"{name}.json"
    command = [sys.executable, str(HERE / f"{name}.py"), *args]
    if name in WITH_SUMMARY:
        command += ["--summary", str(summary)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    load = open('/proc/loadavg').read().split()[0]
    log(f"== {name} (load {load}): "
        f"{' '.join(command[1:])}")
    start = time.perf_counter()
    with open(out, "w") as stdout:
        done = subprocess.run(command, cwd=ROOT, stdout=stdout, stderr=sys.stderr, env=env)
    log(f"   {name}: {time.perf_counter() - start:.0f} s, exit {done.returncode}")
    if done.returncode != 0:
        raise SystemExit(f"{name} failed (exit {done.returncode}); its output is in {out}")
    return (out.read_text(), (json.loads(summary.read_text()) if summary.exists() else None),
            load)


def replace_block(text, name, content):
    """``text`` with the block between the markers of ``name`` replaced by ``content``."""
    pattern = re.compile(rf"(<!-- BEGIN {re.escape(name)} -->\n).*?(<!-- END {re.escape(name)} -->)",
                         re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"no <!-- BEGIN {name} --> ... <!-- END {name} --> block to fill")
    return pattern.sub(lambda m: m.group(1) + content.strip() + "\n" + m.group(2), text)


def demote(markdown):
    """The script's headings one level down (its ## become ####), to sit under a section."""
    return re.sub(r"^(#+) ", lambda m: "#" * min(6, len(m.group(1)) + 2) + " ", markdown,
                  flags=re.MULTILINE)


def run_description(info, commands, quick, loads):
    settings = ("**reduced settings** (`--quick`: fewer rounds than the scripts' defaults and "
                "the largest catalogue sizes left out)" if quick else "the full settings")
    per_script = ", ".join(f"{name} {load}" for name, load in loads.items())
    return (f"- Date: {info['date']}; commit {info['commit']}; {settings}.\n"
            f"- Machine: {info['cpu']}, {info['cores']} cores, {info['memory']} RAM, "
            f"{info['system']}; shared with other jobs (load average at the start: "
            f"{info['load']}), which is why every comparison is interleaved and reported as "
            f"median (min – max). Load average (1 min) when each script started: "
            f"{per_script}; with 2 cores, a load above 2 means the numbers were measured on "
            f"a loaded machine.\n"
            f"- Versions: {info['versions']}.\n"
            f"- Command: `python benchmarks/run_all.py` ({commands}).\n")


def summary_table(s):
    """The top README's table, from the scripts' JSON summaries (None: not run)."""
    rows = []
    g = s.get("bench_grad")
    if g:
        worst = g["worst"]
        rows.append(("derivation, matcalc.grad vs sympy.diff, "
                     f"{g['problems']} Cookbook/ML problems, symbolic sizes",
                     f"correct (oracle-checked): matcalc {g['solved']['matcalc']}/{g['problems']}, "
                     f"sympy.diff {g['solved']['sympy']}/{g['problems']}; where both are correct "
                     f"matcalc is faster on {g['both'] - g['slower']} of {g['both']}: median "
                     f"{g['median']:.1f}x, worst {worst[0]:.1f}x",
                     "bench_grad.py"))
    t = s.get("bench_tensorgrad")
    if t:
        rows.append(("derivation vs tensorgrad", t["text"], "bench_tensorgrad.py"))
    sc = s.get("bench_scaling")
    if sc:
        for title, e in sc.items():
            short = "K-layer network" if title.startswith("network") else "tr(A_1 X ... A_K X)"
            rows.append((f"depth scaling, {short}, K = 1 ... {e['k_max']}",
                         f"time exponent {e['time (medians), K >= 8']:.2f} (per round "
                         f"{e['per_round'][0]:.2f} – {e['per_round'][1]:.2f}), over K = 16 ... 64 "
                         f"{e['time, K = 16 ... 64']:.2f}; result DAG exponent "
                         f"{e['DAG nodes']:.2f}, tree {e['tree nodes']:.2f}", "bench_scaling.py"))
    a = s.get("bench_autodiff")
    if a:
        for kind, who, label, target in (
                ("gradient", "torch", "gradients vs torch.autograd", 1.0),
                ("gradient", "jax", "gradients vs jitted jax.value_and_grad", 1.0),
                ("hessian", "torch", "dense Hessians vs torch (best of 2 modes)", 10.0),
                ("hessian", "jax", "dense Hessians vs jitted jax.hessian", 3.0),
                ("hvp", "jax", "Hessian-vector products vs jitted jax jvp(grad)", 1.0)):
            vs = [v for v in a if v["kind"] == kind and v[who] is not None]
            if not vs:
                continue
            low = min(vs, key=lambda v: v[who])
            met = sum(v[who] >= target for v in vs)
            rows.append((f"{label} (target {target:g}x)",
                         f"{'met' if met == len(vs) else 'missed'} (met on {met} of {len(vs)} cases); "
                         f"{low[who]:.2f}x – {max(v[who] for v in vs):.2f}x (lowest: "
                         f"{low['case']}, {low['size']})", "bench_autodiff.py"))
        worst = max(a, key=lambda v: v["numpy"])
        within = sum(v["numpy"] <= 1.2 for v in a)
        rows.append(("generated code vs hand-written NumPy of the textbook formula (target "
                     "within 1.2x)", f"{within} of {len(a)} within; worst {worst['numpy']:.2f}x "
                     f"({worst['kind']}, {worst['case']}, {worst['size']})", "bench_autodiff.py"))
    st = s.get("bench_startup")
    if st:
        rows.append(("start-up (bytecode compiled)", f"`import matcalc` {st['import_ratio']:.2f}x "
                     f"`import sympy` (target 1.2x); cold `matcalc grad` +{st['cli_delta']:.2f} s "
                     "over `import sympy` (target 0.15 s)", "bench_startup.py"))
    v = s.get("bench_verify")
    if v:
        rows.append((f"`matcalc verify identities/` ({v['identities']} identities)",
                     f"{v['median']:.1f} s wall (median of fresh-process runs)", "bench_verify.py"))
    lines = ["| what | result | command |", "| --- | --- | --- |"]
    lines += [f"| {w} | {r} | `python benchmarks/{c}` |" for w, r, c in rows]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only these scripts (names without .py)")
    parser.add_argument("--results", default="/tmp/matcalc-bench")
    parser.add_argument("--no-write", action="store_true", help="leave the READMEs alone")
    parser.add_argument("--quick", action="store_true",
                        help="reduced settings (fewer rounds; stated in the tables)")
    args = parser.parse_args()
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)

    def log(text):
        print(text, file=sys.stderr, flush=True)

    info = machine(ROOT)
    chosen = [(n, QUICK[n] if args.quick else a) for n, a in BENCHMARKS
              if not args.only or n in args.only]
    outputs, summaries, loads = {}, {}, {}
    for name, bench_args in chosen:
        outputs[name], summaries[name], loads[name] = run(name, bench_args, results, log)
    # summaries of scripts not run this time: the previous run's, when there is one
    for name, _ in BENCHMARKS:
        old = results / f"{name}.json"
        if name not in summaries and old.exists():
            summaries[name] = json.loads(old.read_text())
    (results / "run.json").write_text(json.dumps(info, indent=1))
    if args.no_write:
        for name in outputs:
            print(outputs[name])
        return
    readme = HERE / "README.md"
    text = readme.read_text()
    commands = "; ".join(f"`{n}.py {' '.join(a)}`".replace(" `", "`") for n, a in chosen)
    if args.only:
        # a partial run: its blocks say when they were made; the run description and the
        # top README's summary stay those of the last full run
        for name, markdown in outputs.items():
            stamp = (f"*Regenerated {info['date']}, commit {info['commit']}, load "
                     f"{loads[name]}: `python benchmarks/run_all.py --only {name}` "
                     f"(`{name}.py {' '.join(dict(chosen)[name])}`).*\n\n")
            text = replace_block(text, name, stamp + demote(markdown))
        readme.write_text(text)
        log(f"wrote {readme} (blocks {', '.join(outputs)})")
        return
    text = replace_block(text, "run", run_description(info, commands, args.quick, loads))
    for name, markdown in outputs.items():
        text = replace_block(text, name, demote(markdown))
    readme.write_text(text)
    top = ROOT / "README.md"
    top_text = top.read_text()
    peak = f", load {max(loads.values(), key=float)} at most" if loads else ""
    top_text = replace_block(top_text, "benchmarks summary",
                             f"Measured {info['date']} on {info['cpu']} ({info['cores']} cores, "
                             f"shared{peak}), "
                             f"{info['versions']}"
                             f"{', reduced settings (--quick)' if args.quick else ''}; "
                             f"every figure below comes from "
                             f"`python benchmarks/run_all.py`, whose full tables are in "
                             f"[`benchmarks/README.md`](benchmarks/README.md).\n\n"
                             + summary_table(summaries))
    top.write_text(top_text)
    log(f"wrote {readme} and {top}")


if __name__ == "__main__":
    main()
