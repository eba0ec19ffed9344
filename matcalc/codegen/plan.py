"""The matrix-chain plan: in which order, and how, to evaluate a product of factors.

A product ``F1 F2 ... Fk`` reaches the emitter as a list of factors, each one of

- a dense matrix expression (its value is computed and multiplied with ``@``);
- a ``Computed`` value (a name already holding it);
- a ``StructuredFactor``: a factor that is cheaper to *apply* to its neighbour than to form
  -- U^{-1} (a solve), A ⊗ B (kron_apply), K_{m,n} (a reshape), diag(v) (a scaling).  Each
  construct defines its factor class next to the construct (``# == codegen ==``) and
  registers it as its ``STRUCTURED_FACTOR`` rule.

``ChainPlan`` chooses, by dynamic programming over the parenthesisations, the cheapest order
for the concrete sizes, and for each structured factor whether to apply it to the left or
right neighbour or to form it.  Costs in flops: a dense product p x q times q x r costs
2pqr; a structured factor states its own costs (``form_cost``, ``apply_cost``).
"""
__all__ = ["StructuredFactor", "Computed", "ChainPlan", "formed_alone", "MAX_DP_CHAIN"]

#: longer products are ordered greedily instead of by the (cubic) dynamic programme
MAX_DP_CHAIN = 24


class StructuredFactor:
    """A structured factor of a product: applied to its neighbour, formed only when alone.

    A subclass is constructed as ``cls(M, emitter)`` for the construct ``M`` and has a
    concrete ``shape``; it emits its code through the emitter (``emitter.emit``,
    ``emitter.value``, ``emitter.T``).
    """

    #: the factor is an identity (K_{1,n} = I): dropped from the product
    is_identity = False
    #: a sum with this factor as a term is applied term by term to a thin right-hand side
    #: rather than formed (applying it is much cheaper than forming it)
    distributes = False

    def form(self, emitter, env):
        """The name of the factor formed as a dense matrix."""
        raise NotImplementedError

    def apply_left(self, emitter, W, env):
        """The name of F @ W, W a computed matrix."""
        raise NotImplementedError

    def apply_right(self, emitter, W, env):
        """The name of W @ F, W a computed matrix."""
        raise NotImplementedError

    def form_cost(self):
        """Flops to form the factor (default: one per entry)."""
        return self.shape[0] * self.shape[1]

    def apply_cost(self, columns):
        """Flops to apply the factor to ``columns`` columns (default: one per entry touched)."""
        return self.shape[0] * columns

    def fused(self, coeff, factors, emitter, env):
        """The name of the whole product ``coeff * factors`` (this factor first) computed in
        one pass, or None when this factor knows no such fusion."""
        return None


class Computed:
    """A factor already computed: its name and concrete shape."""

    def __init__(self, name, shape):
        self.name, self.shape = name, shape


class ChainPlan:
    """The cheapest way to evaluate a product of factors with known shapes.

    ``choice[i, j]`` says how the sub-product ``i..j`` is computed: ``("mm", m)`` as
    ``(i..m) @ (m+1..j)``, ``("left", i)`` factor i applied to ``(i+1..j)``, ``("right",
    j - 1)`` factor j applied to ``(i..j-1)``; ``cost[i, j]`` its flops.
    """

    def __init__(self, shapes, structured):
        self.shapes, self.structured = shapes, structured
        k = len(shapes)
        self.cost, self.choice = {}, {}
        for i in range(k):
            self.cost[i, i] = structured[i].form_cost() if structured[i] is not None else 0
        if k > MAX_DP_CHAIN:
            self.greedy()
            return
        for length in range(2, k + 1):
            for i in range(k - length + 1):
                j = i + length - 1
                rows, cols = shapes[i][0], shapes[j][1]
                best = None
                for m in range(i, j):
                    c = self.cost[i, m] + self.cost[m + 1, j] + 2 * rows * shapes[m][1] * cols
                    if best is None or c < best[0]:
                        best = (c, ("mm", m))
                if structured[i] is not None:
                    c = self.cost[i + 1, j] + structured[i].apply_cost(cols)
                    if c < best[0]:
                        best = (c, ("left", i))
                if structured[j] is not None:
                    c = self.cost[i, j - 1] + structured[j].apply_cost(rows)
                    if c < best[0]:
                        best = (c, ("right", j - 1))
                self.cost[i, j], self.choice[i, j] = best

    def greedy(self):
        """Long chains (the DP is cubic in their length): repeatedly multiply the adjacent
        pair that costs least.  Structured factors are formed first."""
        spans = [(i, i) for i in range(len(self.shapes))]
        while len(spans) > 1:
            costs = [self.shapes[a[0]][0] * self.shapes[a[1]][1] * self.shapes[b[1]][1]
                     for a, b in zip(spans, spans[1:])]
            t = costs.index(min(costs))
            (i, m), (_, j) = spans[t], spans[t + 1]
            self.cost[i, j] = self.cost[i, m] + self.cost[m + 1, j] + 2 * costs[t]
            self.choice[i, j] = ("mm", m)
            spans[t:t + 2] = [(i, j)]

    def best_trace_split(self):
        """The split m for tr(F1..Fk) = sum((F1..Fm) ∘ (Fm+1..Fk)^T) minimising
        cost(0..m) + cost(m+1..k) + rows*cols, if it beats forming the product; else None."""
        k = len(self.shapes) - 1
        if (0, k) not in self.choice or len(self.shapes) > MAX_DP_CHAIN:
            return None
        n = self.shapes[0][0]
        full = self.cost[0, k] + n
        best = None
        for m in range(k):
            c = self.cost[0, m] + self.cost[m + 1, k] + 2 * n * self.shapes[m][1]
            if best is None or c < best[0]:
                best = (c, m)
        return best[1] if best[0] <= full else None



def formed_alone(M, emitter, env):
    """The value of a structured factor on its own: the product of that one factor (formed,
    unless a fusion applies)."""
    return emitter.chain([M], env)
