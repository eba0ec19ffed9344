"""Scalar arithmetic and 1x1 matrices used as scalars: ``Add``, ``Mul``, ``Pow``, ``M[0, 0]``.

    d(a + b) = da + db          d(a b) = da b + a db          d(a^p) = p a^{p-1} da
    d(b^a) = b^a log(b) da      d (M)_{00} = (dM)_{00}        (M a 1x1 matrix expression)

``scalar(M)`` turns a 1x1 matrix expression into a SymPy scalar (``ScalarElement``, which
never expands a product into an index sum as SymPy's own ``M[0, 0]`` does).
"""
from sympy import Add, Basic, Identity, Integer, Mul, Pow, log
from sympy.concrete.summations import Sum
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr
from sympy.tensor.indexed import Indexed

from ..errors import UnsupportedError
from ..algebra import scaled
from ..registry import COTANGENT, DIFFERENTIAL, construct, describe

__all__ = ["ScalarElement", "scalar", "as_scalar"]


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
    """d(a^p) = p a^{p-1} da;  d(b^a) = b^a log(b) da."""
    base, p = s.args
    if not d.depends(p):
        return p * base ** (p - 1) * d(base)
    if not d.depends(base):
        return s * log(base) * d(p)
    return s * (d(p) * log(base) + p * d(base) / base)


@DIFFERENTIAL.register(MatrixElement, "d (M)_{00} = (dM)_{00}",
                       note=r"$1 \times 1$ matrix as a scalar")
def d_element(s, d):
    """d (M)_{00} = (dM)_{00}  for a 1x1 matrix M used as a scalar."""
    M, i, j = s.args
    if tuple(M.shape) != (1, 1):
        raise UnsupportedError(f"the matrix element {s}",
                               "only the [0, 0] element of a 1x1 expression is supported;"
                               " use matcalc.scalar(...) for x.T*A*x-style scalars")
    return ScalarElement(d(M), i, j)


def _index_sum(expr):
    return UnsupportedError(f"the index sum {describe(expr)}",
                            "SymPy's M[0, 0] of a matrix product expands into one;"
                            " write matcalc.scalar(M) (or use the 1x1 product itself) instead")


@DIFFERENTIAL.register(Sum)
@DIFFERENTIAL.register(Indexed)
def d_index_sum(s, d):
    """Index sums (SymPy's expansion of M[0, 0]) have no matrix-form rule."""
    raise _index_sum(s)


@DIFFERENTIAL.register(Basic, when=lambda e: not isinstance(e, MatrixElement) and e.has(Sum))
def d_containing_index_sum(s, d):
    """Any other construct around an index sum: refused, pointing to ``scalar``."""
    raise _index_sum(s)


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
    """<c, (L)_{00}> = <c I_1, L>  for a 1x1 matrix differential L."""
    yield from walk(s.parent, scaled(c, Identity(1)))



# == simplification ==


# == printing ==


# == parsing ==


# == numeric ==


# == codegen ==
