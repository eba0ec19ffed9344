"""Matrix differentials (Magnus & Neudecker): the generic walker.

``differential(f, X)`` returns df, an expression linear in the differential symbol dX.
Every construct's rule ``rule(expr, d)`` (registered in ``DIFFERENTIAL`` by the
construct's module in ``matcalc/constructs``) builds the differential of ``expr`` from the
differentials ``d(sub)`` of its parts; ``d`` is either the recursive differential itself
(fast path, used by ``grad``) or a constructor of unevaluated ``d(U)`` nodes (``derive``,
which records every rule application as a step).

A construct without a rule raises ``UnsupportedError`` naming it and the stage: nothing
ever falls through to zero.
"""
from sympy import MatAdd, MatMul, S
from sympy.matrices.expressions.matexpr import MatrixSymbol
from sympy.matrices.expressions.special import ZeroMatrix

from .algebra import is_matrix
from .constructs.differentials import Differential, ScalarDifferential, differential_symbol
from .constructs.scalars import as_scalar
from .registry import DIFFERENTIAL, rebuilt

__all__ = ["differential", "differential_steps", "rule_for", "RULE_NAMES", "is_matrix",
           "as_scalar"]

#: rule -> the name shown in derivations (its formula)
RULE_NAMES = DIFFERENTIAL.names


def rule_for(expr):
    """The rule that differentiates ``expr``'s outermost construct."""
    rule = DIFFERENTIAL.lookup(expr)
    if rule is None:
        raise DIFFERENTIAL.unsupported(expr)
    return rule


class _Differentiator:
    """The recursive differential w.r.t. one variable, memoised per node."""

    def __init__(self, variable):
        self.variable = variable
        self.dX = differential_symbol(variable)
        self._depends = {}
        self._memo = {}

    def depends(self, expr):
        """Does ``expr`` contain the variable?  Bottom-up, memoised per node."""
        hit = self._depends.get(expr)
        if hit is None:
            hit = self._depends[expr] = expr == self.variable or any(
                self.depends(a) for a in expr.args)
        return hit

    def zero(self, expr):
        return ZeroMatrix(*expr.shape) if is_matrix(expr) else S.Zero

    def __call__(self, expr):
        if expr == self.variable:
            return self.dX
        if not self.depends(expr):
            return self.zero(expr)
        hit = self._memo.get(expr)
        if hit is None:
            hit = self._memo[expr] = rule_for(expr)(expr, self)
        return hit


class _Unexpanded:
    """``d`` for derivations: the differential of a part is left as a ``d(U)`` node."""

    def __init__(self, fast):
        self.fast = fast
        self.depends = fast.depends

    def __call__(self, expr):
        if expr == self.fast.variable:
            return self.fast.dX
        if not self.fast.depends(expr):
            return self.fast.zero(expr)
        return Differential(expr) if is_matrix(expr) else ScalarDifferential(expr)


def differential(f, X):
    """df for a scalar or matrix expression ``f``, linear in dX (X a MatrixSymbol) or in dt
    (t a scalar Symbol)."""
    return _Differentiator(X)(f)


def differential_steps(f, X):
    """df together with the derivation steps [(rule name, expression after it), ...].

    Unevaluated ``d(U)`` nodes are expanded one at a time, outermost first, so
    every step shows the whole differential after one rule.
    """
    lazy = _Unexpanded(_Differentiator(X))
    current = lazy(f)
    steps = [("differential", current)]
    while True:
        node = _first_unexpanded(current, (Differential, ScalarDifferential))
        if node is None:
            return current, steps
        rule = rule_for(node.arg)
        current = _flatten(current.xreplace({node: rule(node.arg, lazy)}))
        steps.append((RULE_NAMES[rule], current))


def _flatten(expr):
    """Nested products and sums flattened (for display; no evaluation)."""
    if not expr.args or isinstance(expr, MatrixSymbol):
        return expr
    args = [_flatten(a) for a in expr.args]
    if isinstance(expr, (MatMul, MatAdd)):
        flat = []
        for a in args:
            flat.extend(a.args if type(a) is type(expr) else (a,))
        if isinstance(expr, MatMul):
            flat = [a for a in flat if a != 1]
        return flat[0] if len(flat) == 1 else type(expr)(*flat)
    return rebuilt(expr, args) if args != list(expr.args) else expr


def _first_unexpanded(expr, kinds):
    if isinstance(expr, kinds):
        return expr
    for a in expr.args:
        hit = _first_unexpanded(a, kinds)
        if hit is not None:
            return hit
    return None
