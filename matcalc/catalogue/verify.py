"""Verify catalogue identities: derive with matcalc, compare symbolically and numerically.

For each identity:

1. derive the derivative with matcalc (``grad`` / ``jacobian`` / ``hessian``);
2. decide whether it equals the stated result on the canonical form (``equal_forms``);
3. check the derived result, the stated result and (for an erratum) the
   corrected result against finite differences (``matcalc.numeric``).

Outcomes:

============  ==============================================================
pass          derived and stated results both pass the numeric check
erratum       the entry is marked erratum, the printed result fails the check
              and the corrected one (and matcalc's own) passes
unsupported   the entry is marked unsupported (matcalc may confirm it by
              raising ``UnsupportedError``)
fail          anything else: an unexpected failure, or an erratum whose printed
              result passes (the erratum claim is wrong)
error         a malformed entry (see ``matcalc.catalogue.load``)
============  ==============================================================
"""
from __future__ import annotations

import math
import signal
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sympy import Identity as IdentityMatrix
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..errors import CatalogueError, ShapeError, UnsupportedError
from .load import load_catalogue

__all__ = ["Verification", "CatalogueReport", "verify_identity", "verify_catalogue",
           "derive_for", "check_for", "OUTCOMES", "DEFAULT_TIMEOUT", "LONGEST_TIMEOUT"]

OUTCOMES = ("pass", "fail", "erratum", "unsupported", "error")
#: seconds one identity may take before it counts as a failure
DEFAULT_TIMEOUT = 60.0
#: a longer timeout (or inf) is this one: setitimer overflows near 1e10 s
LONGEST_TIMEOUT = 1e6


@dataclass
class Verification:
    """The verification record of one identity."""
    id: str
    section: str
    status: str                      # declared: verified | erratum | unsupported | malformed
    outcome: str                     # pass | fail | erratum | unsupported | error
    message: str = ""
    derived: object = None           # matcalc's result (a SymPy object) or None
    symbolic_equal: bool | None = None    # derived == stated (== corrected for an erratum)
    derived_error: float | None = None    # max relative errors against finite differences
    stated_error: float | None = None
    corrected_error: float | None = None
    derived_passed: bool | None = None
    stated_passed: bool | None = None
    corrected_passed: bool | None = None
    seconds: float = 0.0
    source: str = ""
    path: str = ""

    @property
    def expected(self):
        return self.outcome in ("pass", "erratum", "unsupported")

    def as_dict(self):
        def finite(value):
            return value if value is None or math.isfinite(value) else None
        return {"id": self.id, "section": self.section, "source": self.source,
                "file": self.path, "status": self.status, "outcome": self.outcome,
                "message": self.message,
                "derived": None if self.derived is None else str(self.derived),
                "symbolic_equal": self.symbolic_equal,
                "derived_error": finite(self.derived_error),
                "stated_error": finite(self.stated_error),
                "corrected_error": finite(self.corrected_error),
                "derived_passed": self.derived_passed, "stated_passed": self.stated_passed,
                "corrected_passed": self.corrected_passed,
                "seconds": round(self.seconds, 4)}


@dataclass
class CatalogueReport:
    """All verification records of a catalogue, with per-section counts."""
    results: list = field(default_factory=list)
    seconds: float = 0.0
    titles: dict = field(default_factory=dict)     # section -> title

    @property
    def counts(self):
        return Counter(r.outcome for r in self.results)

    def sections(self):
        """section -> Counter of outcomes, in catalogue order."""
        table = {}
        for r in self.results:
            table.setdefault(r.section, Counter())[r.outcome] += 1
        return table

    @property
    def failures(self):
        return [r for r in self.results if r.outcome in ("fail", "error")]

    @property
    def ok(self):
        return not self.failures

    def summary(self):
        c = self.counts
        parts = [f"{c['pass']} pass", f"{c['fail']} fail",
                 f"{c['erratum']} erratum" if c["erratum"] == 1 else f"{c['erratum']} errata"]
        if c["unsupported"]:
            parts.append(f"{c['unsupported']} unsupported")
        if c["error"]:
            parts.append(f"{c['error']} malformed")
        noun = "identity" if len(self.results) == 1 else "identities"
        return f"{len(self.results)} {noun}: {', '.join(parts)}   ({self.seconds:.1f} s)"

    def as_dict(self):
        return {"summary": self.summary(), "seconds": round(self.seconds, 3),
                "counts": {k: self.counts.get(k, 0) for k in OUTCOMES},
                "sections": {s: {"title": self.titles.get(s, ""),
                                 **{k: c.get(k, 0) for k in OUTCOMES}}
                             for s, c in self.sections().items()},
                "identities": [r.as_dict() for r in self.results]}


# --------------------------------------------------------------------------
# derivation and checks per kind
# --------------------------------------------------------------------------

def derive_for(kind, f, X, layout="denominator", structure=None):
    """matcalc's derivative of ``f`` w.r.t. ``X`` for ``kind`` (gradient/jacobian/hessian)."""
    if kind == "gradient":
        from ..derivatives import grad
        return grad(f, X, layout=layout, structure=structure)
    from ..derivatives import hessian, jacobian
    return jacobian(f, X) if kind == "jacobian" else hessian(f, X)


def check_for(kind, f, X, claim, layout="denominator", structure=None, points=3, seed=0,
              rtol=1e-6):
    """The numeric oracle's report on ``claim`` as the ``kind`` derivative of ``f``."""
    from .. import numeric
    if kind == "gradient":
        return numeric.check(f, X, claim, points=points, seed=seed, rtol=rtol,
                             structure=structure, layout=layout)
    if kind == "jacobian":
        return numeric.check_jacobian(f, X, claim, points=points, seed=seed, rtol=rtol)
    return numeric.check_hessian(f, X, claim, points=points, seed=seed, rtol=rtol)


def _conform(claim, like):
    """A scalar claim where ``like`` is a 1 x 1 matrix becomes ``claim * I_1``, so that
    a stated scalar derivative by a 1 x 1 variable compares with matcalc's 1 x 1 result."""
    if isinstance(like, MatrixExpr) and not isinstance(claim, MatrixExpr) \
            and tuple(like.shape) == (1, 1):
        return claim * IdentityMatrix(1)
    return claim


def _equal(derived, stated):
    from ..simplify import equal_forms
    try:
        return bool(equal_forms(derived, _conform(stated, derived)))
    except Exception:  # an undecidable comparison is "not proven", never a crash
        return False


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds):
    """Raise ``_Timeout`` after ``seconds`` (main thread on POSIX only; else no limit)."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, LONGEST_TIMEOUT))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _checked(kind, f, X, claim, identity, options):
    """(passed, max_rel_error, reason) of one numeric check; a claim of the wrong
    shape simply fails."""
    if kind == "gradient":
        claim = _conform(claim, X)
    try:
        report = check_for(kind, f, X, claim, layout=identity.layout,
                           structure=identity.structure, **options)
    except ShapeError as exc:
        return False, math.inf, f"shape: {exc}"
    return report.passed, report.max_rel_error, report.reason


# --------------------------------------------------------------------------
# one identity
# --------------------------------------------------------------------------

def verify_identity(identity, points=3, seed=0, rtol=1e-6, timeout=DEFAULT_TIMEOUT):
    """Verify one ``Identity``; returns a ``Verification`` (never raises for a bad entry)."""
    start = time.perf_counter()
    record = Verification(identity.id, identity.section, identity.status, "fail",
                          source=identity.source, path=identity.location)
    try:
        with _time_limit(timeout):
            _verify(identity, record, dict(points=points, seed=seed, rtol=rtol))
    except _Timeout:
        record.outcome = "unsupported" if identity.status == "unsupported" else "fail"
        record.message = f"gave up after {timeout:g} s"
    except CatalogueError as exc:
        record.outcome, record.message = "error", str(exc)
    except Exception as exc:  # an engine bug must not stop the catalogue run
        record.outcome = "unsupported" if identity.status == "unsupported" else "fail"
        record.message = f"internal error: {type(exc).__name__}: {exc}"
    record.seconds = time.perf_counter() - start
    return record


def _verify(identity, record, options):
    if identity.status == "unsupported":
        _verify_unsupported(identity, record, options)
        return
    parsed = identity.parsed()
    f, X = parsed.expr, parsed.variable
    try:
        derived = derive_for(identity.kind, f, X, identity.layout, identity.structure)
    except UnsupportedError as exc:
        record.outcome, record.message = "fail", f"matcalc cannot derive it: {exc}"
        derived = None
    record.derived = derived
    if derived is not None:
        record.derived_passed, record.derived_error, reason = _checked(
            identity.kind, f, X, derived, identity, options)
        if not record.derived_passed:
            record.message = f"matcalc's own result fails the numeric check ({reason})"
    record.stated_passed, record.stated_error, stated_reason = _checked(
        identity.kind, f, X, parsed.result, identity, options)
    reference = parsed.result
    if identity.status == "erratum":
        record.corrected_passed, record.corrected_error, corrected_reason = _checked(
            identity.kind, f, X, parsed.corrected, identity, options)
        reference = parsed.corrected
    if derived is not None:
        record.symbolic_equal = _equal(derived, reference)
    if derived is None or not record.derived_passed:
        return
    if identity.status == "verified":
        if record.stated_passed:
            record.outcome = "pass"
            if not record.symbolic_equal:
                record.message = "equal numerically; symbolic equality not proven"
        else:
            record.message = f"the stated result fails the numeric check ({stated_reason})"
        return
    # an erratum: the printed result must fail and the corrected one pass
    if record.stated_passed:
        record.message = "marked erratum, but the printed result passes the numeric check"
    elif not record.corrected_passed:
        record.message = f"the corrected result fails the numeric check ({corrected_reason})"
    else:
        record.outcome = "erratum"
        record.message = "printed result fails; corrected result passes"


def _verify_unsupported(identity, record, options):
    """An unsupported entry stays unsupported; matcalc may confirm it (UnsupportedError),
    and the record says so when matcalc now derives something that checks out."""
    record.outcome = "unsupported"
    if identity.parse_error:
        record.message = f"{identity.reason} [{identity.parse_error}]"
        return
    parsed = identity.parsed()
    try:
        derived = derive_for(identity.kind, parsed.expr, parsed.variable, identity.layout,
                             identity.structure)
    except UnsupportedError as exc:
        record.message = f"{identity.reason} [confirmed: {exc}]"
        return
    except Exception as exc:
        record.message = f"{identity.reason} [matcalc raised {type(exc).__name__}: {exc}]"
        return
    record.derived = derived
    record.derived_passed, record.derived_error, _ = _checked(
        identity.kind, parsed.expr, parsed.variable, derived, identity, options)
    record.message = identity.reason
    if record.derived_passed:
        record.stated_passed, record.stated_error, _ = _checked(
            identity.kind, parsed.expr, parsed.variable, parsed.result, identity, options)
        if record.stated_passed:
            record.message += (" [note: matcalc now derives this identity and both results pass"
                               " the numeric check; consider marking it verified]")


# --------------------------------------------------------------------------
# the whole catalogue
# --------------------------------------------------------------------------

def _error_record(error, sections):
    path = getattr(error, "path", "")
    section = sections.get(path) or (Path(path).stem if path else "(catalogue)")
    ident = getattr(error, "identity", None) or "(file)"
    where = f"{path}:{error.line}" if getattr(error, "line", None) else path
    return Verification(ident, section, "malformed", "error", str(error), path=where)


def verify_catalogue(path, progress=None, points=3, seed=0, rtol=1e-6,
                     timeout=DEFAULT_TIMEOUT, ids=None):
    """Verify every identity at ``path``; ``progress(done, total, identity)`` is called
    before each one. Malformed entries appear as ``error`` records (they do not stop
    the run). ``ids``: only these identity ids. Returns a ``CatalogueReport``; raises
    ``CatalogueError`` when ``path`` holds no identity at all (nor any malformed one)."""
    start = time.perf_counter()
    identities, errors = load_catalogue(path, strict=False)
    if not identities and not errors:
        raise CatalogueError(f"no identities found in {path}")
    if ids is not None:
        wanted = set(ids)
        unknown = wanted - {i.id for i in identities}
        if unknown:
            raise CatalogueError(f"no identity with id {', '.join(sorted(unknown))} in {path}")
        identities = [i for i in identities if i.id in wanted]
        errors = []
    report = CatalogueReport(titles={i.section: i.title for i in identities})
    for k, identity in enumerate(identities):
        if progress is not None:
            progress(k, len(identities), identity)
        report.results.append(verify_identity(identity, points=points, seed=seed, rtol=rtol,
                                              timeout=timeout))
    if progress is not None:
        progress(len(identities), len(identities), None)
    sections = {i.path: i.section for i in identities}
    for error in errors:
        report.results.append(_error_record(error, sections))
    report.seconds = time.perf_counter() - start
    return report
