"""Local rewrites applied bottom-up: the Cookbook form of every node.

Each construct registers its own rewrites in ``REWRITE`` (transposes pushed to symbols,
``(AB)^{-1} = B^{-1}A^{-1}`` for square factors, ``tr(M^T) = tr(M)``, ``1 ∘ U = U``, powers
merged, ``U U^{-1} = I`` ...) and the extra ones that only decide equality in ``CANONICAL``
(``tr(A + B) = tr A + tr B``, ``det(AB) = det A det B``).  A node is rewritten with its
class's rules until none applies (``exhaust``), children first.
"""
from sympy import Basic, Dummy, cancel, count_ops, factor
from sympy.matrices.expressions.matexpr import MatrixExpr, MatrixSymbol

from ..registry import CANONICAL, NEGATE, REWRITE, SCALAR_FORMS, SCALE, TIDY, rebuilt

__all__ = ["normalize", "local_rewrite", "canonical_rewrite", "negated", "absorbed", "tidied",
           "shortest_form"]


def _exhaust(tables):
    """The rewrite applying the rules of ``tables`` for the node's class, in order, until
    none changes it (a pass ends early when a rule turns the node into another construct:
    the next pass uses that construct's rules)."""
    def one_pass(e):
        kind = type(e)
        for table in tables:
            for rule in table.lookup(e):
                e = rule(e)
                if type(e) is not kind:
                    return e
        return e

    def rewrite(e):
        while True:
            new = one_pass(e)
            if new == e:
                return new
            e = new
    return rewrite


local_rewrite = _exhaust((REWRITE,))
canonical_rewrite = _exhaust((REWRITE, CANONICAL))


def negated(M):
    """-M as one factor when M can absorb a sign cheaply (``NEGATE`` rules), else None."""
    rule = NEGATE.lookup(M)
    return None if rule is None else rule(M)


def absorbed(coeff, M):
    """c M as one factor when M can absorb the scalar (``SCALE`` rules), else None."""
    rule = SCALE.lookup(M)
    return None if rule is None else rule(M, coeff)


def tidied(M):
    """M with every node that has a ``TIDY`` rule in lowest terms."""
    return M.replace(lambda e: TIDY.lookup(e) is not None, lambda e: TIDY(e))


def _spelling_size(e):
    return (count_ops(e), len(str(e)), str(e))


def abstracted(e):
    """(e', back): e with every matrix-bearing scalar (tr(A), ||E||, (x^T A x)[0, 0]) replaced
    by a symbol, so that SymPy's ``cancel``/``factor`` never rebuild a matrix argument."""
    back, memo = {}, {}

    def walk(node):
        if node in memo:
            return memo[node]
        if node.is_Atom or isinstance(node, MatrixExpr):
            out = node
        elif not node.has(MatrixExpr) or (not (node.is_Add or node.is_Mul or node.is_Pow)
                                          and not _plain_function(node)):
            if node.has(MatrixExpr):
                out = Dummy("m")
                back[out] = node
            else:
                out = node
        else:
            out = rebuilt(node, [walk(a) for a in node.args])
        memo[node] = out
        return out

    return walk(e), back


def _plain_function(node):
    """A scalar function of scalars (exp, log ...), whose arguments may be abstracted."""
    return node.is_Function and all(not isinstance(a, MatrixExpr) for a in node.args)


def shortest_form(e):
    """The shortest of a scalar's spellings: itself, ``cancel``, ``factor`` and every
    construct's ``SCALAR_FORMS`` (``σ(t)`` for ``e^t/(1 + e^t)``)."""
    plain, back = abstracted(e)
    candidates = [plain, cancel(plain), factor(plain)]
    for rule in SCALAR_FORMS.lookup(plain):
        candidates.extend(rule(c) for c in list(candidates))
    return min(candidates, key=_spelling_size).xreplace(back)


def bottom_up(expr, visit, again=False):
    """``expr`` rebuilt bottom-up with ``visit`` applied to every rebuilt node (memoised on
    shared subtrees; symbols and atoms as they are); ``again``: a node ``visit`` changed is
    walked once more."""
    memo = {}

    def walk(e):
        if not isinstance(e, Basic) or not e.args or isinstance(e, MatrixSymbol) or e.is_Atom:
            return e
        hit = memo.get(e)
        if hit is not None:
            return hit
        args = [walk(a) for a in e.args]
        new = e if all(a is b for a, b in zip(args, e.args)) else rebuilt(e, args)
        out = visit(new)
        if again and out is not new and out != new:
            out = walk(out)
        memo[e] = out
        return out

    return walk(expr)


def normalize(expr, rewrite=None):
    """Apply ``local_rewrite`` bottom-up to every node (memoised on shared subtrees)."""
    return bottom_up(expr, local_rewrite if rewrite is None else rewrite, again=True)
