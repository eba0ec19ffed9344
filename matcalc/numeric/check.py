"""The checks: a claimed gradient, Jacobian or Hessian against finite differences.

    max_rel_error = max|G - G_fd| / max(max|G_fd|, max|G|)

``check`` / ``check_jacobian`` / ``check_hessian`` compare a claim at random points (or at
one given point) and return a ``CheckReport``: passed, failed, or unreliable when the finite
differences could not settle (``judge``).  For large variables (more than
``DIRECTIONAL_THRESHOLD`` entries) they compare ``<G, V>`` with the directional difference
along random directions ``V``.  They refuse up front what has no finite value (an expression
containing ``nan`` or ``zoo``) and what they cannot do in bounded time and memory
(``ResourceLimitError``).
"""
import math
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy import S
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..errors import NonFiniteError, ShapeError
from .bind import bind_functions
from .differences import (DIRECTIONS, HESSIAN_STEP, STEP, Probe, check_structure,
                          probe_directional, probe_gradient, probe_hessian, probe_jacobian,
                          TANGENT_ONLY, random_directions, scalar_probe, tangent_directions,
                          tangent_projection, variable_of)
from .judge import (HESSIAN_SWEEP, SWEEP, UNRELIABLE_REDRAWS, ClaimNonFinite, NoiseFloor,
                    NonFinite, all_finite, claim_jitter, conditioning, judge, relative_error,
                    require_finite, unreliable_reason)
from .evaluate import evaluate, substituted
from .points import (concrete_sizes, deep_ok, integer_sizes, point_at, random_point,
                     require_points_within_limit, sympify)

__all__ = ["CheckReport", "check", "check_jacobian", "check_hessian", "DIRECTIONAL_THRESHOLD",
           "HESSIAN_DIRECTIONAL_THRESHOLD", "REDRAWS"]

#: above this many entries of X, ``check`` compares directional derivatives
DIRECTIONAL_THRESHOLD = 400
#: the Hessian check goes directional earlier (it costs ~4 N^2 evaluations)
HESSIAN_DIRECTIONAL_THRESHOLD = 64
#: redraws of a point whose values are not finite before giving up
REDRAWS = 5


@dataclass
class CheckReport:
    """Outcome of a numeric check; truthy exactly when it passed.

    ``reliable`` is False when the verdict cannot be trusted either way: the
    finite differences did not settle at some point (ill-conditioning,
    cancellation, roundoff) or the function could not be evaluated; such a
    report never passes. ``warning`` says why, or notes an ill-conditioned
    point even when the check passed. ``details`` holds one record per point
    (seed, sizes, errors, method, redraws, the step sweep when one ran,
    ``condition``, reason when the point could not be evaluated).
    """

    kind: str
    max_rel_error: float
    passed: bool
    points: int
    method: str
    rtol: float
    details: list = field(default_factory=list)
    reason: str = ""
    reliable: bool = True
    warning: str = ""

    def __bool__(self):
        return self.passed

    @property
    def verdict(self):
        """``"passed"``, ``"failed"`` or ``"unreliable"``."""
        return "passed" if self.passed else ("failed" if self.reliable else "unreliable")

    def as_dict(self):
        """A JSON-serialisable dict (non-finite errors become None)."""
        def clean(value):
            if isinstance(value, dict):
                return {str(k): clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            if isinstance(value, (float, np.floating)):
                return float(value) if math.isfinite(value) else None
            if isinstance(value, np.integer):
                return int(value)
            if isinstance(value, np.bool_):
                return bool(value)
            return value
        return clean({"kind": self.kind, "passed": self.passed, "reliable": self.reliable,
                      "verdict": self.verdict, "max_rel_error": self.max_rel_error,
                      "rtol": self.rtol, "points": self.points, "method": self.method,
                      "reason": self.reason, "warning": self.warning, "details": self.details})

    def __str__(self):
        verdict = {"passed": "PASSED", "failed": "FAILED",
                   "unreliable": "FAILED (unreliable: neither confirmed nor refuted)"}[self.verdict]
        line = (f"{self.kind} check {verdict}: max relative error {self.max_rel_error:.3g} "
                f"(rtol {self.rtol:g}) over {self.points} point(s), {self.method}")
        if self.reason:
            line += f"\n  reason: {self.reason}"
        if self.warning and self.warning != self.reason:
            line += f"\n  warning: {self.warning}"
        return line

    def __repr__(self):
        return (f"CheckReport(kind={self.kind!r}, passed={self.passed}, "
                f"reliable={self.reliable}, max_rel_error={self.max_rel_error:.3g}, "
                f"rtol={self.rtol:g}, points={self.points}, method={self.method!r})")


def _same_dim(a, b):
    return sympy.expand(sympify(a) - sympify(b)) == 0


def _expect_shape(claim, expected, what):
    shape = tuple(claim.shape) if hasattr(claim, "shape") else (1, 1)
    if len(shape) != 2 or not all(_same_dim(a, b) for a, b in zip(shape, expected)):
        raise ShapeError(f"the claimed {what} has shape {' x '.join(map(str, shape))}, "
                         f"expected {expected[0]} x {expected[1]}")


def _choose_method(method, entries, threshold):
    if method == "auto":
        return "directional" if entries > threshold else "richardson"
    if method not in ("richardson", "directional"):
        raise ValueError(f"unknown method {method!r}; use 'auto', 'richardson' or 'directional'")
    return method


def _run_check(kind, exprs, compare, points, seed, rtol, at=None):
    """Shared driver: ``compare(point) -> (verdict, rel, abs, scale, method, extra)``
    or raises ``NonFinite``; redraws non-finite points (and a random point at which
    the differences did not settle, up to ``UNRELIABLE_REDRAWS`` times), records each."""
    details, outcomes, methods, warnings = [], [], set(), []
    plan = [None] * points if at is None else [point_at(at, *exprs, seed=seed)]
    for k, given in enumerate(plan):
        sizes = concrete_sizes(*exprs, seed=seed + k) if given is None else given.sizes
        record = {"point": k, "sizes": {str(d): v for d, v in sizes.items()}, "redraws": 0}
        attempts = REDRAWS + 1 if given is None else 1
        unreliable_left = UNRELIABLE_REDRAWS
        kept = None  # the last unreliable outcome, if the redraws find nothing better
        outcome = None
        for attempt in range(attempts):
            value_seed = seed + k + 7919 * attempt
            point = (random_point(*exprs, sizes=sizes, seed=value_seed) if given is None
                     else given)
            try:
                verdict, rel, err, scale, method, extra = compare(point)
            except ClaimNonFinite as bad:
                outcome = ("fail", math.inf, {"seed": point.seed, "reason": str(bad)}, str(bad))
                record["redraws"] = attempt
                break
            except NonFinite as nf:
                record["redraws"] = attempt + 1
                record["reason"] = str(nf)
                continue
            data = {"seed": point.seed, "rel_error": rel, "abs_error": err, "scale": scale,
                    "method": method, **extra}
            methods.add(method)
            record["redraws"] = attempt
            record.pop("reason", None)
            if verdict == "unreliable":
                kept = ("unreliable", rel, data, unreliable_reason(extra, rtol))
                if given is None and unreliable_left > 0 and attempt + 1 < attempts:
                    unreliable_left -= 1
                    continue
                outcome = kept
                break
            outcome = (verdict, rel, data, "")
            break
        if outcome is None:
            outcome = kept or ("undefined", math.inf, {},
                               f"no finite values after {attempts} draw(s) "
                               f"({record.get('reason', 'non-finite')})")
        verdict, rel, data, why = outcome
        record.update(data)
        record["rel_error"] = rel
        record["verdict"] = verdict
        if why:
            record["reason"] = why
        if data.get("ill_conditioned"):
            warnings.append(f"point {k}: {data['ill_conditioned']} has condition number "
                            f"{data['condition']:.2g}")
        details.append(record)
        outcomes.append((verdict, rel, why))
    if not outcomes:
        return CheckReport(kind, math.inf, False, 0, "none", rtol, details,
                           "no points compared (points=0)", False,
                           "no points compared (points=0)")
    errors = [rel for _, rel, _ in outcomes]
    max_rel = max(errors)
    passed = all(v == "pass" for v, _, _ in outcomes)
    reliable = not any(v in ("unreliable", "undefined") for v, _, _ in outcomes)
    reason = ""
    for k, (verdict, rel, why) in enumerate(outcomes):
        if verdict == "fail":
            reason = f"point {k}: " + (why or f"relative error {rel:.3g} exceeds rtol {rtol:g}")
            break
    if not reason:
        for k, (verdict, rel, why) in enumerate(outcomes):
            if verdict in ("unreliable", "undefined"):
                reason = f"point {k}: {why}"
                break
    warning = "; ".join(warnings)
    if not reliable:
        warning = reason + (f"; {warning}" if warning else "")
    method = "+".join(sorted(methods)) if methods else "none"
    return CheckReport(kind, float(max_rel), passed, len(details), method, rtol, details,
                       reason, reliable, warning)


def _text(expr, limit=300):
    """A short printed form of ``expr`` for a message; never fails.

    SymPy's str printer negates products to choose parentheses, which runs a deep
    ``doit`` -- on some engine results that raises or takes very long -- so a
    failure falls back to the node type."""
    try:
        text = str(expr)
    except Exception:  # noqa: BLE001 -- a message must not fail
        text = f"<{type(expr).__name__} expression>"
    return text if len(text) <= limit else text[:limit] + "..."


def _refuse_up_front(points, *named):
    """Refuse, before any point is drawn, more than ``MAX_POINTS`` points and expressions
    containing ``nan`` or ``zoo``: they have no finite value anywhere (``zoo``, complex
    infinity, typically comes from a division by zero)."""
    require_points_within_limit(points)
    for what, expr in named:
        if isinstance(expr, sympy.Basic) and expr.has(S.NaN, S.ComplexInfinity):
            which = "zoo (complex infinity, e.g. from a division by zero)" \
                if expr.has(S.ComplexInfinity) else "nan (an undefined number)"
            raise NonFiniteError(f"the {what} contains {which}: it has no finite value at any "
                                 f"point, so it cannot be checked: {_text(expr, 120)}")


def _matrix_variable(X, *exprs):
    """(X, exprs): a scalar ``Symbol`` variable t becomes the 1 x 1 matrix symbol of its name
    (the oracle perturbs matrices), t in the expressions its entry (0, 0), a scalar claim a
    1 x 1 matrix; a matrix variable is returned as it is."""
    X = sympify(X)
    if not isinstance(X, sympy.Symbol) or isinstance(X, sympy.MatrixSymbol):
        return (X, *exprs)
    T = sympy.MatrixSymbol(X.name, 1, 1)
    out = []
    for e in exprs:
        e = substituted(sympify(e), {X: T[0, 0]})   # not xreplace: see ``substituted``
        out.append(e)
    return (T, *out)


def _one_by_one(G):
    """A scalar claim as a 1 x 1 matrix (the derivative with respect to a scalar)."""
    return G if isinstance(G, MatrixExpr) else sympy.ImmutableMatrix([[G]])


def _conditioning_of(exprs, point, always):
    """A lazy ``conditioning`` for ``judge`` (computed at once for a user's point)."""
    known = conditioning(exprs, point) if always else None
    return (lambda: known) if always else (lambda: conditioning(exprs, point))


@deep_ok
def check(f, X, G, points=3, seed=0, rtol=1e-6, structure=None, layout="denominator",
          method="auto", at=None, functions=None):
    """Compare the claimed gradient ``G`` of the scalar ``f`` w.r.t. ``X`` with
    finite differences at ``points`` random points (or at the one point ``at``:
    a ``Point`` or ``{symbol or name: value}``, other symbols drawn at random).

    ``G`` is shaped like X (``layout="denominator"``) or like X^T
    (``"numerator"``); ``structure`` as in ``fd_gradient``. ``method="auto"``
    uses entrywise Richardson differences up to ``DIRECTIONAL_THRESHOLD``
    entries of X and random directional derivatives above. When the default
    step disagrees with ``G``, the step is swept (``SWEEP``) before a failure
    is declared; if the differences never settle the report is
    ``reliable=False`` (and not passed), with the condition number of the
    worst inverted / determinant argument in ``warning``. A point whose
    values are not finite is redrawn up to ``REDRAWS`` times, then the check fails.

    ``functions={f: sin, g: Lambda(M, Trace(M.T*M))}`` binds the undefined functions of ``f``
    and ``G`` to concrete ones (``bind.bind_functions``): f is evaluated with them, and the
    claim's f'(a) and ∇f(U) become the concrete derivatives.

    Refused up front: ``f`` or ``G`` containing nan or zoo (``NonFiniteError``), more than
    ``MAX_POINTS`` points or a matrix of more than ``MAX_ENTRIES`` entries
    (``ResourceLimitError``).
    """
    f, G = bind_functions(sympify(f), functions), bind_functions(sympify(G), functions)
    X, f, G = _matrix_variable(X, f, G)
    if X.shape == (1, 1):
        G = _one_by_one(G)
    f, X, G = sympify(f), variable_of(X), sympify(G)
    _refuse_up_front(points, ("function", f), ("claimed gradient", G))
    check_structure(structure, X)
    structure = _gradient_structure(X, structure)
    if layout not in ("denominator", "numerator"):
        raise ValueError(f"unknown layout {layout!r}; use 'denominator' or 'numerator'")
    if isinstance(f, MatrixExpr) and tuple(f.shape) != (1, 1):
        raise ShapeError(f"a gradient needs a scalar or 1x1 function, {f} has shape "
                         f"{f.shape[0]} x {f.shape[1]}")
    expected = X.shape if layout == "denominator" else (X.shape[1], X.shape[0])
    if not isinstance(G, MatrixExpr) and not _same_dim(X.shape[0] * X.shape[1], 1):
        raise ShapeError(f"the claimed gradient {G} is a scalar, expected a matrix of shape "
                         f"{expected[0]} x {expected[1]}")
    _expect_shape(G, expected, "gradient")

    def compare(point):
        f_value = evaluate(f, point)
        require_finite(lambda: f"f = {_text(f)}", f_value)
        claim = np.asarray(evaluate(G, point), dtype=float).reshape(
            tuple(int(sympify(d).xreplace(integer_sizes(point.sizes))) for d in expected))
        if layout == "numerator":
            claim = claim.T
        chosen = _choose_method(method, claim.size, DIRECTIONAL_THRESHOLD)
        if structure in TANGENT_ONLY:
            chosen = "directional"
        probe = scalar_probe(f, X, point)
        condition = _conditioning_of([f, G], point, at is not None)
        jitter = lambda: claim_jitter(G, point)  # noqa: E731 (asked only before a failure)
        if chosen == "richardson":
            verdict, rel, err, scale, extra = judge(
                claim, lambda m: probe_gradient(probe, structure, STEP * m), rtol, SWEEP,
                condition, NoiseFloor(probe, 1, STEP), what="gradient", jitter=jitter)
            return verdict, rel, err, scale, chosen, extra
        V = tangent_directions(structure, probe.x0, DIRECTIONS, point.seed)
        weights = np.triu(np.ones(claim.shape)) if structure == "symmetric-elementwise" else 1.0
        predicted = np.array([np.sum(claim * v * weights) for v in V]) \
            if all_finite(claim) else np.full(len(V), np.nan)
        verdict, rel, err, scale, extra = judge(
            predicted, lambda m: probe_directional(probe, V, STEP * m)[:, 0], rtol, SWEEP,
            condition, NoiseFloor(probe, 1, STEP), what="gradient", jitter=jitter)
        extra["directions"] = len(V)
        if structure in ("symmetric", *TANGENT_ONLY) and all_finite(claim):
            # a gradient on a structure lies in its tangent space (exact, no differences)
            off = relative_error(claim, tangent_projection(structure, claim, probe.x0))[0]
            extra["off_structure"] = off
            if off > rtol:
                verdict, rel = "fail", max(rel, off)
        return verdict, rel, err, scale, chosen, extra

    return _run_check("gradient", [f, X, G], compare, points, seed, rtol, at)


def _gradient_structure(X, structure):
    """The structure the gradient is compared on: the given one, else the declared one."""
    from ..constructs.structured import gradient_structure
    return gradient_structure(X, structure)


def _vec_size(shape):
    return shape[0] * shape[1]


def _check_vec_structure(structure, X):
    if structure not in (None, "symmetric"):
        raise ValueError(f"unknown structure {structure!r}; use None or 'symmetric'")
    if structure and not _same_dim(X.shape[0], X.shape[1]):
        raise ShapeError(f"structure={structure!r} needs a square variable, {X} is "
                         f"{X.shape[0]} x {X.shape[1]}")


def _symmetric_projection(shape):
    """P = (I + K)/2: vec(dX) -> vec((dX + dX^T)/2) for a square variable, column-major."""
    p = shape[0]
    N = p * p
    K = np.zeros((N, N))
    for i in range(p):
        for j in range(p):
            K[i + j * p, j + i * p] = 1.0
    return (np.eye(N) + K) / 2


@deep_ok
def check_jacobian(F, X, J, points=3, seed=0, rtol=1e-6, method="auto", at=None,
                   structure=None, functions=None):
    """Compare the claimed Jacobian ``J`` = d vec(F) / d vec(X)^T (shape (r*s, p*q))
    with finite differences at ``points`` random points (or at ``at``), sweeping the
    step before declaring a failure, as ``check`` does.

    ``structure="symmetric"`` compares only the action on symmetric dX:
    J P against J_fd P, with P = (I + K)/2 the projection onto vec of symmetric
    matrices (what a derivative w.r.t. a symmetric variable can be judged on).
    ``functions`` as for ``check``."""
    F, J = bind_functions(sympify(F), functions), bind_functions(sympify(J), functions)
    X, F, J = _matrix_variable(X, F, J)
    if not isinstance(F, MatrixExpr):
        J = _one_by_one(J)
    F, X, J = sympify(F), variable_of(X), sympify(J)
    _refuse_up_front(points, ("function", F), ("claimed Jacobian", J))
    _check_vec_structure(structure, X)
    F_shape = tuple(F.shape) if isinstance(F, MatrixExpr) else (1, 1)
    expected = (_vec_size(F_shape), _vec_size(X.shape))
    _expect_shape(J, expected, "Jacobian")

    def compare(point):
        F_value = np.atleast_1d(np.asarray(evaluate(F, point), dtype=float))
        require_finite(lambda: f"F = {_text(F)}", F_value)
        shape = tuple(int(sympify(d).xreplace(integer_sizes(point.sizes))) for d in expected)
        claim = np.asarray(evaluate(J, point), dtype=float).reshape(shape)
        chosen = _choose_method(method, shape[1], DIRECTIONAL_THRESHOLD)
        probe = Probe(F, X, point)
        condition = _conditioning_of([F, J], point, at is not None)
        jitter = lambda: claim_jitter(J, point)  # noqa: E731 (asked only before a failure)
        if chosen == "richardson":
            P = _symmetric_projection(probe.x0.shape) if structure else None
            project = (lambda M: M @ P) if structure else (lambda M: M)
            verdict, rel, err, scale, extra = judge(
                project(claim), lambda m: project(probe_jacobian(probe, STEP * m)), rtol,
                SWEEP, condition, NoiseFloor(probe, 1, STEP), what="Jacobian", jitter=jitter)
            return verdict, rel, err, scale, chosen, extra
        V = random_directions(probe.x0.shape, DIRECTIONS, point.seed, bool(structure))
        predicted = np.array([claim @ np.ravel(v, order="F") for v in V])
        verdict, rel, err, scale, extra = judge(
            predicted, lambda m: probe_directional(probe, V, STEP * m), rtol, SWEEP, condition,
            NoiseFloor(probe, 1, STEP), what="Jacobian", jitter=jitter)
        extra["directions"] = len(V)
        return verdict, rel, err, scale, chosen, extra

    return _run_check("jacobian", [F, X, J], compare, points, seed, rtol, at)


@deep_ok
def check_hessian(f, X, H, points=3, seed=0, rtol=1e-6, method="auto", at=None,
                  structure=None, functions=None):
    """Compare the claimed Hessian ``H`` = d^2 f / d vec(X) d vec(X)^T (shape (pq, pq))
    with finite second differences at ``points`` random points (or at ``at``),
    sweeping the step (``HESSIAN_SWEEP``) before declaring a failure.

    ``structure="symmetric"`` compares only the quadratic form on symmetric dX:
    P H P against P H_fd P, with P = (I + K)/2.  ``functions`` as for ``check``."""
    f, H = bind_functions(sympify(f), functions), bind_functions(sympify(H), functions)
    X, f, H = _matrix_variable(X, f, H)
    if X.shape == (1, 1):
        H = _one_by_one(H)
    f, X, H = sympify(f), variable_of(X), sympify(H)
    _refuse_up_front(points, ("function", f), ("claimed Hessian", H))
    _check_vec_structure(structure, X)
    if isinstance(f, MatrixExpr) and tuple(f.shape) != (1, 1):
        raise ShapeError(f"a Hessian needs a scalar or 1x1 function, {f} has shape "
                         f"{f.shape[0]} x {f.shape[1]}")
    N = _vec_size(X.shape)
    _expect_shape(H, (N, N), "Hessian")

    def compare(point):
        f_value = evaluate(f, point)
        require_finite(lambda: f"f = {_text(f)}", f_value)
        n = int(sympify(N).xreplace(integer_sizes(point.sizes)))
        claim = np.asarray(evaluate(H, point), dtype=float).reshape((n, n))
        chosen = _choose_method(method, n, HESSIAN_DIRECTIONAL_THRESHOLD)
        probe = scalar_probe(f, X, point)
        condition = _conditioning_of([f, H], point, at is not None)
        jitter = lambda: claim_jitter(H, point)  # noqa: E731 (asked only before a failure)
        if chosen == "richardson":
            P = _symmetric_projection(probe.x0.shape) if structure else None
            project = (lambda M: P @ M @ P) if structure else (lambda M: M)
            verdict, rel, err, scale, extra = judge(
                project(claim), lambda m: project(probe_hessian(probe, HESSIAN_STEP * m)),
                rtol, HESSIAN_SWEEP, condition, NoiseFloor(probe, 2, HESSIAN_STEP),
                what="Hessian", jitter=jitter)
            return verdict, rel, err, scale, chosen, extra
        V = random_directions(probe.x0.shape, 2 * DIRECTIONS, point.seed, bool(structure))

        def directional(m):
            h = HESSIAN_STEP * m * probe.scale
            return np.array([probe.second_derivative(V[2 * k], V[2 * k + 1], h)[0]
                             for k in range(DIRECTIONS)])

        predicted = np.array([np.ravel(V[2 * k], order="F") @ claim
                              @ np.ravel(V[2 * k + 1], order="F") for k in range(DIRECTIONS)])
        verdict, rel, err, scale, extra = judge(predicted, directional, rtol, HESSIAN_SWEEP,
                                                 condition, NoiseFloor(probe, 2, HESSIAN_STEP),
                                                 what="Hessian", jitter=jitter)
        extra["directions"] = DIRECTIONS
        return verdict, rel, err, scale, chosen, extra

    return _run_check("hessian", [f, X, H], compare, points, seed, rtol, at)
