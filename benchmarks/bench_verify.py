"""Seconds to verify the whole identity catalogue: ``python -m matcalc verify identities/``.

    python benchmarks/bench_verify.py                 # 3 runs, each a fresh process
    python benchmarks/bench_verify.py --repeats 1

Each run is a new interpreter (so import time and a cold SymPy cache are included, as a
user sees them); the report's JSON (``--json``) gives the pass / fail / erratum / unsupported counts and
the verifier's own time (without interpreter start-up and imports).
Prints Markdown.
"""
import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(catalogue, report_path):
    command = [sys.executable, "-m", "matcalc", "verify", str(catalogue), "--json",
               str(report_path), "--no-progress"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, done


def _counts(report):
    """Outcome counts (pass / fail / erratum / unsupported / error) and the verifier's own
    seconds, from the JSON report."""
    counts = Counter({k: v for k, v in report.get("counts", {}).items() if v})
    if not counts:  # an older layout: count the identities' outcomes
        counts = Counter(i.get("outcome", "?") for i in report.get("identities", []))
    return counts, report.get("seconds")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--catalogue", default=str(ROOT / "identities"))
    parser.add_argument("--summary", help="write the headline figures as JSON here")
    args = parser.parse_args()
    times, inner, counts, last = [], [], Counter(), None
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeats):
            report_path = Path(tmp) / f"report{k}.json"
            elapsed, done = run_once(args.catalogue, report_path)
            last = done
            if done.returncode not in (0, 1):  # 1: some identity failed, still a full run
                print(f"`matcalc verify` exited {done.returncode}:\n```\n{done.stderr[-3000:]}\n```")
                sys.exit(1)
            times.append(elapsed)
            if report_path.exists():
                counts, seconds = _counts(json.loads(report_path.read_text()))
                if seconds is not None:
                    inner.append(seconds)
            print(f"  run {k + 1}: {elapsed:.1f} s", file=sys.stderr)
    files = sorted(Path(args.catalogue).glob("*.toml"))
    total = sum(counts.values())
    print("## Verifying the identity catalogue\n")
    print(f"Command: `python -m matcalc verify {Path(args.catalogue).name}/` "
          f"(Python {platform.python_version()}, {len(files)} catalogue files, "
          f"{args.repeats} fresh-process runs)\n")
    print("| runs | wall median (s) | min (s) | max (s) | verifier's own time (s) | identities | "
          "per identity (ms) | outcomes |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    median = statistics.median(times)
    per = f"{median / total * 1e3:.0f}" if total else "–"
    outcome = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "–"
    own = f"{statistics.median(inner):.1f}" if inner else "–"
    print(f"| {len(times)} | {median:.1f} | {min(times):.1f} | {max(times):.1f} | {own} | "
          f"{total or '–'} | {per} | {outcome} |")
    tail = [line for line in last.stdout.strip().splitlines() if line.strip()][-3:]
    if tail:
        print("\nLast lines of the report:\n\n```\n" + "\n".join(tail) + "\n```")
    if args.summary:
        Path(args.summary).write_text(json.dumps({"median": median, "identities": total,
                                                  "outcomes": dict(counts)}))


if __name__ == "__main__":
    main()
