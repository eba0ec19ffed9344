"""One language, measured: how many of the results the test suite and the catalogue produce
read back with ``matcalc.parse`` from their text (``text_form``), and why the others do not.

    python3 benchmarks/round_trip.py                        # the catalogue only (~20 s)
    python3 benchmarks/round_trip.py /tmp/snap/inputs.pkl   # and every recorded test call

The inputs file is ``benchmarks/snapshot_behaviour.py record``'s: every grad / derive /
jacobian / hessian call the test suite made.  Each distinct result (by its text) is printed
with ``text_form``, parsed under the declarations of its own symbols and compared
(``tests/test_round_trip.py``: exactly, or by ``equal_forms``); a result that does not
compare equal is evaluated at a random point on both sides (``matcalc.numeric``), so
"same value, other form" is told apart from a wrong reading.  Prints the counts and one
line per result that does not round-trip.
"""
import collections
import io
import pathlib
import pickle
import signal
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]
sys.setrecursionlimit(20000)

from sympy import Basic  # noqa: E402

from test_round_trip import IDENTITIES, read_back  # noqa: E402
from matcalc.simplify import equal_forms  # noqa: E402
from matcalc.catalogue import derive_for  # noqa: E402


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def same_value(a, b):
    """Do ``a`` and ``b`` evaluate equal at a random point (None: cannot tell)?"""
    try:
        import numpy as np
        from matcalc.numeric import evaluate, random_point
        point = random_point(a, b, seed=1)
        x, y = np.asarray(evaluate(a, point), float), np.asarray(evaluate(b, point), float)
        return bool(x.shape == y.shape and np.allclose(x, y, rtol=1e-8, atol=1e-10))
    except Exception:
        return None


def outcome(expr):
    """("exact" | "equal" | "same value, other form" | "differs" | "parse error", text, detail)."""
    try:
        text, parsed = read_back(expr)
    except Exception as exc:
        return "parse error", "", f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    if parsed == expr:
        return "exact", text, ""
    if equal_forms(parsed, expr):
        return "equal", text, ""
    value = same_value(parsed, expr)
    kind = {True: "same value, other form", False: "differs"}.get(value, "not comparable")
    return kind, text, str(parsed)


def catalogue_results():
    for identity in IDENTITIES:
        parsed = identity.parsed()
        try:
            yield identity.id, derive_for(identity.kind, parsed.expr, parsed.variable,
                                          identity.layout, identity.structure)
        except Exception:
            continue


def recorded_results(path):
    from snapshot_behaviour import _Unpickler, _entry_points
    entry = _entry_points()
    for blob in pickle.load(open(path, "rb")):
        try:
            name, args, kwargs = _Unpickler(io.BytesIO(blob)).load()
        except Exception:
            continue
        if name == "parse":
            continue
        signal.alarm(20)
        try:
            result = entry[name](*args, **kwargs)
        except BaseException:
            continue
        finally:
            signal.alarm(0)
        yield f"{name}{repr(args)[:60]}", getattr(result, "result", result)


def report(title, results):
    counts, seen, failures = collections.Counter(), set(), []
    for key, expr in results:
        if not isinstance(expr, Basic):
            continue
        signal.alarm(30)
        try:
            kind, text, detail = outcome(expr)
        except _Timeout:
            kind, text, detail = "timeout", "", ""
        finally:
            signal.alarm(0)
        if (kind, text) in seen:
            continue
        seen.add((kind, text))
        counts[kind] += 1
        if kind not in ("exact", "equal"):
            failures.append(f"  {kind}: {key}\n    text: {text[:300]}\n    {detail[:300]}")
    total = sum(counts.values())
    print(f"## {title}: {total} distinct results")
    for kind, count in counts.most_common():
        print(f"- {kind}: {count}")
    print("\n".join(failures))
    print()


if __name__ == "__main__":
    signal.signal(signal.SIGALRM, _alarm)
    report("catalogue (identities/)", catalogue_results())
    if len(sys.argv) > 1:
        report(f"recorded test-suite calls ({sys.argv[1]})", recorded_results(sys.argv[1]))
