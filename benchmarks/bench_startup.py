"""Start-up: ``import matcalc`` and a cold ``matcalc grad`` call against a bare ``import sympy``.

    python benchmarks/bench_startup.py                # 15 rounds
    python benchmarks/bench_startup.py --rounds 5

Each measurement is a fresh interpreter (``python -c ...`` or ``python -m matcalc grad ...``):
its wall time from ``subprocess.run`` to its exit, and its CPU time (user + system, from
``resource.getrusage(RUSAGE_CHILDREN)``).  The three commands run interleaved, one of each per
round in a fresh random order, so that load on the shared machine hits all of them alike;
medians with min - max are reported.  The verdicts use CPU time: start-up is single-threaded,
so on an idle machine its wall time is its CPU time, while on this shared machine the wall
time mostly measures the other jobs (``import sympy`` took 0.35 s to 3 s of wall time within
one run at load 6).

Bytecode: an installed package has its modules compiled (pip writes ``__pycache__`` at
install time), and SymPy's are.  This environment sets ``PYTHONDONTWRITEBYTECODE=1`` and
matcalc is installed in editable mode, so without precaution matcalc's modules would be
compiled from source on every import while SymPy's are not.  The benchmark therefore runs
``python -m compileall -q matcalc`` first (as an installed package would have it), and
says so; ``--no-compile`` measures the source-compiling case instead.
"""
import argparse
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_common import ms_spread  # noqa: E402

COMMANDS = {
    "import sympy": [sys.executable, "-c", "import sympy"],
    "import matcalc": [sys.executable, "-c", "import matcalc"],
    "matcalc grad (cold CLI)": [sys.executable, "-m", "matcalc", "grad", "log(det(X)) + tr(A*X)",
                                "--wrt", "X"],
}


def run(command):
    """(wall seconds, CPU seconds) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()[-400:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compile_bytecode():
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "matcalc")], check=True,
                   env=env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-compile", action="store_true",
                        help="do not compile matcalc's bytecode first")
    parser.add_argument("--summary", help="write the headline figures as JSON here")
    args = parser.parse_args()
    if not args.no_compile:
        compile_bytecode()
    for command in COMMANDS.values():   # warm the file system cache once
        run(command)
    wall = {name: [] for name in COMMANDS}
    cpu = {name: [] for name in COMMANDS}
    rng = random.Random(0)
    for _ in range(args.rounds):
        order = list(COMMANDS)
        rng.shuffle(order)
        for name in order:
            w, c = run(COMMANDS[name])
            wall[name].append(w)
            cpu[name].append(c)
    print("## Start-up (fresh interpreters)\n")
    how = ("matcalc's bytecode compiled first (`python -m compileall matcalc`, as an installed "
           "package has it)" if not args.no_compile else
           "matcalc compiled from source on every import (no bytecode)")
    print(f"{args.rounds} interleaved rounds (random order per round), Python "
          f"{platform.python_version()}, {how}; "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', 'unset')}.\n")
    print("| command | CPU median (ms) | CPU min – max (ms) | CPU / import sympy | "
          "CPU minus import sympy (ms) | wall median (ms) | wall min – max (ms) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    base = statistics.median(cpu["import sympy"])
    for name in COMMANDS:
        med = statistics.median(cpu[name])
        shown = "python -c 'import sympy'" if name == "import sympy" else \
            "python " + " ".join(COMMANDS[name][1:])
        print(f"| `{shown}` | {ms_spread(cpu[name])} | {med / base:.2f}x | "
              f"{(med - base) * 1e3:+.0f} | {ms_spread(wall[name])} |")
    imp = statistics.median(cpu["import matcalc"]) / base
    cli = statistics.median(cpu["matcalc grad (cold CLI)"]) - base
    wall_imp = statistics.median(wall["import matcalc"]) / statistics.median(wall["import sympy"])
    wall_cli = statistics.median(wall["matcalc grad (cold CLI)"]) - \
        statistics.median(wall["import sympy"])
    print()
    print(f"Target `import matcalc` <= 1.2x `import sympy` (CPU time): "
          f"**{'met' if imp <= 1.2 else 'missed'}** ({imp:.2f}x; wall {wall_imp:.2f}x).  Target "
          f"cold `matcalc grad` within 0.15 s of `import sympy` (CPU time): "
          f"**{'met' if cli <= 0.15 else 'missed'}** (+{cli:.3f} s; wall +{wall_cli:.3f} s).")
    if args.summary:
        import json
        Path(args.summary).write_text(json.dumps({"import_ratio": imp, "cli_delta": cli,
                                                  "sympy": base, "wall_import_ratio": wall_imp,
                                                  "wall_cli_delta": wall_cli}))


if __name__ == "__main__":
    main()
