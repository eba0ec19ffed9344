"""Scalar arithmetic and 1x1 matrices used as scalars: ``Add``, ``Mul``, ``Pow``, ``M[0, 0]``.

    d(a + b) = da + db          d(a b) = da b + a db          d(a^p) = p a^{p-1} da
    d(b^a) = b^a log(b) da      d (M)_{00} = (dM)_{00}        (M a 1x1 matrix expression)

``scalar(M)`` turns a 1x1 matrix expression into a SymPy scalar (``ScalarElement``, which
never expands a product into an index sum as SymPy's own ``M[0, 0]`` does).
"""
from sympy import (Abs, Add, Basic, Eq, Identity, Integer, MatAdd, MatMul, MatrixSymbol, Mod, Mul,
                   Piecewise, Pow, Rational, S,
                   floor, im, log, sign)
from sympy.concrete.summations import Sum
from sympy.core.numbers import ComplexInfinity
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices import MatrixBase
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr
from sympy.printing.precedence import PRECEDENCE
from sympy.tensor.indexed import Indexed

from ..algebra import scaled
from ..errors import ShapeError, UnsupportedError
from ..registry import (CANONICAL, CODEGEN, COTANGENT, DIFFERENTIAL, FUNCTIONS, LATEX, NUMPY,
                        ONE_BY_ONE, REWRITE, TEXT,
                        construct, describe, sympy_notation)

__all__ = ["ScalarElement", "scalar", "scalar_value", "as_scalar"]


class ScalarElement(MatrixElement):
    """``M[0, 0]`` of a 1x1 matrix expression, kept whole: its ``doit`` never expands
    the product into an index sum (SymPy's MatrixElement does, on every ``c*M``)."""

    def doit(self, **hints):
        parent = self.args[0]
        if hints.get("deep", True):
            parent = parent.doit(**hints)
        return type(self)(parent, *self.args[1:])


def scalar(M):
    """The 1x1 matrix ``M`` as a SymPy scalar (``M[0, 0]`` kept in matrix form).

    SymPy's own ``M[0, 0]`` expands a product into an index sum; this keeps
    ``x.T*A*x`` readable and differentiable by matcalc.
    """
    M = _sympify(M)
    if not isinstance(M, MatrixExpr):
        return M
    if M.shape != (1, 1):
        raise ValueError(f"scalar() needs a 1x1 matrix expression, got shape {M.shape} for {M}")
    return ScalarElement(M, Integer(0), Integer(0))


def scalar_value(M):
    """The scalar a 1x1 matrix expression stands for, by its construct's ``ONE_BY_ONE`` rule
    (``(x^T A x)^{-1}`` -> ``1/(x^T A x)``, ``I_1`` -> 1), else ``scalar(M)``."""
    rule = ONE_BY_ONE.lookup(M)
    return scalar(M) if rule is None else rule(M)


def as_scalar(f):
    """A 1x1 matrix expression as a scalar (``scalar(M)``); scalars unchanged."""
    if isinstance(f, MatrixExpr):
        if tuple(f.shape) != (1, 1):
            raise ValueError(f"expected a scalar or a 1x1 matrix, got shape {f.shape}: {f}")
        return scalar(f)
    return f


construct(Add, "scalar", linear=True)
construct(Mul, "scalar", linear=True)
construct(Pow, "scalar")
construct(MatrixElement, "scalar", linear=True)


# == differential ==

@DIFFERENTIAL.register(Add, "linearity: d(a + b) = da + db",
                       note="linearity")
def d_add(s, d):
    """Linearity: d(a + b) = da + db."""
    return Add(*[d(a) for a in s.args if d.depends(a)])


@DIFFERENTIAL.register(Mul, "product rule: d(ab) = da b + a db",
                       note="product rule")
def d_mul(s, d):
    """Product rule: d(a b) = da b + a db."""
    args = list(s.args)
    return Add(*[Mul(*args[:i], d(a), *args[i + 1:]) for i, a in enumerate(args) if d.depends(a)])


@DIFFERENTIAL.register(Pow, "power rule: d(a^p) = p a^{p-1} da",
                       note="power rule")
def d_pow(s, d):
    """d(a^p) = p a^{p-1} da;  d(b^a) = b^a log(b) da;  (a^{2m})^p = |a|^{2mp} for a
    fractional p (a real: the even power is >= 0, its root real)."""
    base, p = s.args
    if not d.depends(p):
        if isinstance(base, Pow) and base.exp.is_even and not p.is_integer:
            return d(Abs(base.base) ** (base.exp * p))
        return p * base ** (p - 1) * d(base)
    if not d.depends(base):
        return s * log(base) * d(p)
    return s * (d(p) * log(base) + p * d(base) / base)


def _is_real_branch(expr):
    """A ``Piecewise`` whose conditions only ask whether a scalar is real (``im(a) = 0``):
    SymPy's ``real_root(a, n)``."""
    return all(cond == True or (isinstance(cond, Eq) and isinstance(cond.lhs, im)  # noqa: E712
                                and cond.rhs == 0) for _, cond in expr.args)


@DIFFERENTIAL.register(Piecewise, "real root: the branch of a real argument",
                       when=_is_real_branch, note="real root")
def d_real_branch(s, d):
    """matcalc's scalars are real: the branch of ``im(a) = 0`` is the function
    (real_root(a, n) = sign(a) |a|^{1/n}, and d(sign(a) |a|^q) = q |a|^{q-1} da, a != 0)."""
    expr = s.args[0][0]
    parts = Mul.make_args(expr)
    signs = [f for f in parts if isinstance(f, sign)]
    powers = [f for f in parts if isinstance(f, Pow) and isinstance(f.base, Abs)]
    if len(parts) == 2 and signs and powers:
        a, q = signs[0].args[0], powers[0].exp
        if powers[0].base.args[0] in (a, -a):   # |-a| = |a|
            return q * Abs(a) ** (q - 1) * d(a)
    return d(expr)


@DIFFERENTIAL.register(MatrixElement, "d (M)_{ij} = (dM)_{ij}",
                       note=r"$\mathrm{d}(M_{ij}) = (\mathrm{d}M)_{ij}$")
def d_element(s, d):
    """d (M)_{ij} = (dM)_{ij}: an entry of M (a 1x1 M used as a scalar: its (0, 0));
    the indices are constants."""
    M, i, j = s.args
    dM = d(M)
    return S.Zero if dM.is_ZeroMatrix else ScalarElement(dM, i, j)


def _index_sum(expr, why=""):
    if expr.has(Mod, floor):    # SymPy expands an entry of a Kronecker product eagerly
        hint = ("; SymPy wrote an entry of a Kronecker product as this sum: pass the 1 x 1 "
                "product itself (without [0, 0]), matcalc reads it as a scalar")
    else:
        hint = "; write it with matrix products and M[i, j] of the product"
    return UnsupportedError(f"the index sum {describe(expr)}",
                            "it has no matrix form" + (f" ({why})" if why else "") + hint)


def _free_indices(s):
    """The free symbols of ``s`` used as indices of matrix entries, by name."""
    found = set()
    for element in s.atoms(MatrixElement):
        found |= (element.i.free_symbols | element.j.free_symbols)
    return sorted(found & s.free_symbols, key=lambda x: x.name)


def matrix_form(s):
    """SymPy's index sum (its expansion of (A X B)[i, j] or (x^T A x)[0, 0]) in matrix form:
    the entry (A X B)_{ij} of the product, kept whole."""
    free = _free_indices(s)
    if len(free) > 2:
        raise _index_sum(s, f"{len(free)} free indices")
    try:
        M = MatrixExpr.from_index_summation(s, *free)
    except Exception as exc:  # SymPy's converter raises several kinds
        raise _index_sum(s, str(exc)) from None
    if not isinstance(M, MatrixExpr):
        out = M
    elif len(free) == 2:
        out = ScalarElement(M, *free)
    elif len(free) == 1:
        out = ScalarElement(M, free[0], 0) if M.shape[1] == 1 else ScalarElement(M, 0, free[0])
    else:
        out = as_scalar(M)
    if out.has(Sum):
        raise _index_sum(s, "SymPy's converter left a sum")
    return out


@DIFFERENTIAL.register(Sum, "index sum in matrix form: (A X B)_{ij}",
                       note="index sum in matrix form")
def d_index_sum(s, d):
    """An index sum is differentiated in its matrix form (``matrix_form``)."""
    return d(matrix_form(s))


@DIFFERENTIAL.register(Indexed)
def d_indexed(s, d):
    """Indexed objects (SymPy's tensor indices) have no matrix form."""
    raise _index_sum(s, "an Indexed object")


@DIFFERENTIAL.register(Basic, when=lambda e: not isinstance(e, (MatrixElement, Sum))
                       and e.has(Sum), note="index sum in matrix form")
def d_containing_index_sum(s, d):
    """Any other construct around index sums: each sum in matrix form first."""
    return d(s.replace(lambda e: isinstance(e, Sum), matrix_form))


# == identification ==

@COTANGENT.register(Add)
def cotangent_add(s, c, walk):
    """<c, a + b> = <c, a> + <c, b>."""
    for a in s.args:
        if walk.has(a):
            yield from walk(a, c)


@COTANGENT.register(Mul)
def cotangent_mul(s, c, walk):
    """<c, a s> = <c a, s>: the one factor linear in dX keeps the rest as coefficient."""
    inner = [a for a in s.args if walk.has(a)]
    if len(inner) != 1:
        raise walk.nonlinear(s)
    outer = Mul(*[a for a in s.args if a is not inner[0]])
    yield from walk(inner[0], c * outer)


@COTANGENT.register(MatrixElement, when=lambda s: tuple(s.parent.shape) == (1, 1))
def cotangent_element(s, c, walk):
    """<c, (L)_{00}> = <c I_1, L>  for a 1x1 matrix differential L (any other entry:
    constructs/unit_matrix.py)."""
    yield from walk(s.parent, scaled(c, Identity(1)))



# == simplification ==

@CANONICAL.register(MatrixElement)
def scalar_linear(e):
    """scalar(c M) = c scalar(M), scalar(A + B) = scalar(A) + scalar(B) for 1x1 matrices
    (canonical form only: the text language reads ``c*(x'*y)`` either way)."""
    M = e.args[0]
    if not (is_scalar_of_1x1(e) and isinstance(M, (MatMul, MatAdd))):
        return e
    if isinstance(M, MatAdd):
        return Add(*[scalar(a) for a in M.args])
    coeff, mats = M.as_coeff_matrices()
    if coeff == 1 or not mats:
        return e
    return coeff * scalar(MatMul(*mats) if len(mats) > 1 else mats[0])


@REWRITE.register(Mul)
def combine_powers(e):
    """b^p b^q = b^(p + q) (SymPy keeps symbolic exponents apart: (1 + t^2)^(1-q) (1 + t^2)^(q-1)
    would stay, and overflow to inf * 0 = nan where the product is 1)."""
    exponents = {}
    for f in Mul.make_args(e):
        base, power = f.as_base_exp()
        exponents.setdefault(base, []).append(power)
    if all(len(p) == 1 for p in exponents.values()):
        return e
    return Mul(*[base ** Add(*powers) for base, powers in exponents.items()])


@REWRITE.register(MatrixElement)
def element_of_one_by_one(e):
    """(M)_{00} of a 1x1 M is M's scalar: ((s t^3) I_1)_{00} = s t^3 (one spelling, read as
    a scalar)."""
    if not is_scalar_of_1x1(e) or isinstance(e.parent, MatrixSymbol):
        return e
    value = scalar_value(e.parent)
    return e if is_scalar_of_1x1(value) and value.parent == e.parent else value


@REWRITE.register(MatMul)
def entry_times_one_by_one_identity(e):
    """c M_{00} I_1 = c M for a 1x1 matrix M: a 1x1 result reads as the matrix it is,
    ``2*t`` and ``x'*A*x``, not ``(2*t[0, 0])*I``."""
    coeff, mats = e.as_coeff_matrices()
    if len(mats) != 1 or not mats[0].is_Identity or tuple(e.shape) != (1, 1):
        return e
    c, entries = coeff.as_coeff_Mul()
    if is_scalar_of_1x1(entries) and not isinstance(entries.parent, MatrixBase):
        return scaled(c, entries.parent)
    return e


# == printing ==

def is_scalar_of_1x1(expr):
    """Is ``expr`` the entry (0, 0) of a 1x1 matrix, ``scalar(M)``?"""
    return (isinstance(expr, MatrixElement) and expr.parent.shape == (1, 1)
            and expr.i == 0 and expr.j == 0)


def is_compound_scalar(expr):
    """A 1x1 matrix expression read as a scalar, e.g. ``x^{T} A x`` (not a 1x1 symbol):
    it takes parentheses among other factors."""
    return is_scalar_of_1x1(expr) and not isinstance(expr.parent, MatrixSymbol)


@LATEX.register(Mul)
def latex_mul(expr, printer, **kwargs):
    """SymPy's product, a compound scalar among other factors in parentheses:
    ``\\left(x^{T} x\\right) \\left(x^{T} A x\\right)``."""
    return printer.scalar_product(expr)


@LATEX.register(Add)
def latex_add(expr, printer, order=None):
    """a + b - c, a positive term first: ``1 - \\operatorname{tr}\\left(X\\right)``."""
    return printer.signed_sum(expr, order=order)


LATEX.register(Pow)(sympy_notation)   # x^{2}, \frac{1}{x}, \sqrt{x}


@LATEX.register(MatrixElement)
def latex_element(expr, printer):
    """``scalar(M)`` prints as M itself: ``x^{T} A x``."""
    if is_scalar_of_1x1(expr):
        return printer._print(expr.parent)
    return printer.sympy_print(expr)


TEXT.register(Add)(sympy_notation)   # a + b: SymPy's spelling is the language's
TEXT.register(Mul)(sympy_notation)   # 2*a*b, a/b


@TEXT.register(Pow)
def text_pow(expr, printer):
    """``a^p``; an integer power of a 1x1 product is ``scalar(x'*A*x)^2`` (the language
    reads ``(x'*A*x)^2`` as a matrix power)."""
    base, p = expr.args
    if is_compound_scalar(base) and p.is_Integer and p != -1:
        return "%s**%s" % (printer.call(read_scalar.name, base.parent),
                           printer.parenthesize(p, PRECEDENCE["Pow"]))
    return printer.sympy_print(expr)


@TEXT.register(MatrixElement)
def text_element(expr, printer):
    """``scalar(M)`` of a 1x1 M prints as M, in parentheses unless atomic: ``(x'*A*x)``."""
    parent = expr.parent
    if getattr(parent, "shape", None) == (1, 1):
        text = printer._print(parent)
        return text if printer.is_atomic(parent) else f"({text})"
    return printer.sympy_print(expr)


# == parsing ==

@FUNCTIONS.define("scalar")
def read_scalar(call):
    """scalar(M): the 1x1 expression M as a scalar."""
    if call.shape(0) not in (None, (1, 1)):
        raise ShapeError(f"scalar() needs a 1x1 expression, got {call.describe(0)}")
    return scalar(call.expr(0))


# == numeric ==

@NUMPY.register(Add)
@NUMPY.register(Mul)
@NUMPY.register(Pow)
def numpy_arithmetic(s, printer):
    """a + b, a b, a^p: SymPy's own NumPy printing (a coefficient beyond float's range folded
    into a power: ``c t^p`` as ``(c^{1/p} t)^p``)."""
    folded = _folded_coefficient(s, printer) if s.is_Mul else None
    return printer.print_natively(s) if folded is None else folded


#: a rational coefficient with more digits than this in its numerator or denominator over
#: the other is beyond float64 (about 1e±308)
_FLOAT_DIGITS = 300


def folded_coefficient(s):
    """``(sign, k, b^p, r)`` for ``c b^p r`` to be evaluated as ``sign (k b)^p r``, k = |c|^{1/p},
    when the rational c over- or underflows a float and b^p is a power with an integer
    p >= 2; else None. The collapsed chain rule of ((t/4)^9 / 4)^9 ... has c = 243/10^600
    t^971, which evaluated as 0 * inf = nan (campaign run 6) where each factor of
    ``(k t)^971`` stays finite."""
    coeff, rest = s.as_coeff_Mul()
    if not coeff.is_Rational or coeff == 0:
        return None
    if abs(len(str(abs(coeff.p))) - len(str(coeff.q))) <= _FLOAT_DIGITS:
        return None
    powers = [f for f in Mul.make_args(rest) if f.is_Pow and f.exp.is_Integer and f.exp >= 2]
    if not powers:
        return None
    power = max(powers, key=lambda f: f.exp)
    k = float((abs(coeff) ** Rational(1, int(power.exp))).evalf(20))
    return (-1 if coeff < 0 else 1), k, power, Mul(*[f for f in Mul.make_args(rest)
                                                     if f is not power])


def _folded_coefficient(s, printer):
    """The NumPy code of ``folded_coefficient``, or None."""
    folded = folded_coefficient(s)
    if folded is None:
        return None
    sign, k, power, others = folded
    code = "%s(%r*%s)**%d" % ("-" if sign < 0 else "", k,
                              printer.parenthesize(power.base, PRECEDENCE["Mul"]),
                              int(power.exp))
    return code if others == 1 else "%s*%s" % (code, printer.parenthesize(others, PRECEDENCE["Mul"]))


@NUMPY.register(Sum)
def numpy_index_sum(s, printer):
    """Σ_{i=a}^{b} t(i) -> ``builtins.sum(t(i) for i in range(int(a), int(b) + 1))``: the
    limits hold sizes or exponents, which the evaluator may hand over as floats."""
    loops = " ".join("for %s in range(int(%s), int(%s) + 1)"
                     % (printer._print(i), printer._print(a), printer._print(b))
                     for i, a, b in s.limits)
    return "(%s(%s %s))" % (printer._module_format("builtins.sum"),
                            printer._print(s.function), loops)


@NUMPY.register(MatrixElement)
def numpy_element(s, printer):
    """(M)_{ij} -> ``(M)[i, j]`` (a symbolic index: ``int(i)``, it takes integer values)."""
    i, j = ((printer._print(k) if k.is_Integer else "int(%s)" % printer._print(k))
            for k in (s.i, s.j))
    return "%s[%s, %s]" % (printer.operand(s.parent), i, j)


@NUMPY.register(ComplexInfinity)
def numpy_complex_infinity(s, printer):
    """zoo (complex infinity, e.g. 1/0) has no real value: ``numpy.nan``."""
    return printer.np("nan")


# == codegen ==

@CODEGEN.register(Add)
def codegen_add(s, emit, env):
    """a + b - c: a term with a negative coefficient is subtracted."""
    terms = []
    for a in s.args:
        c, rest = a.as_coeff_Mul()
        terms.append((True, emit.value(-a, env)) if c.is_negative else (False, emit.value(a, env)))
    return emit.signed_sum(terms)


@CODEGEN.register(Mul)
def codegen_mul(s, emit, env):
    """a b / (c d): factors with exponent -1 divide; a coefficient beyond float's range is
    folded into a power (``folded_coefficient``)."""
    c, rest = s.as_coeff_Mul()
    if c == -1:
        return emit.emit(f"-{emit.value(rest, env)}")
    folded = folded_coefficient(s)
    if folded is not None:      # c beyond float's range: (|c|^{1/p} b)^p
        sign, k, power, others = folded
        code = f"{'-' if sign < 0 else ''}({k!r} * {emit.value(power.base, env)}) ** {int(power.exp)}"
        return emit.emit(code if others == 1 else f"{code} * {emit.value(others, env)}")
    numer = [a for a in Mul.make_args(s) if not (isinstance(a, Pow) and a.exp == -1)]
    denom = [a.base for a in Mul.make_args(s) if isinstance(a, Pow) and a.exp == -1]
    code = " * ".join(emit.value(a, env) for a in numer) if numer else "1.0"
    if denom:
        code += " / " + (emit.value(denom[0], env) if len(denom) == 1 else
                         "(" + " * ".join(emit.value(a, env) for a in denom) + ")")
    return emit.emit(code)


@CODEGEN.register(Pow)
def codegen_pow(s, emit, env):
    """a^p: sqrt for p = ±1/2, a reciprocal for p = -1, ``**`` otherwise."""
    base, p = s.args
    b = emit.value(base, env)
    if p == S.Half:
        return emit.emit(f"B.sqrt({b})")
    if p == -S.Half:
        return emit.emit(f"1.0 / B.sqrt({b})")
    if p == -1:
        return emit.emit(f"1.0 / {b}")
    if p.is_Integer and p > 0:
        return emit.emit(f"{b} ** {int(p)}")
    return emit.emit(f"{b} ** {emit.value(p, env)}")


@CODEGEN.register(MatrixElement)
def codegen_element(s, emit, env):
    """(M)_{ij} -> ``M[i, j]`` (concrete indices)."""
    return emit.emit(f"{emit.value(s.parent, env)}[{emit.dim(s.i)}, {emit.dim(s.j)}]")
