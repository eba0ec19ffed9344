"""Operands of the parser: built values with the span of text they came from, and sums,
products and Hadamard products still open to more terms (so a long chain builds in linear
time, as one n-ary node).  ``Source`` is the text every error message quotes."""
from contextlib import contextmanager

from sympy import Add, Identity, Integer, MatAdd, Mul, OneMatrix
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import matmul
from ..constructs.hadamard import hadamard
from ..constructs.scalars import scalar
from ..errors import ParseError, ShapeError
from .infer import Reparse
from .tokens import MAX_DEPTH, error

__all__ = ["Source", "Operand", "Open", "Sum", "Product", "Hadamard", "Broadcast", "Flexible",
           "is_matrix", "shape_text"]


def is_matrix(expr):
    return isinstance(expr, MatrixExpr)


def shape_text(shape):
    return "scalar" if shape is None else f"{shape[0]} x {shape[1]}"


class Source:
    """The text being parsed: errors pointing into it, and operands quoted from it."""

    def __init__(self, text):
        self.text = text

    def error(self, message, position):
        return error(message, self.text, position)

    def repair(self, *attempts):
        """Raise ``infer.Reparse`` when a name whose shape came from the defaults can make
        one of ``attempts`` -- ``(expr, axis, dimension)``: expr.shape[axis] must be that
        dimension -- hold (the parser's; a plain source infers nothing)."""

    def snippet(self, operand):
        source = " ".join(self.text[operand.start:operand.end].split())
        return source if len(source) <= 60 else source[:57] + "..."

    def describe(self, operand):
        return f'"{self.snippet(operand)}" ({shape_text(operand.shape)})'

    @contextmanager
    def building(self, what, start):
        """Turn an unexpected SymPy failure while building ``what`` into a ParseError."""
        try:
            yield
        except (ParseError, ShapeError, Reparse):
            raise
        except RecursionError:
            raise self.error(f"too deeply nested to build {what}", start) from None
        except Exception as exc:  # the contract: parse() raises only ParseError/ShapeError
            raise self.error(f"cannot build {what}: {type(exc).__name__}: {exc}", start) from exc

    def check_depth(self, operand):
        if operand.depth > MAX_DEPTH:
            raise self.error(f"too deeply nested: the expression has more than {MAX_DEPTH} "
                             f"levels of operations", operand.start)
        return operand


class Operand:
    """A built (or lazily built) value with the span of text it came from."""

    def __init__(self, expr, start, end, depth=0):
        self._expr = expr
        self.start, self.end, self.depth = start, end, depth

    @property
    def expr(self):
        return self._expr

    @property
    def shape(self):
        """The matrix shape, or None for a scalar."""
        expr = self.expr
        return tuple(expr.shape) if is_matrix(expr) else None


class Open(Operand):
    """An operand still open to more terms or factors; its expression is built on demand."""

    def __init__(self, first):
        super().__init__(None, first.start, first.end, first.depth + 1)
        self._shape = first.shape

    @property
    def shape(self):
        return self._shape

    @property
    def expr(self):
        if self._expr is None:
            self._expr = self.build()
        return self._expr

    def build(self):
        raise NotImplementedError


class Sum(Open):
    """Terms of ``a + b - c ...`` kept as a list so long sums build in linear time."""

    def __init__(self, first):
        super().__init__(first)
        self.terms = [first.expr]
        self.scalar_mode = first.shape is None

    @property
    def shape(self):
        return None if self.scalar_mode else self._shape

    def build(self):
        if self.scalar_mode:
            return Add(*[scalar(t) for t in self.terms])
        if len(self.terms) == 1:
            return self.terms[0]
        try:
            return MatAdd(*self.terms).doit(deep=False)
        except (AttributeError, TypeError):
            # SymPy's canonicalizer crashes on some sums (of 1x1 Kronecker products: "'Mul'
            # object has no attribute 'is_Identity'"); the sum is the same uncollected
            return MatAdd(*self.terms)

    def append(self, term):
        self.terms.append(term)
        self._expr = None


class Product(Open):
    """Factors of ``a * b / c ...``: scalar factors and a conformable matrix chain."""

    def __init__(self, first):
        super().__init__(first)
        self.scalars, self.matrices, self.number_bits = [], [], 0
        if first.shape is None:
            self.add_scalar(first.expr)
        else:
            self.matrices.append(first.expr)

    def build(self):
        coefficient = Mul(*self.scalars)
        if not self.matrices:
            return coefficient
        if len(self.matrices) == 1 and coefficient == 1:
            return self.matrices[0]
        return matmul(coefficient, *self.matrices)

    def add_scalar(self, factor):
        if factor.is_Rational:
            self.number_bits += factor.p.bit_length() + factor.q.bit_length()
        self.scalars.append(factor)
        self._expr = None

    def add_matrix(self, factor):
        self.matrices.append(factor)
        self._shape = (self._shape[0], factor.shape[1]) if self._shape else tuple(factor.shape)
        self._expr = None

    def matrix_part_to_scalar(self):
        """Move the 1x1 matrix chain into the scalar factors as ``scalar(chain)``."""
        chain = matmul(*self.matrices)
        self.matrices, self._shape = [], None
        self.add_scalar(scalar(chain))


class Hadamard(Open):
    """Factors of ``A .* B .* C``, built as one Hadamard product."""

    def __init__(self, first):
        super().__init__(first)
        self.factors = [first.expr]

    def build(self):
        return hadamard(*self.factors)

    def append(self, factor):
        self.factors.append(factor)
        self._expr = None


class Broadcast:
    """``vector(c)``, ``matrix(c)``, ``eye`` (matrixcalculus.org's): a constant whose size
    the operand it meets fixes (``exp(x) + vector(1)``: x's shape)."""

    KINDS = ("vector", "matrix", "identity")

    def __init__(self, kind, value=Integer(1), transposed=False):
        self.kind, self.value, self.transposed = kind, value, transposed

    def fits(self, shape):
        """Can this constant take ``shape``?"""
        rows, cols = shape
        if self.kind == "vector":
            return (rows == 1) if self.transposed else (cols == 1)
        return self.kind == "matrix" or rows == cols

    def build(self, shape):
        if self.kind == "identity":
            return Identity(shape[0]) if self.value == 1 else matmul(self.value, Identity(shape[0]))
        ones = OneMatrix(*shape)
        return ones if self.value == 1 else matmul(self.value, ones)

    def default_shape(self, n):
        one = Integer(1)
        if self.kind == "vector":
            return (one, n) if self.transposed else (n, one)
        return (n, n)


class Flexible(Operand):
    """An operand standing for a ``Broadcast``: sized by the operand it is combined with,
    or by the default dimension n when used on its own."""

    def __init__(self, broadcast, start, end, default, depth=0):
        super().__init__(None, start, end, depth)
        self.broadcast, self.default = broadcast, default

    @property
    def shape(self):
        return self.broadcast.default_shape(self.default)

    @property
    def expr(self):
        if self._expr is None:
            self._expr = self.broadcast.build(self.shape)
        return self._expr

    def fitted(self, shape):
        """This constant at ``shape`` (an ordinary operand), or itself when it cannot be."""
        if not self.broadcast.fits(shape):
            return self
        return Operand(self.broadcast.build(shape), self.start, self.end, self.depth)

    def changed(self, **changes):
        """Another flexible constant: scaled (``value``) or transposed."""
        b = self.broadcast
        broadcast = Broadcast(b.kind, changes.get("value", b.value),
                              changes.get("transposed", b.transposed))
        return Flexible(broadcast, self.start, self.end, self.default, self.depth + 1)
