r"""Undefined functions: ``Function("f")`` of scalars and of matrices, and their derivatives.

    d f(a) = f'(a) da                       d F(a, b) = ∂_1 F(a, b) da + ∂_2 F(a, b) db
    d f(U) = <∇f(U), dU>                    (U a matrix: constructs/function_gradient.py)
    d f'(a) = f''(a) da                     d ∂_1 F(a, b) = ∂_1∂_1 F da + ∂_2∂_1 F db

The derivatives are SymPy's own objects -- ``Subs(Derivative(f(ξ), ξ), ξ, a)`` as SymPy's
chain rule writes them, so ``.subs(f, sin).doit()`` gives ``cos(a)`` -- printed
``f'\left(a\right)`` and ``\partial_{1} F\left(a, b\right)``.  For several arguments every
scalar argument is substituted (``Subs(Derivative(F(ξ_1, ξ_2), ξ_1), (ξ_1, ξ_2), (a, b))``),
so that a derivative differentiates again argument by argument.

They have no value: ``matcalc.check(..., functions={f: sin})`` binds a concrete function
(``BIND`` rules: the function applied, then the derivatives evaluated by SymPy).
"""
from sympy import Add, Basic, Derivative, Dummy, Function, Subs, Symbol
from sympy.core.function import AppliedUndef

from ..algebra import is_matrix, transpose_of
from ..dag import substituted
from ..errors import UnsupportedError
from ..registry import BIND, DIFFERENTIAL, LATEX, TEXT, construct
from .function_gradient import apply_concrete, function_gradient
from .scalars import as_scalar
from .trace import trace

__all__ = ["partial", "undefined_derivative", "substituted_derivatives", "commutative_functions"]

_NO_VALUE = ("an undefined function has no value: bind a concrete one, "
             "matcalc.check(..., functions={f: sin})")
construct(AppliedUndef, "scalar", refuses={"numpy": _NO_VALUE, "codegen": _NO_VALUE})
construct(Subs, "scalar", refuses={"numpy": _NO_VALUE, "codegen": _NO_VALUE})
construct(Derivative, "scalar", refuses={"numpy": _NO_VALUE, "codegen": _NO_VALUE})

#: the substituted variables of partial derivatives, one per argument position
_XI = tuple(Dummy(f"xi_{k}") for k in range(1, 9))


def _xi(k):
    return _XI[k - 1] if k <= len(_XI) else Dummy(f"xi_{k}")


def undefined_derivative(D):
    """(F, [(position, order), ...], arguments) of a derivative of an undefined function F
    (a ``Subs`` of a ``Derivative``, or a ``Derivative`` in F's own arguments), else None."""
    if isinstance(D, Subs):
        inner, variables, point = D.args
        if not isinstance(inner, Derivative):
            return None
        replace = dict(zip(variables, point))
    elif isinstance(D, Derivative):
        inner, replace = D, {}
    else:
        return None
    F = inner.expr
    if not isinstance(F, AppliedUndef):
        return None
    orders = []
    for v, count in inner.variable_count:
        if v not in F.args:
            return None
        orders.append((F.args.index(v) + 1, count))
    return F, orders, [replace.get(a, a) for a in F.args]


def commutative_functions(expr):
    """``expr`` with every undefined function of a matrix made commutative: SymPy makes
    f(A B) non-commutative (its argument is), and a product of non-commutative scalars has
    no place in a matrix product; f(U) is a scalar.  Same name, so binding by name holds."""
    def commutative(F):
        if F.is_commutative:
            return F
        return Function(F.func.__name__, commutative=True)(*F.args)
    return expr.replace(lambda e: isinstance(e, AppliedUndef) and not e.is_commutative,
                        commutative)


def substituted_derivatives(expr):
    """``expr`` with every ``Derivative(f(u), u)`` of an undefined f in the ``Subs`` form,
    ``Subs(Derivative(f(ξ), ξ), ξ, u)``: a body that stays valid when u is replaced by an
    expression (an elementwise f'(U) composed with another function)."""
    if not isinstance(expr, Basic) or isinstance(expr, Subs) or not expr.args:
        return expr
    if isinstance(expr, Derivative) and isinstance(expr.expr, AppliedUndef):
        found = undefined_derivative(expr)
        if found is not None:
            F, orders, args = found
            return partial(F.func(*args), [k for k, c in orders for _ in range(c)],
                           substituted=True)
    args = [substituted_derivatives(a) for a in expr.args]
    return expr if args == list(expr.args) else expr.func(*args)


def partial(F, positions, substituted=False):
    """∂_{k_1} ... ∂_{k_r} F at F's arguments (``positions``: 1-based, repeats allowed), as
    ``Subs(Derivative(F(ξ_1, ...), ξ_k ...), (ξ_1, ...), (a_1, ...))`` with every scalar
    argument substituted (matrix arguments stay in place) -- SymPy's form f'(a) =
    ``Subs(Derivative(f(ξ), ξ), ξ, a)`` for one argument; ``Derivative(f(t), t)`` of a symbol."""
    if len(F.args) == 1 and len(positions) == 1 and F.args[0].is_Symbol and not substituted:
        return F.fdiff(1)                  # Derivative(f(t), t): SymPy's own form
    scalars = [k for k, a in enumerate(F.args, 1) if not is_matrix(a)]
    xis = {k: _xi(k) for k in scalars}
    body = F.func(*[xis.get(k, a) for k, a in enumerate(F.args, 1)])
    D = Derivative(body, *[xis[k] for k in positions])
    return Subs(D, tuple(xis[k] for k in scalars), tuple(F.args[k - 1] for k in scalars))


# == differential ==

@DIFFERENTIAL.register(AppliedUndef, "chain rule: d f(a, U) = ∂_1 f da + <∇_2 f, dU>",
                       note="chain rule")
def d_undefined(s, d):
    """d f(a_1, ..., a_r) = Σ_k ∂_k f da_k for scalar a_k, <∇_k f, dU_k> for matrix U_k (a 1x1
    matrix argument is its scalar)."""
    args = [as_scalar(a) if is_matrix(a) and tuple(a.shape) == (1, 1) else a for a in s.args]
    if args != list(s.args):
        return d(s.func(*args))
    terms = []
    for k, a in enumerate(args, 1):
        if not d.depends(a):
            continue
        if is_matrix(a):
            terms.append(trace(transpose_of(function_gradient(s, k)) * d(a)))
        else:
            terms.append(partial(s, [k]) * d(a))
    return Add(*terms)


@DIFFERENTIAL.register(Subs, "chain rule: d ∂f(a) = Σ_k ∂_k ∂f(a) da_k",
                       when=lambda e: undefined_derivative(e) is not None, note="chain rule")
@DIFFERENTIAL.register(Derivative, "chain rule: d ∂f(a) = Σ_k ∂_k ∂f(a) da_k",
                       when=lambda e: undefined_derivative(e) is not None, note="chain rule")
def d_undefined_derivative(s, d):
    """d (∂_{k_1..k_r} F)(a) = Σ_k (∂_k ∂_{k_1..k_r} F)(a) da_k (scalar arguments)."""
    F, orders, args = undefined_derivative(s)
    applied = F.func(*args)
    positions = [k for k, count in orders for _ in range(count)]
    terms = []
    for k, a in enumerate(args, 1):
        if not d.depends(a):
            continue
        if is_matrix(a):
            raise UnsupportedError(f"the derivative {s} of {F.func} along its matrix argument "
                                   f"{a}", "second derivatives of a function of a matrix "
                                   "(∇²f) have no rule")
        terms.append(partial(applied, positions + [k]) * d(a))
    return Add(*terms)


@DIFFERENTIAL.register(Subs)
@DIFFERENTIAL.register(Derivative)
def d_other_derivative(s, d):
    """Other unevaluated derivatives are not matcalc's to differentiate."""
    raise UnsupportedError(f"the unevaluated derivative {s}",
                           "only derivatives of undefined functions are differentiated")


# == printing ==

@LATEX.register(AppliedUndef)
def latex_undefined(s, printer, exp=None):
    r"""``f\left(A B\right)``, ``F\left(a, b\right)``."""
    tex = r"%s\left(%s\right)" % (printer._print(Symbol(s.func.__name__)),
                                   ", ".join(printer._print(a) for a in s.args))
    return tex if exp is None else r"%s^{%s}" % (tex, exp)


def _orders_text(orders, latex):
    if latex:
        return "".join(r"\partial_{%d}" % k + ("^{%d}" % c if c > 1 else "") for k, c in orders)
    return "_" + "".join(str(k) * c for k, c in orders)


def _primes(count):
    return "'" * count if count <= 3 else "^{(%d)}" % count


@LATEX.register(Subs, when=lambda e: undefined_derivative(e) is not None)
@LATEX.register(Derivative, when=lambda e: undefined_derivative(e) is not None)
def latex_undefined_derivative(s, printer, exp=None):
    r"""``f'\left(a\right)``, ``f''\left(a\right)``, ``\partial_{1} F\left(a, b\right)``."""
    F, orders, args = undefined_derivative(s)
    name = printer._print(Symbol(F.func.__name__))
    inside = ", ".join(printer._print(a) for a in args)
    if len(args) == 1:
        head = name + _primes(orders[0][1])
    else:
        head = _orders_text(orders, latex=True) + " " + name
    tex = r"%s\left(%s\right)" % (head, inside)
    return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


@TEXT.register(Subs, when=lambda e: undefined_derivative(e) is not None)
@TEXT.register(Derivative, when=lambda e: undefined_derivative(e) is not None)
def text_undefined_derivative(s, printer):
    """``f'(a)``, ``f''(a)``, ``F_1(a, b)``, ``F_12(a, b)`` (printed only)."""
    F, orders, args = undefined_derivative(s)
    inside = ", ".join(printer._print(a) for a in args)
    if len(args) == 1:
        return "%s%s(%s)" % (F.func.__name__, "'" * orders[0][1], inside)
    return "%s%s(%s)" % (F.func.__name__, _orders_text(orders, latex=False), inside)


# == numeric ==

@BIND.register(AppliedUndef)
def bind_undefined(s, functions, bind):
    """f(a) with f bound: the concrete function of the bound arguments."""
    args = [bind(a) for a in s.args]
    concrete = functions.get(s.func.__name__)
    return s.func(*args) if concrete is None else apply_concrete(concrete, args)


@BIND.register(Subs)
@BIND.register(Derivative)
def bind_derivative(s, functions, bind):
    """A derivative of bound functions: evaluated by SymPy (``doit``: cos for sin ...)."""
    bound = s.func(*[bind(a) for a in s.args])
    if bound.atoms(AppliedUndef):
        return bound
    if isinstance(bound, Subs):
        # f'(ξ) at ξ = a: the derivative evaluated, then a put in unevaluated (doit would
        # also evaluate a, and SymPy's Kronecker doit breaks on scalar factors in it)
        expr, variables, point = bound.args
        return substituted(expr.doit(), dict(zip(variables, point)))
    return bound.doit()
