"""Fuzz ``matcalc.parse.parse`` with hypothesis for a given number of minutes.

    python benchmarks/fuzz_parser.py --minutes 10          # the benchmark profile
    python benchmarks/fuzz_parser.py --minutes 1 --derive  # also differentiate what parses

Inputs come from four generators: token soup (names, numbers, every operator and
function name, brackets, commas), mutations of well-formed expressions (characters
inserted, deleted, swapped, duplicated), arbitrary unicode text, and pathological
shapes (deep nesting, long chains, huge literals). Each input is parsed with a few
shape tables; the only allowed outcomes are a ``Parsed`` result or ``ParseError`` /
``ShapeError`` / ``NonSquareMatrixError`` within ``--max-seconds`` (default 2 s),
and the canary text hidden in the inputs must never be evaluated. Any other
exception, a slow input or an evaluated canary is a finding: printed with the
input, and the script exits 1. ``--derive`` also runs ``matcalc.grad`` (or
``jacobian``) on what parses, counting UnsupportedError as honest and any other
exception from the engine as an engine finding (reported separately).
"""
import argparse
import builtins
import os
import signal
import sys
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from hypothesis import HealthCheck, Phase, given, seed as hypothesis_seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import matcalc  # noqa: E402
from matcalc.errors import NonSquareMatrixError, ParseError, ShapeError  # noqa: E402
from matcalc.parse import FUNCTIONS, parse  # noqa: E402

ALLOWED = (ParseError, ShapeError, NonSquareMatrixError)
CANARY = "__import__('builtins').__setattr__('MATCALC_CANARY',True)"
NAMES = ["X", "Y", "A", "B", "x", "y", "a", "n", "m", "alpha", "lambda", "I", "T", "e", "E",
         "__import__", "os", "eval", "lambda_", "_", "Q", "S"]
OPERATORS = ["+", "-", "*", "/", "@", "^", "**", ".*", ".^", "'", ".T", "(", ")", ",", " ",
             "[", "]", "=", ".", "\t", "\n"]
NUMBERS = ["0", "1", "2", "0.5", ".25", "1e-3", "1e308", "1e999", "9" * 120, "3.", "-1",
           "0x10", "1_000"]
SEEDS = ["tr(X'*A*X)", "log(det(X))", "norm(X*W - Y)^2", "x'*A*x", "kron(A, X)",
         "hadamard(X, A) + X .* B", "sigmoid(W*x)", "inv(X)^-1", "diag(x)*X", "X^-T",
         "det(inv(A + X))", "tr(exp(X)) + scalar(x'*x)", "logdet(S)", "ones(n, m)'*Y",
         "eye(n) - X/2", "abs(x) .^ 0.5", "diagonal(X)'*x"]
SHAPE_TABLES = [None, {"X": "n,m", "W": "m,k", "Y": "n,k"}, {"X": "3,3", "x": "3"},
                {"A": "scalar", "x": "n,n"}]


def _tokens():
    token = st.one_of(st.sampled_from(NAMES), st.sampled_from(OPERATORS),
                      st.sampled_from(NUMBERS), st.sampled_from(sorted(FUNCTIONS)),
                      st.sampled_from(["(", ")"]), st.just(CANARY))
    return st.lists(token, max_size=40).map("".join)


@st.composite
def _mutations(draw):
    text = draw(st.sampled_from(SEEDS + [CANARY]))
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "swap", "duplicate"]))
        piece = draw(st.sampled_from(OPERATORS + NAMES + NUMBERS + list(FUNCTIONS)))
        if op == "insert":
            text = text[:i] + piece + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "swap" and i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        else:
            text = text[:i] + text[i:] * 2
    return text


@st.composite
def _pathological(draw):
    k = draw(st.integers(1, 5000))
    kind = draw(st.sampled_from(["parens", "calls", "sum", "product", "power", "transposes",
                                 "negations", "literal", "unclosed", "hadamard-power"]))
    return {"parens": "(" * k + "X" + ")" * k,
            "calls": "tr(" * k + "X" + ")" * k,
            "sum": "+".join(["X"] * k),
            "product": "*".join(["X"] * k),
            "power": "^".join(["2"] * min(k, 50)) + "^X",
            "transposes": "X" + "'" * k,
            "negations": "-" * k + "X",
            "literal": "1" * k,
            "unclosed": "tr(" * k,
            "hadamard-power": "X" + " .^ 2" * k}[kind]


INPUTS = st.one_of(_tokens(), _mutations(), st.text(max_size=60), _pathological())


class _Slow(Exception):
    pass


def _alarm(signum, frame):
    raise _Slow()


def fuzz(minutes, max_seconds, derive, seed, report_every=60.0):
    deadline = time.monotonic() + 60.0 * minutes
    counts, engine = Counter(), Counter()
    findings = []
    slowest = (0.0, "")
    signal.signal(signal.SIGALRM, _alarm)
    started = time.monotonic()
    last = started

    def one(text):
        nonlocal slowest
        for table in SHAPE_TABLES:
            builtins.__dict__.pop("MATCALC_CANARY", None)
            t0 = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, max_seconds * 5)
            try:
                parsed = parse(text, shapes=table)
                outcome = "parsed"
            except ALLOWED as exc:
                parsed, outcome = None, type(exc).__name__
            except _Slow:
                findings.append(("hang", text, table, f"over {5 * max_seconds} s"))
                continue
            except Exception as exc:  # noqa: BLE001 -- the contract allows nothing else
                findings.append(("exception", text, table, f"{type(exc).__name__}: {exc}"))
                continue
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            took = time.perf_counter() - t0
            if took > slowest[0]:
                slowest = (took, text[:80])
            if took > max_seconds:
                findings.append(("slow", text, table, f"{took:.2f} s"))
            if builtins.__dict__.pop("MATCALC_CANARY", False):
                findings.append(("canary evaluated", text, table, ""))
            counts[outcome] += 1
            if derive and parsed is not None:
                engine[_derive(parsed, max_seconds)] += 1

    run_seed = seed
    while time.monotonic() < deadline:
        @hypothesis_seed(run_seed)
        @settings(max_examples=500, deadline=None, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(INPUTS)
        def batch(text):
            if time.monotonic() < deadline:
                one(text)

        batch()
        run_seed += 1
        if time.monotonic() - last > report_every:
            last = time.monotonic()
            print(f"  {last - started:.0f} s: {sum(counts.values())} parses {dict(counts)}; "
                  f"{len(findings)} findings", flush=True)
    return counts, engine, findings, slowest, time.monotonic() - started


def _derive(parsed, max_seconds):
    """Outcome of differentiating a parsed expression w.r.t. its first matrix symbol."""
    from sympy import MatrixSymbol
    from sympy.matrices.expressions.matexpr import MatrixExpr
    variables = [s for s in parsed.expr.free_symbols if isinstance(s, MatrixSymbol)]
    if not variables:
        return "no variable"
    X = sorted(variables, key=lambda s: s.name)[0]
    matrix = isinstance(parsed.expr, MatrixExpr) and parsed.expr.shape != (1, 1)
    signal.setitimer(signal.ITIMER_REAL, max_seconds * 10)
    try:
        (matcalc.jacobian if matrix else matcalc.grad)(parsed.expr, X)
        return "derived"
    except matcalc.UnsupportedError:
        return "unsupported"
    except _Slow:
        return "engine slow"
    except Exception as exc:  # noqa: BLE001
        return f"engine {type(exc).__name__}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--max-seconds", type=float, default=2.0,
                        help="an input parsed slower than this is a finding")
    parser.add_argument("--derive", action="store_true",
                        help="also differentiate what parses (engine findings counted apart)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    counts, engine, findings, slowest, wall = fuzz(args.minutes, args.max_seconds, args.derive,
                                                   args.seed)
    total = sum(counts.values())
    print(f"\nparser fuzz: {total} parses of {total // len(SHAPE_TABLES)} inputs in "
          f"{wall / 60:.1f} min: {dict(counts)}")
    print(f"slowest input: {slowest[0]:.3f} s ({slowest[1]!r})")
    if engine:
        print(f"engine on parsed inputs: {dict(engine)}")
    for kind, text, table, detail in findings[:20]:
        print(f"FINDING {kind}: {text[:200]!r} shapes={table}: {detail[:300]}")
    print("OK: only ParseError / ShapeError / NonSquareMatrixError, no hang, no evaluation"
          if not findings else f"{len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
