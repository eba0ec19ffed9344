"""Walks over expressions as the DAGs they are: a result shares subtrees, and its tree (what
text prints) can be exponentially larger than its DAG, so every walk here visits each
distinct node once -- ``distinct_nodes``, ``tree_size`` -- and ``describe`` prints an
expression for an error message only when it is small.
"""
from sympy import Basic, Function

__all__ = ["distinct_nodes", "postorder", "tree_size", "describe", "substituted", "DESCRIBE_NODES"]


def distinct_nodes(expr):
    """Each distinct node of ``expr`` once (by identity), parents before children: a
    result shares subtrees, and a tree walk (``preorder_traversal``, ``atoms``, ``has``)
    visits a shared one once per path to it."""
    seen = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, Basic):
            stack.extend(node.args)


#: tree sizes already counted, by the identity of the node (kept alive with it, so the id is
#: not reused): the simplifier asks for the size of nested regions of one result again and
#: again.  Not by equality: an equal copy of a large node would be compared node by node.
_TREE_SIZES = {}


def tree_size(expr):
    """Nodes of ``expr`` as a tree (as text writes it), counted once per distinct node: a
    result shares subtrees, and its tree can be exponentially larger than its DAG."""
    if len(_TREE_SIZES) > 200_000:
        _TREE_SIZES.clear()
    sizes = _TREE_SIZES
    if id(expr) not in sizes:
        for node in postorder(expr, known=sizes):
            args = node.args if isinstance(node, Basic) else ()
            sizes[id(node)] = (node, 1 + sum(sizes[id(a)][1] for a in args))
    return sizes[id(expr)][1]


def postorder(expr, known=()):
    """Each distinct node of ``expr`` (by identity) after its arguments, without recursion
    (a deep expression would exhaust Python's stack); nodes whose id is in ``known``
    are taken as done."""
    done = set()
    stack = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done or id(node) in known:
            continue
        args = node.args if isinstance(node, Basic) else ()
        if expanded or not args:
            done.add(id(node))
            yield node
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in args if id(a) not in done and id(a) not in known)


#: an expression larger than this is described by its type alone (printing is linear in
#: the tree, and a message must come back at once)
DESCRIBE_NODES = 20_000


def describe(expr, limit=120):
    """``expr`` as short text for an error message; never raises (printing can fail)."""
    try:
        if isinstance(expr, Basic) and tree_size(expr) > DESCRIBE_NODES:
            return f"{type(expr).__name__}(...) of {tree_size(expr):,} nodes"
        text = str(expr)
    except Exception:  # a message must never crash (SymPy's printers can)
        try:
            text = f"{type(expr).__name__}{tuple(type(a).__name__ for a in expr.args)}"
        except Exception:
            text = type(expr).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


def substituted(expr, mapping):
    """``expr.xreplace(mapping)`` without letting functions re-evaluate their arguments.

    Rebuilding runs constructors, and ``Abs(u)`` re-simplifies ``u``: it pushes
    ``(S D)^T`` to ``D^T S`` for a symmetric S -- the same value at a symmetric point,
    but another function of an unconstrained S, whose finite differences would judge a
    different function than the one given. Applied functions are therefore rebuilt
    with ``evaluate=False``; every other node as ``xreplace`` does."""
    memo = {}

    def walk(node):
        key = id(node)
        if key in memo:
            return memo[key]
        if node in mapping:
            out = mapping[node]
        elif not isinstance(node, Basic) or not node.args:
            out = node
        else:
            args = [walk(a) for a in node.args]
            if all(new is old for new, old in zip(args, node.args)):
                out = node
            elif isinstance(node, Function):
                out = node.func(*args, evaluate=False)
            else:
                from .registry import rebuilt   # registry imports this module
                out = rebuilt(node, args)
        memo[key] = out
        return out

    return walk(expr)
