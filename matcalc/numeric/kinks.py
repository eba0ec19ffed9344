"""Kinks: where a function is not differentiable, so that finite differences across them are
not evidence about its derivative.

``|a|``, ``sign(a)``, ``H(a)``, ``max(a, b)`` ... bend or jump where an argument changes sign
(each construct's ``KINKS`` rule names those arguments: ``a``, or ``a - b`` for a tie).  A
central difference whose two points lie on different sides of a kink measures a secant
across it, not the derivative at the point; ``KinkWatch`` tells the finite differences
(``differences.Probe``) when a perturbed point has crossed one, and such an evaluation counts
as undefined (NaN): the step sweep then uses smaller steps, and a point so close to a kink
that no step stays on its side is redrawn or reported unreliable -- never judged.
"""
import numpy as np
from sympy import Basic

from ..registry import KINKS
from ..dag import postorder

__all__ = ["kink_arguments", "KinkWatch"]


def kink_arguments(expr):
    """The expressions whose sign changes are the kinks of ``expr`` (outside elementwise
    bodies, which their elementwise function lifts to the matrix)."""
    free = expr.free_symbols
    found = []
    for node in postorder(expr):
        rule = KINKS.lookup(node) if isinstance(node, Basic) else None
        if rule is None:
            continue
        for k in rule(node):
            if k.free_symbols <= free and k.free_symbols and k not in found:
                found.append(k)
    return found


class KinkWatch:
    """The signs of the kink arguments of an expression at a point, and whether a
    perturbed value of the variable changes any of them.

    A point *on* a kink (an argument exactly 0 there that moves with the variable, as
    ``relu(S - S^T)`` at a symmetric S does) is refused up front: no finite difference
    has both its points on one side, so the point is redrawn (``NonFinite``)."""

    def __init__(self, expr, variable, point, sizes, x0):
        from .evaluate import _Bound
        self.watched = []
        for k in kink_arguments(expr):
            bound = _Bound(k, point)
            positions = bound.positions(variable, sizes)
            if positions:   # an argument free of the variable never moves
                values = np.asarray(bound.call(), dtype=float)
                noise = NOISE * max(1.0, float(np.max(np.abs(values), initial=0.0)))
                self.watched.append((bound, positions, noise, _signs(values, noise)))
        self.refuse_a_point_on_a_kink(x0)

    def refuse_a_point_on_a_kink(self, x0):
        rng = np.random.default_rng(0x0C0A)
        nudge = x0 + 1e-7 * max(float(np.max(np.abs(x0))), 1.0) * rng.standard_normal(x0.shape)
        for bound, positions, noise, signs in self.watched:
            if np.any(signs == 0):
                moved = _signs(bound.call({k: nudge for k in positions}), noise)
                if np.any((signs == 0) & (moved != 0)):
                    from .judge import NonFinite   # judge -> differences -> kinks
                    raise NonFinite("the point lies on a kink of the function (an argument "
                                    "of |.|, sign, a step, max or min is 0 there and moves "
                                    "with the variable): no finite difference can judge it")

    def __bool__(self):
        return bool(self.watched)

    def crossed(self, x):
        """Does the value ``x`` of the variable put some kink argument on another side?"""
        for bound, positions, noise, signs in self.watched:
            if not np.array_equal(_signs(bound.call({k: x for k in positions}), noise), signs):
                return True
        return False


#: a kink argument within this fraction of its own largest entry of 0 is 0: an argument
#: that cancels exactly (c - max(c, a) where c > a, identically 0 on a region) is rounding
#: noise of ~1e-16 whose sign flips with every step -- every difference would count as a
#: crossing, and the steps that slip through judged the claim at random (campaign run 6)
NOISE = 1e-9


def _signs(values, noise):
    """The signs of a kink argument's entries, those within ``noise`` of 0 counted 0."""
    values = np.asarray(values, dtype=float)
    return np.where(np.abs(values) <= noise, 0.0, np.sign(values))
