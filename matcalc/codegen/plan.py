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
right neighbour or to form it.  A sum is such a factor too (``SumFactor``, the MatAdd
construct's): ``(A + B) W`` is either formed and multiplied or distributed, ``A W + B W``,
whichever costs less -- so chains are ordered across sums.

Costs are in flops of a dense product, with memory traffic counted: a product p x q times
q x r costs ``2pqr + MEMORY (pq + qr + pr)``; an elementwise operation ``ELEMENTWISE`` per
entry, an elementwise function (exp, tanh ...) ``FUNCTION`` per entry.  The weights are
measured (single-threaded OpenBLAS, n = 1000): a product runs at ~20 GFlop/s while adding
two matrices takes ~2 ns per entry (~40 flops' time) and ``exp`` ~18 ns; so ``(A + A^T) x``
(an n^2 sum, then a product) costs about twice ``A x + A^T x`` (two memory-bound products).
Values that depend only on bound constants cost nothing (they are computed once, when the
constants are bound; ``constant`` factors and spans).
"""
__all__ = ["StructuredFactor", "Computed", "ChainPlan", "formed_alone", "MAX_DP_CHAIN",
           "product_cost", "elementwise_cost", "MEMORY", "ELEMENTWISE", "FUNCTION", "CALL",
           "LINALG_CALL"]

#: longer products are ordered greedily instead of by the (cubic) dynamic programme
MAX_DP_CHAIN = 24

#: cost of moving one entry through a product (operands read, result written), in flops
MEMORY = 8
#: cost of one entry of an elementwise operation (a sum, a Hadamard product, a scaling)
ELEMENTWISE = 30
#: cost of one entry of an elementwise function (exp, log, tanh, sigmoid ...)
FUNCTION = 300
#: the fixed cost of one array operation (Python and library dispatch, ~1 µs)
CALL = 20_000
#: the fixed cost of one LAPACK call through the library (solve, inv: ~10 µs)
LINALG_CALL = 200_000


def product_cost(p, q, r):
    """Flops of a p x q times q x r product, memory traffic and dispatch included."""
    return 2 * p * q * r + MEMORY * (p * q + q * r + p * r) + CALL


def elementwise_cost(entries, operations=1, weight=ELEMENTWISE):
    """Flops of ``operations`` elementwise operations producing ``entries`` entries each."""
    return operations * (CALL + weight * entries)


class StructuredFactor:
    """A structured factor of a product: applied to its neighbour, formed only when alone.

    A subclass is constructed as ``cls(M, emitter)`` for the construct ``M`` and has a
    concrete ``shape``; it emits its code through the emitter (``emitter.emit``,
    ``emitter.value``, ``emitter.T``).
    """

    #: the factor is an identity (K_{1,n} = I): dropped from the product
    is_identity = False
    #: the factor depends only on bound constants (formed once, when they are bound)
    constant = False
    #: the bound variables of the elementwise body the product sits in (set by the emitter)
    env = None

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
        """Flops to form the factor (default: one elementwise operation per entry)."""
        return elementwise_cost(self.shape[0] * self.shape[1])

    def apply_cost(self, columns, side="left", constant=False):
        """Flops to apply the factor to ``columns`` columns (``side="left"``: F W, W with
        ``columns`` columns; ``"right"``: W F, W with ``columns`` rows; ``constant``: W
        depends only on bound constants); default: one elementwise operation per entry of
        the result."""
        return elementwise_cost((self.shape[0] if side == "left" else self.shape[1]) * columns)

    def key(self):
        """Equal keys: equal factors (a repeated factor's form cost is shared); None: unknown."""
        return None

    def congruence(self, coeff, M, emitter, env):
        """The name of c M^T F M computed in one operation, or None (this factor knows no
        such form).  ``M`` is the right neighbour, a dense expression."""
        return None

    def fused(self, coeff, factors, emitter, env):
        """The name of the whole product ``coeff * factors`` (this factor first) computed in
        one pass, or None when this factor knows no such fusion."""
        return None


class Computed:
    """A factor already computed: its name and concrete shape (``constant``: it depends
    only on bound constants)."""

    def __init__(self, name, shape, constant=False):
        self.name, self.shape, self.constant = name, shape, constant


class ChainPlan:
    """The cheapest way to evaluate a product of factors with known shapes.

    ``choice[i, j]`` says how the sub-product ``i..j`` is computed: ``("mm", m)`` as
    ``(i..m) @ (m+1..j)``, ``("left", i)`` factor i applied to ``(i+1..j)``, ``("right",
    j - 1)`` factor j applied to ``(i..j-1)``, ``("known", name)`` already computed (``known``:
    {(i, j): name}); ``cost[i, j]`` its flops.  ``leaf_costs``:
    the cost of each factor's own value (a dense factor still to be computed, a structured
    one formed); ``constant``: factors depending only on bound constants -- a span of them
    costs nothing per call.
    """

    def __init__(self, shapes, structured, leaf_costs=None, constant=None, known=None):
        self.shapes, self.structured = shapes, structured
        k = len(shapes)
        constant = constant or [False] * k
        known = known or {}
        self.cost, self.choice = {}, {}
        for i in range(k):
            if leaf_costs is not None:
                self.cost[i, i] = leaf_costs[i]
            else:
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
                    c = (self.cost[i, m] + self.cost[m + 1, j]
                         + product_cost(rows, shapes[m][1], cols))
                    if best is None or c < best[0]:
                        best = (c, ("mm", m))
                if structured[i] is not None:
                    c = self.cost[i + 1, j] + structured[i].apply_cost(
                        cols, "left", constant=all(constant[i + 1:j + 1]))
                    if c < best[0]:
                        best = (c, ("left", i))
                if structured[j] is not None:
                    c = self.cost[i, j - 1] + structured[j].apply_cost(
                        rows, "right", constant=all(constant[i:j]))
                    if c < best[0]:
                        best = (c, ("right", j - 1))
                if all(constant[i:j + 1]):    # computed once, when the constants are bound
                    best = (0, best[1])
                if (i, j) in known:               # computed already (another output, a term)
                    best = (0, ("known", known[i, j]))
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
            self.cost[i, j] = self.cost[i, m] + self.cost[m + 1, j] + product_cost(
                self.shapes[i][0], self.shapes[m][1], self.shapes[j][1])
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
            c = self.cost[0, m] + self.cost[m + 1, k] + elementwise_cost(n * self.shapes[m][1])
            if best is None or c < best[0]:
                best = (c, m)
        return best[1] if best[0] <= full else None



def formed_alone(M, emitter, env):
    """The value of a structured factor on its own: the product of that one factor (formed,
    unless a fusion applies)."""
    return emitter.chain([M], env)
