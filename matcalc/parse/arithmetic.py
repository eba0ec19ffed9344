"""What the operators mean: ``+ - * @ / .* ^ ** .^``, unary ``-``, postfix ``'`` and ``^-T``.

Shapes are checked as the operands combine, and a ``ShapeError`` names both operands as
they were written.  Constructs are built only through the constructor functions their
modules export (``matmul``, ``hadamard``, ``hadamard_power``, ``matrix_power``,
``inverse_transpose``, ``transpose_of``, ``scalar``).
"""
from sympy import Integer, MatMul, Pow

from ..algebra import transpose_of
from ..constructs.hadamard import hadamard_power
from ..constructs.inverse import inverse_transpose, matrix_power
from ..constructs.scalars import scalar
from ..errors import NonSquareMatrixError, ParseError, ShapeError
from .operands import Flexible, Hadamard, Operand, Product, Sum, is_matrix
from .tokens import MAX_NUMBER_BITS

__all__ = ["Arithmetic", "fitted"]


def fitted(op, left, right):
    """(left, right) with a flexible constant (``vector(1)``, ``eye``) sized by the operand
    it meets: its shape in a sum or an elementwise product, the inner dimension of a
    matrix product (a square ``eye``, ``matrix(c)``; a column or row ``vector(c)``)."""
    if isinstance(left, Flexible) == isinstance(right, Flexible):
        return left, right
    flexible, other = (left, right) if isinstance(left, Flexible) else (right, left)
    shape = other.shape
    if shape is None:
        return left, right
    if op in ("*", "@"):
        inner = shape[0] if flexible is left else shape[1]
        kind, transposed = flexible.broadcast.kind, flexible.broadcast.transposed
        if kind != "vector":
            shape = (inner, inner)
        elif flexible is left and transposed:
            shape = (1, inner)
        elif flexible is right and not transposed:
            shape = (inner, 1)
        else:
            return left, right
    elif op not in ("+", "-", ".*", "./"):
        return left, right
    fit = flexible.fitted(tuple(shape))
    return (fit, right) if flexible is left else (left, fit)


def _negated(expr):
    return MatMul(Integer(-1), expr).doit(deep=False) if is_matrix(expr) else -expr


class Arithmetic:
    """The operators of the language over ``Operand``s, quoting ``source`` in errors."""

    def __init__(self, source):
        self.source = source

    def reduce(self, operator, operands):
        """Apply ``operator`` (op, position, precedence, arity) to the top of ``operands``."""
        op, position, _, arity = operator
        source = self.source
        if arity == 1:
            operand = operands.pop()
            if isinstance(operand, Flexible):
                result = operand.changed(value=-operand.broadcast.value)
                result.start = position
            else:
                with source.building("a negation", position):
                    expr = _negated(operand.expr)
                result = Operand(expr, position, operand.end, operand.depth + 1)
        else:
            right = operands.pop()
            left = operands.pop()
            with source.building(f"'{op}'", position):
                left, right = fitted(op, left, right)
                if isinstance(left, Flexible) or isinstance(right, Flexible):
                    result = self.scale_flexible(op, left, right)
                else:
                    result = None
                if result is not None:
                    pass
                elif op in ("+", "-"):
                    result = self.add(left, right, op)
                elif op in ("*", "@"):
                    result = self.multiply(left, right, strict=op == "@")
                elif op == "/":
                    result = self.divide(left, right)
                elif op == ".*":
                    result = self.hadamard(left, right)
                elif op == "./":
                    result = self.divide_elementwise(left, right)
                else:
                    result = self.power(left, right, op, position)
            result.end = right.end
            result.depth = max(result.depth, right.depth + 1)
        operands.append(source.check_depth(result))

    @staticmethod
    def scale_flexible(op, left, right):
        """``c*vector(1)``, ``matrix(2)/3``: a flexible constant scaled stays flexible."""
        if op in ("*", ".*") and isinstance(right, Flexible) and left.shape is None:
            return right.changed(value=left.expr * right.broadcast.value)
        if op in ("*", ".*", "/", "./") and isinstance(left, Flexible) and right.shape is None:
            factor = right.expr if op in ("*", ".*") else Pow(right.expr, -1)
            return left.changed(value=left.broadcast.value * factor)
        return None

    def postfix(self, op, operand, position):
        """``M'`` (the transpose, pushed in; a scalar is its own) or ``M^-T``."""
        source = self.source
        if op == "'" and isinstance(operand, Flexible):
            if operand.broadcast.kind != "vector":   # fitted to its shape later: its own
                return operand
            return operand.changed(transposed=not operand.broadcast.transposed)
        expr = operand.expr
        if op == "'":
            if expr.is_Number:
                raise ParseError(f"a transpose after the number {expr}; to transpose a power"
                                 " write (X^-1)'", source.text, position)
            with source.building("a transpose", operand.start):
                expr = transpose_of(expr) if is_matrix(expr) else expr
            end = position + 1
        else:
            if not is_matrix(expr):
                raise ShapeError(f"X^-T is the inverse transpose of a matrix, got the scalar "
                                 f"\"{source.snippet(operand)}\"")
            if expr.shape[0] != expr.shape[1]:
                source.repair((expr, 0, expr.shape[1]), (expr, 1, expr.shape[0]))
                raise NonSquareMatrixError(f"cannot invert {source.describe(operand)}: it is "
                                           f"not square")
            with source.building("an inverse transpose", operand.start):
                expr = inverse_transpose(expr)
            end = position + len(op)
        return source.check_depth(Operand(expr, operand.start, end, operand.depth + 1))

    def add(self, left, right, op):
        describe = self.source.describe
        verb = "add" if op == "+" else "subtract"
        sum_ = left if isinstance(left, Sum) else Sum(left)
        left_shape, right_shape = sum_.shape, right.shape
        if left_shape is None or right_shape is None:
            other = right_shape if left_shape is None else left_shape
            if other not in (None, (1, 1)):
                raise ShapeError(f"cannot {verb} {describe(sum_)} and {describe(right)}: "
                                 f"a scalar and a matrix that is not 1x1")
            sum_.scalar_mode = True
        elif left_shape != right_shape:
            self.repair_shapes(sum_, right)
            raise ShapeError(f"cannot {verb} {describe(sum_)} and {describe(right)}: "
                             f"the shapes differ")
        sum_.append(right.expr if op == "+" else _negated(right.expr))
        return sum_

    def multiply(self, left, right, strict):
        source = self.source
        if strict:
            for operand in (left, right):
                if operand.shape is None:
                    raise ShapeError(f"'@' multiplies matrices, but \"{source.snippet(operand)}\" "
                                     f"is a scalar; use '*'")
        product = left if isinstance(left, Product) else Product(left)
        right_shape = right.shape
        if right_shape is None:
            product.add_scalar(right.expr)
        elif product.shape is None or product.shape[1] == right_shape[0]:
            product.add_matrix(right.expr)
        elif not strict and product.shape == (1, 1):
            product.matrix_part_to_scalar()
            product.add_matrix(right.expr)
        elif not strict and right_shape == (1, 1):
            product.add_scalar(scalar(right.expr))
        else:
            source.repair((right.expr, 0, product.shape[1]), (product.expr, 1, right_shape[0]))
            raise ShapeError(f"cannot multiply {source.describe(product)} by "
                             f"{source.describe(right)}: the inner dimensions "
                             f"{product.shape[1]} and {right_shape[0]} differ")
        return self.check_number_bits(product, right)

    def divide(self, left, right):
        describe = self.source.describe
        if right.shape not in (None, (1, 1)):
            raise ShapeError(f"cannot divide {describe(left)} by {describe(right)}: "
                             f"the divisor must be a scalar or 1x1 (use inv(...) for a matrix)")
        product = left if isinstance(left, Product) else Product(left)
        product.add_scalar(Pow(scalar(right.expr), -1))
        return self.check_number_bits(product, right)

    def check_number_bits(self, product, right):
        if product.number_bits > MAX_NUMBER_BITS:
            raise self.source.error(f"numeric constant too large (over {MAX_NUMBER_BITS} bits)",
                                    right.start)
        return product

    def hadamard(self, left, right):
        describe = self.source.describe
        if left.shape is None or right.shape is None:
            return self.multiply(left, right, strict=False)
        if left.shape != right.shape:
            self.repair_shapes(left, right)
            raise ShapeError(f"cannot take the Hadamard product of {describe(left)} and "
                             f"{describe(right)}: the shapes differ")
        product = left if isinstance(left, Hadamard) else Hadamard(left)
        product.append(right.expr)
        return product

    def repair_shapes(self, left, right):
        """Raise ``Reparse`` if a defaulted name can give ``left`` and ``right`` one shape."""
        attempts = []
        for axis in (0, 1):
            if left.shape[axis] != right.shape[axis]:
                attempts += [(right.expr, axis, left.shape[axis]),
                             (left.expr, axis, right.shape[axis])]
        self.source.repair(*attempts)

    def divide_elementwise(self, left, right):
        """``A ./ B`` = A ∘ B^{∘-1} (equal shapes); with a scalar operand, the division
        ``A / c`` or ``c B^{∘-1}``."""
        if right.shape is None:
            return self.divide(left, right)
        reciprocal = Operand(hadamard_power(right.expr, Integer(-1)), right.start, right.end,
                             right.depth + 1)
        if left.shape is None:
            return self.multiply(left, reciprocal, strict=False)
        return self.hadamard(left, reciprocal)

    def exponent_of(self, right):
        if right.shape is None:
            return right.expr
        if right.shape == (1, 1):
            return scalar(right.expr)
        raise ShapeError(f"the exponent {self.source.describe(right)} must be a scalar "
                         f"(for an elementwise power of a base use exp/log or '.^')")

    def power(self, left, right, op, position):
        source = self.source
        base, exponent = left.expr, self.exponent_of(right)
        depth = max(left.depth, right.depth) + 1

        def operand(expr):
            return Operand(expr, left.start, right.end, depth)
        if not is_matrix(base):
            self.check_number_size(base, exponent, position)
            return operand(Pow(base, exponent))
        if op == ".^":
            return operand(hadamard_power(base, exponent))
        if base.shape == (1, 1) and exponent.is_integer is not True:
            return operand(Pow(scalar(base), exponent))
        if base.shape[0] != base.shape[1]:
            source.repair((base, 0, base.shape[1]), (base, 1, base.shape[0]))
            raise NonSquareMatrixError(f"cannot raise {source.describe(left)} to a power: "
                                       f"it is not square (use '.^' for an elementwise power)")
        if exponent.is_integer is not True:
            raise source.error(f"a matrix power needs an integer exponent, got {exponent} for "
                               f"\"{source.snippet(left)}\"", position)
        return operand(matrix_power(base, exponent))

    def check_number_size(self, base, exponent, position):
        if not (base.is_Rational and exponent.is_Rational):
            return
        if abs(base.p) <= 1 and base.q == 1:
            return
        bits = base.p.bit_length() + base.q.bit_length()
        if bits * abs(exponent) > MAX_NUMBER_BITS:
            raise self.source.error(f"numeric power {base}^{exponent} too large (over "
                                    f"{MAX_NUMBER_BITS} bits)", position)
