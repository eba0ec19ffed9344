"""The random campaign restricted to draws that contain a decomposition or matrix function.

    python benchmarks/campaign_decompositions.py --examples 400 --seed 14

Draws gradients, Jacobians and Hessians from ``tests/strategies_matrix.py`` (the
grammar of ``benchmarks/campaign.py``), keeps only those whose function contains
an eigenvalue/eigenvector, singular value/vector, nuclear norm, pseudo-inverse,
Cholesky factor, Phi, e^M, log M, M^{1/2} or a block-form Frechet derivative, and
runs each through the engine and the numeric oracle. Prints the outcome counts
per kind and, per construct, how many draws contained it and their outcomes.
Mismatches, crashes and timeouts are written with reproducers to ``--out``.
"""
import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict

# thousands of tiny matrices: BLAS threads only contend for shared cores (see tests/conftest.py)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from hypothesis import HealthCheck, Phase, given, seed as hypothesis_seed, settings  # noqa: E402

from matcalc.constructs.block_function import BlockFunction  # noqa: E402
from matcalc.constructs.cholesky import Cholesky, Phi  # noqa: E402
from matcalc.constructs.eigen import Eigenvalue, Eigenvector, LeftEigenvector  # noqa: E402
from matcalc.constructs.eigensystem import Eigenvalues, Eigenvectors  # noqa: E402
from matcalc.constructs.matrix_functions import MatrixExp, MatrixLog, MatrixSqrt  # noqa: E402
from matcalc.constructs.pinv import PseudoInverse  # noqa: E402
from matcalc.constructs.svd import NuclearNorm, SingularValue, SingularVector  # noqa: E402
import strategies_matrix  # noqa: E402
from strategies_matrix import OUTCOMES, STRATEGIES, outcome_of  # noqa: E402

strategies_matrix.DECOMPOSITION_GATE = (True,)  # every node may be a decomposition

CONSTRUCTS = (Eigenvalue, Eigenvector, LeftEigenvector, Eigenvalues, Eigenvectors, SingularValue,
              SingularVector, NuclearNorm, PseudoInverse, Cholesky, Phi, MatrixExp, MatrixLog,
              MatrixSqrt, BlockFunction)
DEPTH = {"gradient": 4, "jacobian": 3, "hessian": 2}
SPLIT = {"gradient": 0.45, "jacobian": 0.35, "hessian": 0.2}


def _subexpressions(f):
    from sympy import preorder_traversal
    return preorder_traversal(f)


def run_kind(kind, examples, seed, timeout, out, per_construct):
    counts = Counter()
    started = time.time()
    strategy = STRATEGIES[kind](max_depth=DEPTH[kind]).filter(
        lambda p: any(isinstance(s, CONSTRUCTS) for s in _subexpressions(p.f)))

    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(problem):
        try:
            outcome, detail = outcome_of(problem, points=2, rtol=1e-5, timeout=timeout)
        except BaseException as exc:  # never stop the campaign; record it
            if isinstance(exc, KeyboardInterrupt):
                raise
            outcome, detail = "crash", f"campaign: {type(exc).__name__}: {str(exc)[:300]}"
        counts[outcome] += 1
        for name in {type(s).__name__ for s in _subexpressions(problem.f)
                     if isinstance(s, CONSTRUCTS)}:
            per_construct[name][outcome] += 1
        if outcome in ("mismatch", "crash", "timeout"):
            out.write(json.dumps({"kind": kind, "outcome": outcome, "problem": str(problem),
                                  "detail": detail, "reproducer": problem.reproducer()}) + "\n")
            out.flush()

    run()
    return counts, time.time() - started


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| --- | " + " | ".join("---:" for _ in header[1:])
             + " |"]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=400, help="total over the kinds")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per problem")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks",
                                                      "campaign-decompositions-failures.jsonl"))
    args = parser.parse_args(argv)
    results, per_construct = {}, defaultdict(Counter)
    started = time.time()
    with open(args.out, "w") as out:
        for kind, share in SPLIT.items():
            count = max(1, round(args.examples * share))
            results[kind] = run_kind(kind, count, args.seed, args.timeout, out, per_construct)
            print(f"{kind}: {dict(results[kind][0])} in {results[kind][1]:.0f} s", flush=True)
    total = Counter()
    for counts, _ in results.values():
        total.update(counts)
    print(f"\n{sum(total.values())} draws containing a decomposition, seed {args.seed}, "
          f"{time.time() - started:.0f} s\n")
    print(table(["kind", "examples", *OUTCOMES, "time (s)"],
                [[k, sum(c.values()), *(c.get(o, 0) for o in OUTCOMES), f"{s:.0f}"]
                 for k, (c, s) in results.items()]
                + [["**all**", sum(total.values()), *(total.get(o, 0) for o in OUTCOMES), ""]]))
    print()
    print(table(["construct", "draws", *OUTCOMES],
                [[name, sum(c.values()), *(c.get(o, 0) for o in OUTCOMES)]
                 for name, c in sorted(per_construct.items())]))
    print(f"\nmismatches, crashes and timeouts with reproducers: {args.out}")
    return 1 if total.get("mismatch", 0) + total.get("crash", 0) else 0


if __name__ == "__main__":
    sys.exit(main())
