"""The long random-expression campaign: engine against oracle on thousands of draws.

    python benchmarks/campaign.py --examples 20000            # the long profile
    python benchmarks/campaign.py --examples 300 --kinds hessian --seed 7

Draws problems from ``tests/strategies_matrix.py`` (gradients, Jacobians and
Hessians of shape-aware random expressions up to depth 5) and from the
original gradient grammar of ``tests/strategies.py``, runs each through the
engine and the numeric oracle, and counts the outcomes per kind:

    correct      the oracle confirms the engine
    unsupported  the engine raised UnsupportedError naming the construct
    mismatch     the oracle reliably refutes the engine (or the shape is wrong)
    unreliable   the oracle could neither confirm nor refute (finite differences
                 did not settle, or f was undefined at every drawn point)
    crash        the engine (or the oracle) raised anything else
    timeout      one problem took longer than --timeout seconds

``--examples`` is the total over the kinds, split by ``--split``. Every
mismatch, crash and timeout is written with a Python reproducer to
``--out`` (JSON lines); the summary table is printed as Markdown, ready for
benchmarks/CAMPAIGN.md.
"""
import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import date

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

import matcalc  # noqa: E402,F401  (first: it sizes SymPy's cache before SymPy is imported)

from hypothesis import HealthCheck, Phase, given, seed as hypothesis_seed, settings  # noqa: E402

import strategies as square_grammar  # noqa: E402
from strategies_matrix import OUTCOMES, STRATEGIES, Problem, outcome_of  # noqa: E402

KINDS = ("gradient", "gradient-square", "jacobian", "hessian")
DEFAULT_SPLIT = {"gradient": 0.4, "gradient-square": 0.1, "jacobian": 0.3, "hessian": 0.2}


def strategy(kind, max_depth):
    if kind == "gradient-square":  # the original n x n grammar, deeper
        return square_grammar.scalar_functions(max_depth=max_depth).map(
            lambda f: Problem("gradient", f, square_grammar.X))
    depth = {"gradient": max_depth, "jacobian": max(max_depth - 1, 1),
             "hessian": max(max_depth - 2, 1)}[kind]
    return STRATEGIES[kind](max_depth=depth)


def run_kind(kind, examples, seed, max_depth, timeout, out, progress_every=0):
    counts = Counter()
    started = time.time()

    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy(kind, max_depth))
    def run(problem):
        try:
            outcome, detail = outcome_of(problem, timeout=timeout)
        except BaseException as exc:  # never stop the campaign; record it
            if isinstance(exc, KeyboardInterrupt):
                raise
            outcome, detail = "crash", f"campaign: {type(exc).__name__}: {str(exc)[:300]}"
        counts[outcome] += 1
        if outcome in ("mismatch", "crash", "timeout"):
            out.write(json.dumps({"kind": kind, "outcome": outcome, "problem": str(problem),
                                  "detail": detail, "reproducer": problem.reproducer()}) + "\n")
            out.flush()
        total = sum(counts.values())
        if progress_every and total % progress_every == 0:
            print(f"  {kind}: {total} examples, {dict(counts)}, "
                  f"{time.time() - started:.0f} s", flush=True)

    run()
    return counts, time.time() - started


def markdown(results, examples, seed, max_depth, wall):
    lines = [f"### Campaign of {date.today().isoformat()}: {examples} examples, seed {seed}, "
             f"max depth {max_depth}, {wall / 60:.0f} min", "",
             "| kind | examples | " + " | ".join(OUTCOMES) + " | time (s) |",
             "| --- | ---: | " + " | ".join("---:" for _ in OUTCOMES) + " | ---: |"]
    total = Counter()
    for kind, (counts, seconds) in results.items():
        total.update(counts)
        lines.append(f"| {kind} | {sum(counts.values())} | "
                     + " | ".join(str(counts.get(o, 0)) for o in OUTCOMES)
                     + f" | {seconds:.0f} |")
    lines.append(f"| **all** | {sum(total.values())} | "
                 + " | ".join(str(total.get(o, 0)) for o in OUTCOMES) + f" | {wall:.0f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20000, help="total over the kinds")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--max-depth", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per problem")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "campaign-failures.jsonl"))
    parser.add_argument("--progress", type=int, default=200, help="report every N examples")
    args = parser.parse_args(argv)
    share = {k: DEFAULT_SPLIT[k] for k in args.kinds}
    norm_ = sum(share.values())
    results = {}
    started = time.time()
    with open(args.out, "w") as out:
        for kind in args.kinds:
            count = max(1, round(args.examples * share[kind] / norm_))
            print(f"{kind}: {count} examples", flush=True)
            results[kind] = run_kind(kind, count, args.seed, args.max_depth, args.timeout, out,
                                     args.progress)
            print(f"  {kind}: {dict(results[kind][0])} in {results[kind][1]:.0f} s", flush=True)
    print()
    print(markdown(results, args.examples, args.seed, args.max_depth, time.time() - started))
    print(f"\nmismatches, crashes and timeouts with reproducers: {args.out}")
    bad = sum(c.get("mismatch", 0) + c.get("crash", 0) for c, _ in results.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
