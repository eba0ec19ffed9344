"""Judging a claimed derivative against finite differences it cannot always trust.

The default step decides when it agrees with the claim; otherwise the step is swept
(``SWEEP``: 16h, 4h, h, h/4, ...) and the verdict -- pass, fail, zero or unreliable -- is read
from how the estimates settle above the roundoff noise of the function (``NoiseFloor``)
and from the condition number of what the expression inverts (``conditioning``): a claim
involving an inverse of condition ``cond`` cannot be evaluated better than ``cond * eps``.
"""
import math

import numpy as np
from sympy import Basic
from sympy.core.traversal import preorder_traversal

from ..constructs.differentials import DifferentialSymbol
from ..registry import CONDITION
from .differences import random_directions
from .evaluate import evaluate
from .points import deep_ok, jittered

__all__ = ["conditioning", "claim_jitter", "judge", "NoiseFloor", "unreliable_reason", "relative_error",
           "SWEEP", "HESSIAN_SWEEP"]

#: step multipliers tried, largest first, when the default step disagrees with a claim
SWEEP = tuple(4.0 ** k for k in range(2, -13, -1))          # 16, 4, 1, 1/4, ..., 4^-12
HESSIAN_SWEEP = tuple(4.0 ** k for k in range(1, -15, -1))  # 4, 1, 1/4, ..., 4^-14
#: a failure is certain when the claim misses by this many times the estimates' spread
FAIL_MARGIN = 10.0
#: an inverted / determinant argument this ill-conditioned gets a warning in the report
CONDITION_WARNING = 1e6
#: extra draws of a random point at which the finite differences did not settle
UNRELIABLE_REDRAWS = 2
#: f "visibly changes" over a step when it moves by this many times its roundoff noise
VISIBLE_CHANGE = 1e6
#: the claim's own evaluation error is taken as this many times cond * eps
EVALUATION_ERROR = 100.0
#: a claim this small (times the size of X and f) may be roundoff of an exact zero
ROUNDOFF_CLAIM = 1e-12
#: a settled sweep stops early when the claim misses it by this many times rtol
CLEAR_FAILURE = 1e3
#: a difference below this many times the roundoff noise of f / step^order is noise
NOISE_FACTOR = 10.0
#: at most this many inverted / determinant arguments are examined for their condition
CONDITION_ARGUMENTS = 24
#: relative size of the input perturbations that measure how stably a claim evaluates
JITTER = 1e-13
#: perturbed evaluations of the claim, before a failure is declared
JITTER_DRAWS = 3
#: a miss within this many times the claim's jitter may be its own evaluation error
JITTER_ERROR = 100.0


def _conditioned_arguments(exprs):
    """The matrices ``exprs`` invert or take the determinant of (each construct's
    ``CONDITION`` rule names them)."""
    found = []
    for expr in exprs:
        if not isinstance(expr, Basic):
            continue
        for node in preorder_traversal(expr):
            rule = CONDITION.lookup(node)
            arg = rule(node) if rule is not None else None
            if arg is None:
                continue
            if arg not in found and not any(isinstance(s, DifferentialSymbol)
                                            for s in arg.free_symbols):
                found.append(arg)
    return found[:CONDITION_ARGUMENTS]


@deep_ok
def conditioning(exprs, point):
    """``(condition number, argument)``: the worst 2-norm condition number, at ``point``,
    of the matrices that ``exprs`` invert or take the determinant of; ``(1.0, None)``
    when there are none. A singular or non-finite argument counts as ``inf``."""
    worst, where = 1.0, None
    for arg in _conditioned_arguments(list(exprs)):
        try:
            value = np.atleast_2d(np.asarray(evaluate(arg, point), dtype=float))
            with np.errstate(all="ignore"):
                cond = float(np.linalg.cond(value)) if np.all(np.isfinite(value)) else math.inf
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            continue
        if not math.isfinite(cond):
            cond = math.inf
        if cond > worst:
            worst, where = cond, arg
    return worst, where


@deep_ok
def claim_jitter(expr, point, draws=JITTER_DRAWS):
    """How far the float64 value of the claim ``expr`` moves, relative to its size, when
    every input at ``point`` moves by ``JITTER`` relative (``inf`` when it stops being
    finite). Rounding errors inside the evaluation are amplified as such perturbations
    are, so a claim that moves by 1e-3 here cannot be trusted to 1e-3 at all: an inverse
    of a matrix of condition 1e9 applied to a vector along its small eigenvalue loses
    more than ``cond * eps``."""
    try:
        with np.errstate(all="ignore"):
            reference = np.asarray(evaluate(expr, point), dtype=float)
            if not all_finite(reference):
                return math.inf
            worst = 0.0
            for k in range(draws):
                moved = np.asarray(evaluate(expr, jittered(point, JITTER, point.seed + k)),
                                   dtype=float)
                if not all_finite(moved):
                    return math.inf
                worst = max(worst, relative_error(moved, reference)[0])
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):
        return math.inf
    return worst


def magnitude(a):
    return float(np.max(np.abs(a))) if np.size(a) else 0.0


def judge(claim, estimate, rtol, sweep, condition, noise, what="derivative", jitter=None):
    """Compare ``claim`` with the finite-difference estimates ``estimate(multiplier)``.

    The default step (multiplier 1) decides when it agrees. Otherwise the step is
    swept over ``sweep`` (16h, 4h, h, h/4, h/16, ...). An estimate above the
    roundoff noise ``noise(multiplier)`` is *informative*; each pair of neighbouring
    informative estimates measures, by its spread u, how far they can be trusted:

    - pass: a pair agreeing within rtol, the claim agreeing with it within rtol;
    - fail: the claim misses the best pair by more than rtol, by more than
      ``FAIL_MARGIN`` times its spread (the estimates vary, but not that much), and by
      more than the accuracy ``EVALUATION_ERROR * cond * eps`` to which a claim
      involving an inverse of condition ``cond`` can be evaluated at all, and by more than
      ``JITTER_ERROR`` times the claim's ``jitter()`` (``claim_jitter``: how far its
      float64 value moves when the inputs move by 1e-13, asked only here);
      or every estimate is at noise level and the claim is far above it;
    - zero: every estimate and the claim are at noise level, and either f itself is
      zero up to roundoff (a cancellation such as tr(AX) - tr(XA)) or, for a second
      derivative, f visibly changes over the step (a linear f: its second
      differences are noise, its first are not);
    - unreliable: anything else -- neither a pass nor a failure can be stated.

    Returns ``(verdict, rel, abs_error, scale, extra)``. Raises ``ClaimNonFinite``
    when the claim is not finite but an estimate is, ``NonFinite`` when no
    estimate is finite.
    """
    first = estimate(1.0)
    if all_finite(first):
        require_finite_claim(f"the claimed {what}", claim)
        rel, err, scale = relative_error(claim, first)
        if rel <= rtol:
            return "pass", rel, err, scale, {}
    estimates, overflowed = [], False
    for mult in sweep:
        if mult == 1.0:
            R = first
        else:
            try:
                with np.errstate(all="ignore"):
                    R = estimate(mult)
            except (ArithmeticError, ValueError, np.linalg.LinAlgError):
                continue
        if not all_finite(R):
            overflowed = True
            continue
        estimates.append((mult, R))
        if _settles_clearly(estimates, claim, rtol, noise):
            break  # the rest of the sweep cannot change the verdict
    if not estimates:
        raise NonFinite("the finite differences are not finite at any step")
    require_finite_claim(f"the claimed {what}", claim)
    misses = {m: relative_error(claim, R) for m, R in estimates}
    informative = [(m, R) for m, R in estimates if magnitude(R) > noise(m)]
    pairs = []
    for (m1, R1), (m2, R2) in zip(informative, informative[1:]):
        if math.isclose(m1, 4 * m2):
            m = min((m1, m2), key=lambda k: misses[k][0])
            pairs.append((relative_error(R1, R2)[0], m))
    cond, where = condition()
    extra = {"sweep": [[m, misses[m][0]] for m, _ in estimates], "condition": cond}
    if where is not None and cond > CONDITION_WARNING:
        extra["ill_conditioned"] = str(where)
    # what the claim and f can be evaluated to at this point: solving with a matrix of
    # condition cond loses up to cond * eps; a smaller miss may be nobody's error
    accuracy = max(rtol, EVALUATION_ERROR * cond * np.finfo(float).eps)
    extra["accuracy"] = accuracy
    for spread, m in sorted(p for p in pairs if p[0] <= rtol):
        if misses[m][0] <= rtol:
            extra.update(step=m, spread=spread)
            return "pass", *misses[m], extra
    if pairs:
        spread, m = min(pairs)
        extra.update(step=m, spread=spread)
        if misses[m][0] > accuracy and misses[m][0] > FAIL_MARGIN * spread:
            best = dict(estimates)[m]
            if overflowed and np.any((np.asarray(best) == 0) & (np.asarray(claim) != 0)):
                # f overflows within the sweep (exp of exp, log of an underflowed
                # softmax) and the differences that settled are exactly 0 where the claim
                # is not: f is flattened by rounding there, not evidence
                extra["flattened"] = True
                return "unreliable", *misses[m], extra
            moved = jitter() if jitter is not None else 0.0
            if misses[m][0] <= JITTER_ERROR * moved:
                # the claim's own float64 value is not good to the size of the miss
                extra["claim_jitter"] = moved
                return "unreliable", *misses[m], extra
            return "fail", *misses[m], extra
    elif _exactly_zero(estimates) and magnitude(claim) <= _roundoff_scale(noise):
        # f does not move at any step (f = 0 through an exact cancellation) and the
        # claim is at roundoff level: nothing to compare it with
        extra.update(spread=0.0, zero_differences=True)
        return "unreliable", *misses[estimates[0][0]], extra
    else:
        m = estimates[0][0]
        extra["spread"] = math.inf
    large = [(k, R) for k, R in estimates if k >= 1.0]
    if large and all(magnitude(R) <= noise(k) for k, R in large):
        extra["noise_level"] = True
        if (not informative and noise.smooth()
                and magnitude(claim) > FAIL_MARGIN * max(noise(k) for k, _ in large)):
            # f is smooth down to roundoff, no step shows anything above its noise, yet
            # the claim is far above it (when f is not smooth -- a derivative so large
            # that f looks like noise -- the differences are blind, not evidence)
            return "fail", *misses[m], extra
        if (magnitude(claim) <= noise(max(k for k, _ in large))
                and (noise.f_size <= NOISE_FACTOR * noise.amplitude()
                     or noise.order == 2 and noise.varies(max(k for k, _ in large)))):
            extra["zero"] = True
            return "pass", 0.0, misses[m][1], misses[m][2], extra
    noise.amplitude()
    extra["f_size"] = noise.f_size
    return "unreliable", *misses[m], extra


def _exactly_zero(estimates):
    return all(magnitude(R) == 0.0 for _, R in estimates)


def _roundoff_scale(noise):
    """The size of a claim computed through cancellation of terms of order one:
    ``ROUNDOFF_CLAIM * max(1, |X|, |f|)``."""
    noise.amplitude()
    size = max(1.0, magnitude(noise.probe.x0),
               noise.f_size if math.isfinite(noise.f_size) else 1.0)
    return ROUNDOFF_CLAIM * size


def _settles_clearly(estimates, claim, rtol, noise):
    """Do the last two estimates settle (above noise), with the claim clearly in or out?"""
    if len(estimates) < 2 or not all_finite(claim):
        return False
    (m1, R1), (m2, R2) = estimates[-2:]
    if (not math.isclose(m1, 4 * m2) or magnitude(R1) <= noise(m1)
            or magnitude(R2) <= noise(m2)):
        return False
    spread = relative_error(R1, R2)[0]
    miss = min(relative_error(claim, R1)[0], relative_error(claim, R2)[0])
    return spread <= rtol and (miss <= rtol or miss > CLEAR_FAILURE * rtol)


class NoiseFloor:
    """``floor(multiplier)``: the size below which a finite difference of ``order`` at
    ``step * multiplier * rms(X)`` is indistinguishable from the roundoff noise of the
    function. The noise amplitude is the larger of 4 eps |f| and the second difference
    of f over points a relative 1e-13 apart (which catches cancellation inside f, and
    is blind to f's first-order change, however large)."""

    def __init__(self, probe, order, step):
        self.probe, self.order, self.step = probe, order, step
        self._amplitude = None
        self.f_size = math.inf

    def amplitude(self):
        if self._amplitude is None:
            probe = self.probe
            with np.errstate(all="ignore"):
                base = probe(probe.x0)
                V = random_directions(probe.x0.shape, 4, 0x5EED)
                # f(x + dv) + f(x - dv) - 2 f(x): roundoff, without the (possibly
                # huge) first-order change of f
                d = 1e-13 * probe.scale
                jitter = [(probe(probe.x0 + d * v) + probe(probe.x0 - d * v) - 2 * base) / 2
                          for v in V]
            self.f_size = magnitude(base) if all_finite(base) else math.inf
            self.roundoff = 4 * np.finfo(float).eps * self.f_size
            self.jitter = max([magnitude(d) for d in jitter if all_finite(d)], default=math.inf)
            self._amplitude = max(self.roundoff, self.jitter)
        return self._amplitude

    def smooth(self):
        """Is f's jitter at the 1e-13 scale no more than roundoff of f's own size?"""
        self.amplitude()
        return self.jitter <= 100 * self.roundoff

    def varies(self, multiplier):
        """Does f change by far more than its noise over a step of ``multiplier``?"""
        probe = self.probe
        h = self.step * multiplier * probe.scale
        with np.errstate(all="ignore"):
            base = probe(probe.x0)
            change = [magnitude(probe(probe.x0 + h * v) - base)
                      for v in random_directions(probe.x0.shape, 2, 0xFACE)]
        return min(change) > VISIBLE_CHANGE * self.amplitude()

    def __call__(self, multiplier):
        h = self.step * multiplier * self.probe.scale
        return NOISE_FACTOR * self.amplitude() / h ** self.order


def unreliable_reason(extra, rtol):
    if extra.get("zero_differences"):
        return ("the function does not change at any step (an exact cancellation) and the "
                "claim is at roundoff level, so it can be neither confirmed nor refuted")
    spread = extra.get("spread", math.inf)
    accuracy = extra.get("accuracy", rtol)
    if "claim_jitter" in extra:
        return (f"the finite differences settled, but the claim's own value is not good to "
                f"the size of the miss: moving the inputs by {JITTER:g} relative moves it by "
                f"{extra['claim_jitter']:.2g}"
                + (f" ({extra['ill_conditioned']} has condition number "
                   f"{extra['condition']:.2g})" if "ill_conditioned" in extra else "")
                + ", so it can be neither confirmed nor refuted")
    if spread <= rtol < accuracy:
        return (f"the finite differences settled, but with condition number "
                f"{extra['condition']:.2g} (of {extra.get('ill_conditioned', 'an inverse')}) the "
                f"claim itself can only be evaluated to about {accuracy:.2g} (rtol {rtol:g}), so "
                f"it can be neither confirmed nor refuted")
    if math.isfinite(spread):
        text = (f"finite differences did not settle: estimates at neighbouring steps agree "
                f"only to {spread:.2g} (rtol {rtol:g})")
    else:
        text = ("finite differences did not settle: fewer than two neighbouring steps give "
                "differences above the roundoff noise of the function"
                + (f" (|f| ~ {extra['f_size']:.2g})" if math.isfinite(extra.get("f_size", math.inf))
                   else ""))
    text += ", so the claim can be neither confirmed nor refuted"
    if "ill_conditioned" in extra:
        text += (f"; {extra['ill_conditioned']} has condition number "
                 f"{extra['condition']:.2g} at this point")
    return text


def relative_error(claim, reference):
    """max|claim - reference| / max(max|reference|, max|claim|); 0 when both are 0.

    No absolute floor: a gradient of size 1e-12 is judged as strictly as one of
    size 1 (the noise floor enters only through ``judge``'s zero case)."""
    error = magnitude(np.asarray(claim) - np.asarray(reference))
    scale = max(magnitude(reference), magnitude(claim))
    if scale == 0.0:
        return 0.0, error, scale
    return error / scale, error, scale


def all_finite(*arrays):
    return all(np.all(np.isfinite(a)) for a in arrays)


class NonFinite(ArithmeticError):
    """The function (or its differences) is undefined at the point: redraw it."""


class ClaimNonFinite(ArithmeticError):
    """The function is defined at the point but the claimed derivative is not."""


def require_finite(what, *arrays):
    """``what``: a text, or a callable giving it (printing an expression is only paid for
    when it is needed -- and SymPy's printer can be slow on large matrix expressions)."""
    if not all_finite(*arrays):
        raise NonFinite(f"{what() if callable(what) else what} is not finite at this point")


def require_finite_claim(what, *arrays):
    if not all_finite(*arrays):
        raise ClaimNonFinite(f"{what} is not finite where the function and its finite "
                              "differences are")
