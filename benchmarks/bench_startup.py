"""Start-up: ``import matcalc`` and a cold ``matcalc grad`` call against a bare ``import sympy``.

    python benchmarks/bench_startup.py                # 15 rounds
    python benchmarks/bench_startup.py --rounds 5

Each measurement is a fresh interpreter (``python -c ...`` or ``python -m matcalc grad ...``),
wall time from ``subprocess.run`` to its exit.  The three commands run interleaved, one of
each per round in a fresh random order, so that load on the shared machine hits all of them
alike; medians with min - max are reported.

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
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()[-400:]}")
    return elapsed


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
    times = {name: [] for name in COMMANDS}
    rng = random.Random(0)
    for _ in range(args.rounds):
        order = list(COMMANDS)
        rng.shuffle(order)
        for name in order:
            times[name].append(run(COMMANDS[name]))
    base = statistics.median(times["import sympy"])
    print("## Start-up (fresh interpreters)\n")
    how = ("matcalc's bytecode compiled first (`python -m compileall matcalc`, as an installed "
           "package has it)" if not args.no_compile else
           "matcalc compiled from source on every import (no bytecode)")
    print(f"{args.rounds} interleaved rounds (random order per round), Python "
          f"{platform.python_version()}, {how}; "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', 'unset')}.\n")
    print("| command | median (ms) | min – max (ms) | / import sympy | minus import sympy (ms) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| `{' '.join(COMMANDS[name][1:]) if name != 'import sympy' else 'python -c import sympy'}` "
              f"({name}) | {ms_spread(ts)} | {med / base:.2f}x | {(med - base) * 1e3:+.0f} |")
    imp = statistics.median(times["import matcalc"]) / base
    cli = statistics.median(times["matcalc grad (cold CLI)"]) - base
    print()
    print(f"Target `import matcalc` <= 1.2x `import sympy`: **{'met' if imp <= 1.2 else 'missed'}** "
          f"({imp:.2f}x).  Target cold `matcalc grad` within 0.15 s of `import sympy`: "
          f"**{'met' if cli <= 0.15 else 'missed'}** (+{cli:.3f} s).")
    if args.summary:
        import json
        Path(args.summary).write_text(json.dumps({"import_ratio": imp, "cli_delta": cli,
                                                  "sympy": base}))


if __name__ == "__main__":
    main()
