"""Behaviour snapshot: every result the test suite and the catalogue produce, as printed text.

A refactoring that must not change behaviour is checked with it:

    python benchmarks/snapshot_behaviour.py record inputs.pkl        # run the tests, keep every input
    python benchmarks/snapshot_behaviour.py replay inputs.pkl before.json
    ... move the code ...
    python benchmarks/snapshot_behaviour.py replay inputs.pkl after.json
    python benchmarks/snapshot_behaviour.py diff before.json after.json

``record`` runs the test suite in this process with ``grad``, ``derive``, ``jacobian``,
``hessian`` and ``parse`` wrapped so that each distinct call's arguments are pickled.
``replay`` recomputes every recorded call with the code as it is now and writes, per call,
the result's ``str``, its text form (the CLI's), its LaTeX, and for ``derive`` the steps
(or the exception type and message).  Classes are looked up by name when unpickling, so
inputs recorded before a class moved to another module still load.  The pickles are this
tool's own files, never user input.
"""
import hashlib
import importlib
import json
import pickle
import pkgutil
import signal
import sys
import time

TIME_LIMIT = 30  # seconds per replayed call (a few test inputs are slow by design)


class _Recorder:
    """A pytest plugin wrapping the public entry points while the tests run."""

    def __init__(self):
        self.calls = {}

    def pytest_configure(self, config):
        import matcalc
        matcalc.check  # noqa: B018  (binds the lazy exports)
        targets = {"grad": ["matcalc.derivatives", "matcalc"],
                   "derive": ["matcalc.derivatives", "matcalc"],
                   "jacobian": ["matcalc.derivatives", "matcalc"],
                   "hessian": ["matcalc.derivatives", "matcalc"],
                   "parse": ["matcalc.parse"]}
        for name, modules in targets.items():
            for module_name in modules:
                module = sys.modules.get(module_name) or importlib.import_module(module_name)
                original = module.__dict__.get(name)
                if original is None or getattr(original, "_recorded", False):
                    continue
                module.__dict__[name] = self._wrap(name, original)

    def _wrap(self, name, original):
        def wrapper(*args, **kwargs):
            try:
                blob = pickle.dumps((name, args, kwargs))
            except Exception:
                blob = None
            if blob is not None:
                self.calls.setdefault(hashlib.sha1(blob).hexdigest(), blob)
            return original(*args, **kwargs)
        wrapper._recorded = True
        wrapper.__wrapped__ = original
        return wrapper


def record(path, pytest_args=()):
    import pytest
    recorder = _Recorder()
    code = pytest.main(["-q", "-p", "no:cacheprovider", *pytest_args], plugins=[recorder])
    with open(path, "wb") as handle:
        pickle.dump(sorted(recorder.calls.values()), handle)
    print(f"recorded {len(recorder.calls)} distinct calls (pytest exit {code}) -> {path}")


def _classes():
    """Every class defined in the matcalc package, by name (for unpickling moved classes)."""
    import matcalc
    table = {}
    for info in pkgutil.walk_packages(matcalc.__path__, "matcalc."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for key, value in vars(module).items():
            if isinstance(value, type) and value.__module__.startswith("matcalc"):
                table.setdefault(key, value)
    return table


class _Unpickler(pickle.Unpickler):
    table = None

    def find_class(self, module, name):
        if module.startswith("matcalc"):
            if _Unpickler.table is None:
                _Unpickler.table = _classes()
            if name in _Unpickler.table:
                return _Unpickler.table[name]
        return super().find_class(module, name)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def _entry_points():
    import matcalc
    from matcalc.parse import parse
    return {"grad": matcalc.grad, "derive": matcalc.derive, "jacobian": matcalc.jacobian,
            "hessian": matcalc.hessian, "parse": parse}


def _text_form():
    try:
        from matcalc.printing.text import text_form
    except ImportError:
        from matcalc.cli import text_form
    return text_form


def _printed(result):
    import matcalc
    text_form = _text_form()
    if hasattr(result, "expr") and hasattr(result, "symbols"):   # parse(): a Parsed
        import sympy
        return {"srepr": sympy.srepr(result.expr)}
    if hasattr(result, "steps"):                                  # derive(): a Derivation
        return {"str": str(result), "latex": result.latex(), "text": text_form(result.result),
                "steps": [[s.rule, text_form(s.expr)] for s in result.steps]}
    return {"str": str(result), "text": text_form(result), "latex": matcalc.latex(result)}


def replay(inputs, output):
    with open(inputs, "rb") as handle:
        blobs = pickle.load(handle)
    entry = _entry_points()
    out = {}
    previous = signal.signal(signal.SIGALRM, _alarm)
    sys.setrecursionlimit(20000)
    start = time.perf_counter()
    for k, blob in enumerate(blobs):
        key = hashlib.sha1(blob).hexdigest()
        try:
            name, args, kwargs = _Unpickler(__import__("io").BytesIO(blob)).load()
        except Exception as exc:
            out[key] = {"error": f"unpickle: {type(exc).__name__}: {exc}"}
            continue
        signal.alarm(TIME_LIMIT)
        try:
            record_ = {"call": name, **_printed(entry[name](*args, **kwargs))}
        except _Timeout:
            record_ = {"call": name, "timeout": TIME_LIMIT}
        except Exception as exc:
            record_ = {"call": name, "raised": type(exc).__name__, "message": str(exc)[:2000]}
        finally:
            signal.alarm(0)
        try:
            record_["input"] = repr(args)[:300]
        except Exception:
            record_["input"] = "?"
        out[key] = record_
        if k % 200 == 0:
            print(f"  {k}/{len(blobs)}  {time.perf_counter() - start:.0f} s", file=sys.stderr)
    signal.signal(signal.SIGALRM, previous)
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(out, handle, indent=1, sort_keys=True, ensure_ascii=False)
    print(f"replayed {len(out)} calls in {time.perf_counter() - start:.0f} s -> {output}")


def _normalized(path):
    """The snapshot with Dummy indices (which depend on import order) blanked out."""
    import re
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return json.loads(re.sub(r"dummy_index=\d+", "dummy_index=N", text))


def diff(before, after):
    a, b = _normalized(before), _normalized(after)
    changed = 0
    for key in sorted(set(a) | set(b)):
        ra, rb = a.get(key), b.get(key)
        if ra == rb:
            continue
        if ra and rb and "timeout" in ra and "timeout" in rb:
            continue
        changed += 1
        print(f"--- {key} {(ra or rb).get('call')} {(ra or rb).get('input', '')[:200]}")
        for field in sorted(set(ra or {}) | set(rb or {})):
            va, vb = (ra or {}).get(field), (rb or {}).get(field)
            if va != vb:
                print(f"  {field}:\n    before: {str(va)[:600]}\n    after:  {str(vb)[:600]}")
    print(f"{changed} of {len(set(a) | set(b))} calls differ")
    return changed


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    if command == "record":
        record(rest[0], rest[1:])
    elif command == "replay":
        replay(*rest)
    elif command == "diff":
        sys.exit(1 if diff(*rest) else 0)
    else:
        raise SystemExit(__doc__)
