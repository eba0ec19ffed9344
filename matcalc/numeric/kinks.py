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
from .points import postorder

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
    perturbed value of the variable changes any of them."""

    def __init__(self, expr, variable, point, sizes):
        from .evaluate import _Bound
        self.watched = []
        for k in kink_arguments(expr):
            bound = _Bound(k, point)
            positions = bound.positions(variable, sizes)
            if positions:   # an argument free of the variable never moves
                self.watched.append((bound, positions, np.sign(bound.call())))

    def __bool__(self):
        return bool(self.watched)

    def crossed(self, x):
        """Does the value ``x`` of the variable put some kink argument on another side?"""
        for bound, positions, signs in self.watched:
            if not np.array_equal(np.sign(bound.call({k: x for k in positions})), signs):
                return True
        return False
