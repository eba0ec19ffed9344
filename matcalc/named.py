"""Named intermediates: a result written as a list of shared subexpressions.

A deep composition's derivative repeats its forward values: the gradient of a K-layer
network contains ``σ(W_k σ(W_{k-1} ... x))`` once in the forward value and again in every
``σ'(z_k)``, so the tree grows faster than K although the DAG does not.  Writing each
subexpression that occurs more than once under a name, in the order it is computed, gives the
form backpropagation is taught in (``Z_1 = W_1 x``, ``Z_2 = W_2 tanh(Z_1)``, ...,
``∇ = (W_2^T (...) ∘ tanh'(Z_1)) x^T``), whose size is linear in the size of the DAG.

``name_intermediates(expr)`` builds it (a ``Named``); ``Named.expanded()`` substitutes the
definitions back and gives the expression it names, equal node for node.  The stage is
generic: it names any repeated matrix or scalar subexpression of at least ``min_size`` nodes
and never looks inside a function's body (a ``Lambda`` binds its own variable).
"""
from dataclasses import dataclass

from sympy import Basic, Lambda, MatrixSymbol, Symbol
from sympy.matrices.expressions.matexpr import MatrixExpr

from .dag import tree_size
from .registry import rebuilt

__all__ = ["Named", "name_intermediates", "tree_size", "dag_size"]


@dataclass(frozen=True)
class Named:
    """``result`` written over ``definitions`` ([(name, expression)], each in terms of the
    names before it)."""
    definitions: tuple
    result: Basic

    def expanded(self):
        """The expression with every name replaced by its definition."""
        expr = self.result
        for name, value in reversed(self.definitions):
            expr = expr.xreplace({name: value})
        return expr

    @property
    def size(self):
        """Nodes of every definition and the result (what a reader reads)."""
        return sum(tree_size(v) + 1 for _, v in self.definitions) + tree_size(self.result)

    def text(self, result_name="G"):
        """One line per definition, then the result, in matcalc's text language."""
        from .printing.text import text_form
        lines = [f"{name} = {text_form(value)}" for name, value in self.definitions]
        return "\n".join([*lines, f"{result_name} = {text_form(self.result)}"])

    def latex(self, result_name="G"):
        r"""A LaTeX ``align*`` environment: one ``&=`` line per definition, then the result."""
        from .printing import latex
        rows = [rf"{latex(name)} &= {latex(value)}" for name, value in self.definitions]
        rows.append(rf"{result_name} &= {latex(self.result)}")
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"

    def __str__(self):
        return self.text()

    def _repr_latex_(self):
        return "$$" + self.latex() + "$$"


def dag_size(expr):
    """Distinct nodes of the expression (each shared subexpression counted once)."""
    seen = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if e not in seen:
            seen.add(e)
            stack.extend(e.args)
    return len(seen)


def _is_candidate(e, min_size, sizes):
    if isinstance(e, (Lambda, MatrixSymbol)) or e.is_Atom or sizes[e] < min_size:
        return False
    return isinstance(e, MatrixExpr) or (e.is_commutative and not e.is_number)


def _occurrences(expr):
    """How often each subexpression occurs in the tree, counting the inside of a repeated
    subexpression once (as it is computed once); and each node's tree size."""
    counts, sizes, order = {}, {}, []

    def visit(e):
        counts[e] = counts.get(e, 0) + 1
        if counts[e] > 1:
            return sizes[e]
        sizes[e] = 1 + sum(visit(a) for a in e.args if not isinstance(e, Lambda))
        order.append(e)     # post-order: children first
        return sizes[e]
    visit(expr)
    return counts, sizes, order


def name_intermediates(expr, min_size=4, prefix="Z"):
    """``expr`` as a ``Named``: every subexpression of at least ``min_size`` nodes that occurs
    more than once gets a name (``Z_1, Z_2, ...`` in the order they are computed)."""
    counts, sizes, order = _occurrences(expr)
    shared = [e for e in order if e is not expr and counts[e] > 1
              and _is_candidate(e, min_size, sizes)]
    taken = {s.name for s in expr.atoms(Symbol, MatrixSymbol)}
    replaced, definitions = {}, []

    def rebuild(e):
        if e in replaced:
            return replaced[e]
        if not e.args or isinstance(e, Lambda):
            return e
        args = tuple(rebuild(a) for a in e.args)
        new = e if args == e.args else rebuilt(e, args)
        replaced[e] = new
        return new

    index = 0
    for e in shared:
        value = rebuild(e)
        index += 1
        while f"{prefix}_{index}" in taken:
            index += 1
        name = f"{prefix}_{index}"
        symbol = MatrixSymbol(name, *e.shape) if isinstance(e, MatrixExpr) \
            else Symbol(name, **_assumptions(e))
        definitions.append((symbol, value))
        replaced.clear()
        replaced.update({old: sym for old, sym in zip(shared, (s for s, _ in definitions))})
    return Named(tuple(definitions), rebuild(expr))


def _assumptions(e):
    return {"real": True} if e.is_real else {}
