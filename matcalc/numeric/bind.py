"""Concrete functions for the undefined ones: ``check(..., functions={f: sin, g: Lambda(M, ...)})``.

``bind_functions(expr, functions)`` walks ``expr`` and hands every node with a ``BIND`` rule
to it (``registry.BIND``: the constructs of undefined functions register theirs): f(a)
becomes the concrete function of a, a derivative f'(a) is evaluated by SymPy (``doit``) once
f is concrete, and ∇f(U) of a claim becomes the gradient of the concrete f at U.  Every other
node is rebuilt from its bound arguments.  The function under test is only ever *evaluated*
with the concrete functions in place: its derivative is still judged by finite differences.
"""
from sympy import Basic, Function
from sympy.core.function import Application, UndefinedFunction

from ..errors import UnsupportedError
from ..registry import BIND, rebuilt

__all__ = ["bind_functions"]


def _checked(functions):
    """``functions`` as {name of the undefined function: concrete}, keys checked (by name:
    the engine makes f(U) of a matrix U commutative, the same f under another class)."""
    out = {}
    for f, concrete in dict(functions).items():
        if not (isinstance(f, UndefinedFunction)
                or getattr(f, "is_undefined_matrix_function", False)):
            raise TypeError(f"functions= maps undefined functions (Function('f'), "
                            f"matcalc.matrix_function) to concrete ones; {f!r} is not one")
        if not (callable(concrete) or isinstance(concrete, Function)):
            raise TypeError(f"the concrete function for {f} must be a SymPy function, a Lambda "
                            f"or a callable, got {concrete!r}")
        out[f.__name__] = concrete
    return out


def bind_functions(expr, functions):
    """``expr`` with the undefined functions of ``functions`` made concrete (see the module)."""
    if not functions or not isinstance(expr, Basic):
        return expr
    functions = _checked(functions)
    memo = {}

    def bind(e):
        if not isinstance(e, Basic) or not e.args:
            return e
        hit = memo.get(e)
        if hit is not None:
            return hit
        rule = BIND.lookup(e)
        if rule is not None:
            try:
                out = rule(e, functions, bind)
            except (ValueError, TypeError) as exc:   # SymPy rebuilding the bound argument
                raise UnsupportedError(f"the concrete function bound in {type(e).__name__}",
                                       f"SymPy could not substitute its argument "
                                       f"({str(exc).splitlines()[0][:200]})") from None
        else:
            args = [bind(a) for a in e.args]
            try:
                # an applied function rebuilt unevaluated: Abs.eval re-simplifies its argument
                # and SymPy's sign simplification breaks matrix arguments
                out = e if all(a is b for a, b in zip(args, e.args)) else (
                    e.func(*args, evaluate=False) if isinstance(e, Application) else rebuilt(e, args))
            except (ValueError, TypeError) as exc:   # SymPy rebuilding around a bound value
                raise UnsupportedError(f"{type(e).__name__} around a bound function",
                                       f"SymPy could not rebuild it "
                                       f"({str(exc).splitlines()[0][:200]})") from None
        memo[e] = out
        return out

    return bind(expr)
