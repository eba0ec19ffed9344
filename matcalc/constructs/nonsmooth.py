"""Non-smooth scalar functions: ``sign(a)``, the step ``H(a)``, ``max`` and ``min``
(``relu(a) = max(0, a)``); ``|a|`` is ``functions.py``'s.

    d sign(a) = 0,  d H(a) = 0                        (away from a = 0)
    d max(a, b) = H(a - b) da + H(b - a) db           (SymPy's ``Max.fdiff``)
    d min(a, b) = H(b - a) da + H(a - b) db

Applied elementwise (``relu(X)``, ``abs(X)``, ``sign(X)``) the same rules give the body's
derivative (``constructs/elementwise.py``): ``d relu(U) = H(U) ∘ dU``, ``d |U| = sign(U) ∘ dU``.

At a kink -- where an argument of |.|, sign, H, or two arguments of max/min, are equal --
the derivative does not exist; matcalc returns the symmetric derivative
``lim (f(a + h) - f(a - h)) / 2h`` where it exists: ``|a|' = sign(0) = 0``,
``relu'(0) = H(0) = 1/2``, and a tie of two arguments of max/min splits evenly (1/2 each).
``sign`` and ``H`` jump at 0: their derivative is 0 on both sides and matcalc returns 0 at
the jump too (SymPy's ``DiracDelta`` is never produced).  The numeric oracle never judges
a derivative at a kink: a finite difference whose steps cross one (``KINKS``) is discarded.
"""
from itertools import combinations

from sympy import Abs, Add, Heaviside, Lambda, Max, Min, OneMatrix, Rational, S, Symbol, sign
from sympy.core.sympify import _sympify

from ..algebra import matadd, matmul
from ..dag import substituted
from ..errors import ShapeError
from ..registry import (CODEGEN, DIFFERENTIAL, FUNCTIONS, KINKS, LATEX, NUMPY, TEXT, construct,
                        sympy_notation)
from ..simplify.rewrite import abstracted
from .elementwise import elementwise
from .functions import applied
from .scalars import scalar

__all__ = ["relu", "elementwise_extremum"]

construct(sign, "scalar")
construct(Heaviside, "scalar")
construct(Max, "scalar")
construct(Min, "scalar")


def relu(a):
    """relu(a) = max(0, a) (SymPy's ``Max(0, a)``); of a matrix, elementwise, and of a 1x1
    matrix, of its one entry (as the expression language reads ``relu(M)``)."""
    a = _sympify(a)     # strict: never evaluates a string
    if getattr(a, "is_Matrix", False):
        return Max(S.Zero, scalar(a)) if a.shape == (1, 1) else elementwise(relu, a)
    return Max(S.Zero, a)


# == differential ==

@DIFFERENTIAL.register(sign, "d sign(a) = 0 (away from a = 0)",
                       note=r"$\mathrm{d}\operatorname{sign}(a) = 0$ (away from $a = 0$)")
def d_sign(s, d):
    """d sign(a) = 0: sign is constant on both sides of its jump (0 at it too)."""
    return S.Zero


@DIFFERENTIAL.register(Heaviside, "d H(a) = 0 (away from a = 0)",
                       note=r"$\mathrm{d}H(a) = 0$ (away from $a = 0$)")
def d_heaviside(s, d):
    """d H(a) = 0: the step is constant on both sides of its jump (0 at it too)."""
    return S.Zero


@DIFFERENTIAL.register(Max, "d max(a, b) = H(a - b) da + H(b - a) db",
                       note=r"$\mathrm{d}\max(a, b) = H(a - b)\,\mathrm{d}a + H(b - a)\,\mathrm{d}b$")
@DIFFERENTIAL.register(Min, "d min(a, b) = H(b - a) da + H(a - b) db",
                       note=r"$\mathrm{d}\min(a, b) = H(b - a)\,\mathrm{d}a + H(a - b)\,\mathrm{d}b$")
def d_extremum(s, d):
    """d max(a_1, ...) = sum_i H(a_i - max(a_j, j != i)) da_i (min alike): the derivative
    of the argument that is the extremum; H(0) = 1/2 splits a tie of two evenly.

    The steps are built over symbols standing for the matrix-bearing arguments and put back
    unevaluated: SymPy's Heaviside simplifies the sign of its argument, and rebuilding
    ``relu(X C - X^T C)`` inside one negated the matrix into a scalar product."""
    original, back = {}, {}
    for a in s.args:
        p, b = abstracted(a)
        original[p] = a
        back.update(b)
    plain = s.func(*original, evaluate=False)     # SymPy orders its arguments its own way
    return Add(*[substituted(plain.fdiff(i), back) * d(original[p])
                 for i, p in enumerate(plain.args, start=1) if d.depends(original[p])])


# == structure ==

@KINKS.register(Abs)
@KINKS.register(sign)
@KINKS.register(Heaviside)
def kinks_at_zero(s):
    """|a|, sign(a), H(a) bend or jump where a changes sign."""
    return (s.args[0],)


@KINKS.register(Max)
@KINKS.register(Min)
def kinks_at_ties(s):
    """max/min bend where two of their arguments are equal."""
    return tuple(a - b for a, b in combinations(s.args, 2))


# == printing ==

@LATEX.register(sign)
def latex_sign(s, printer, exp=None):
    r"""``\operatorname{sign}\left(a\right)``."""
    tex = printer.operator("sign", s.args[0])
    return tex if exp is None else r"%s^{%s}" % (tex, exp)


@LATEX.register(Heaviside)
def latex_heaviside(s, printer, exp=None):
    r"""``H\left(a\right)`` (the Heaviside step)."""
    tex = r"H\left(%s\right)" % printer._print(s.args[0])
    return tex if exp is None else r"%s^{%s}" % (tex, exp)


LATEX.register(Max)(sympy_notation)   # \max\left(0, a\right)
LATEX.register(Min)(sympy_notation)   # \min\left(a, b\right)


def _is_relu(s):
    return isinstance(s, Max) and len(s.args) == 2 and s.args[0] == 0


@TEXT.register(Max)
@TEXT.register(Min)
def text_extremum(s, printer):
    """``relu(a)`` for max(0, a); ``max(a, b)``, ``min(a, b)``."""
    if _is_relu(s):
        return printer.call(read_relu.name, s.args[1])
    return printer.call(read_max.name if isinstance(s, Max) else read_min.name, *s.args)


@TEXT.register(Heaviside)
def text_heaviside(s, printer):
    """``heaviside(a)`` (H(0) = 1/2), ``heaviside(a, h0)`` for another value at 0."""
    a, h0 = s.args[0], s.args[1] if len(s.args) > 1 else S.Half
    return printer.call(read_heaviside.name, *((a,) if h0 == S.Half else (a, h0)))


# text of sign(a): ``sign(a)``, as every function of the language prints


# == parsing ==

read_relu = FUNCTIONS.define("relu", function=relu)(applied(relu))


@FUNCTIONS.define("heaviside", args=(1, 2), function=Heaviside)
def read_heaviside(call):
    """heaviside(a): the step H(a) (1 for a > 0, 0 for a < 0, 1/2 at 0); of a matrix,
    elementwise; heaviside(a, h0) takes the value h0 at 0."""
    if len(call.args) == 2:
        h0 = call.expr(1)
        if call.shape(1) is not None or not h0.is_number:
            raise ShapeError(f"heaviside()'s second argument is its value at 0, a number; "
                             f"got \"{call.snippet(1)}\"")
        return applied(lambda a: Heaviside(a, h0))(call)
    return applied(Heaviside)(call)


def elementwise_extremum(kind, P, Q):
    """max(P, Q) (``kind`` Max) or min(P, Q) (Min) of scalars or matrices of one shape,
    elementwise where one of them is a matrix:

        max(c, U) = (u -> max(c, u))(U)          c a number
        max(s, U) = s 1 + relu(U - s 1)          s a scalar expression
        max(A, B) = B + relu(A - B),  min(A, B) = A - relu(A - B)
    """
    P_matrix, Q_matrix = getattr(P, "is_Matrix", False), getattr(Q, "is_Matrix", False)
    if not (P_matrix or Q_matrix):
        return kind(P, Q)
    if P_matrix and Q_matrix:
        excess = elementwise(relu, matadd(P, matmul(S.NegativeOne, Q)))
        return matadd(Q, excess) if kind is Max else matadd(P, matmul(S.NegativeOne, excess))
    c, U = (P, Q) if Q_matrix else (Q, P)
    if c.is_number:
        u = Symbol("u", real=True)
        return elementwise(Lambda(u, kind(c, u)), U)
    return elementwise_extremum(kind, matmul(c, OneMatrix(*U.shape)), U)


def _read_extremum(kind, call):
    values = []
    for i in range(len(call.args)):
        shape = call.shape(i)
        values.append(scalar(call.expr(i)) if shape == (1, 1) else call.expr(i))
    shapes = {call.shape(i) for i in range(len(call.args))} - {None, (1, 1)}
    if len(shapes) > 1:
        first, other = [i for i in range(len(call.args))
                        if call.shape(i) not in (None, (1, 1))][:2]
        raise ShapeError(f"{call.name}() of matrices needs one shape, got "
                         f"{call.describe(first)} and {call.describe(other)}")
    result = values[0]
    for value in values[1:]:
        result = elementwise_extremum(kind, result, value)
    return result


@FUNCTIONS.define("max", args=(2, None))
def read_max(call):
    """max(a, b, ...): the largest of scalars; with a matrix, elementwise (max(0, X) is
    relu(X); max(A, B) = B + relu(A - B))."""
    return _read_extremum(Max, call)


@FUNCTIONS.define("min", args=(2, None))
def read_min(call):
    """min(a, b, ...): the smallest of scalars; with a matrix, elementwise
    (min(A, B) = A - relu(A - B))."""
    return _read_extremum(Min, call)


# == numeric ==

@NUMPY.register(Max)
@NUMPY.register(Min)
def numpy_extremum(s, printer):
    """max(a, b, c) -> ``numpy.maximum(numpy.maximum(a, b), c)`` (min alike)."""
    return printer.nested("maximum" if isinstance(s, Max) else "minimum", s.args)


@NUMPY.register(Heaviside)
def numpy_heaviside(s, printer):
    """H(a) -> ``numpy.heaviside(a, h0)``."""
    h0 = s.args[1] if len(s.args) > 1 else S.Half
    return "%s(%s, %s)" % (printer.np("heaviside"), printer._print(s.args[0]),
                           printer._print(Rational(h0) if h0.is_Rational else h0))


# numpy of sign(a): ``numpy.sign(a)``, SymPy's own


# == codegen ==
# max, min: functions.py's codegen_extremum; sign(a): ``B.sign(a)`` (BACKEND_FUNCTIONS)

@CODEGEN.register(Heaviside)
def codegen_heaviside(s, emit, env):
    """H(a) -> ``B.heaviside(a)`` (1/2 at 0); another value at 0 is refused."""
    if len(s.args) > 1 and s.args[1] != S.Half:
        raise emit.unsupported(s)
    return emit.emit(f"B.heaviside({emit.value(s.args[0], env)})")
