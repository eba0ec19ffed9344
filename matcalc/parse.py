"""Text -> SymPy expression, without ``eval``: matcalc's own small expression language.

The text is read by a hand-written tokenizer and an operator-precedence parser;
nothing in it is ever handed to Python's or SymPy's evaluators, so any string is
safe to parse. Every failure is a ``ParseError`` (with the 0-based position) or,
for operands whose shapes do not fit, a ``ShapeError``/``NonSquareMatrixError``
naming the operands -- never any other exception.

The language
------------
Numbers
    ``2``, ``0.5`` (exactly ``Rational(1, 2)``), ``1e-3``, ``.25``. A literal has
    at most 100 characters and a decimal exponent of at most 1000.
Names
    ``[A-Za-z_][A-Za-z0-9_]*``. Function names (below) are reserved.
Operators, from the tightest binding to the loosest
    1. postfix transpose ``X'`` and ``X.T``, function calls ``f(...)``;
    2. powers ``**``, ``^`` and the Hadamard power ``.^`` (right-associative;
       the exponent may carry a sign: ``X^-1``);
    3. unary ``-`` and ``+``;
    4. ``*`` (scalar multiplication or matrix product), ``@`` (matrix product
       of two conformable matrices only), ``/`` (division by a scalar or a 1x1
       expression), ``.*`` (Hadamard product of equal shapes; with a scalar
       operand, ordinary multiplication), all left-associative;
    5. ``+`` and ``-``, left-associative.
    The transpose of a scalar is the scalar itself. Indexing ``M[i, j]`` is
    not part of the language: use ``scalar(M)``.
Powers
    On a scalar: ``Pow``. On a square matrix with an integer exponent:
    ``MatPow`` (``X^-1`` is ``Inverse(X)``, ``X^0`` the identity). On a 1x1
    matrix expression with a non-integer exponent: ``Pow(scalar(M), p)``.
    ``A .^ p`` is ``HadamardPower(A, p)``.
Functions
    ``tr``/``trace`` (Trace), ``det`` (Determinant), ``logdet`` (log of the
    Determinant), ``inv`` (Inverse), ``kron(A, B, ...)`` (KroneckerProduct),
    ``hadamard(A, B, ...)`` (HadamardProduct), ``norm`` (``matcalc`` Norm),
    ``diag(v)`` (DiagMatrix of a vector, DiagonalOf of a square matrix),
    ``diagm(v)`` (DiagMatrix), ``diagonal(M)`` (DiagonalOf of a square
    matrix), ``scalar(M)`` (the 1x1 ``M`` as a scalar), ``eye(n)``/``I(n)`` (Identity),
    ``zeros(m, n)``/``ones(m, n)`` (ZeroMatrix/OneMatrix; one argument means
    square) -- the arguments of the last four are dimension names or positive
    integers. ``vec`` is reserved and not supported in expressions.
Elementwise functions
    ``exp log sqrt sin cos tan tanh sinh cosh abs sigmoid``: of a scalar, the
    SymPy function (``abs`` is ``Abs``); of a 1x1 matrix expression, the
    function of ``scalar(M)``; of any other matrix, applied elementwise
    (``ElementwiseApplyFunction``, with one shared bound variable so that two
    parses of the same text are equal).
Scalars and 1x1 matrices
    A 1x1 matrix expression used where a scalar is needed (a factor of a
    product it is not conformable with, as in ``(x'*y)*A``; a divisor; a term
    added to a scalar; an exponent) becomes ``scalar(M)``. Otherwise terms of
    a sum must have equal shapes and factors of a product conformable shapes,
    or a ``ShapeError`` names both operands and their shapes.

Shapes of names
---------------
A name in ``shapes`` has that shape: ``"m,k"`` (m x k), ``"n"`` (an n x 1
column), ``"3,2"``, ``"1"`` or ``"scalar"`` (a scalar), or a tuple of ints,
strings or SymPy dimensions. Otherwise a name listed in ``scalars`` or a Greek
letter name (``GREEK``) is a real scalar ``Symbol(name, real=True)``; a name
whose first letter is upper-case is an n x n matrix; any other name is an
n x 1 column vector. Dimension names become ``Symbol(name, integer=True,
positive=True)``, so the same name is the same dimension everywhere. A name in
``structures`` becomes a ``StructuredMatrixSymbol`` with that structure
(``"general"`` gives a plain ``MatrixSymbol``).

Limits
------
Inputs longer than 100,000 characters and nesting deeper than 200 levels
(parentheses and calls, checked before anything is built; or operators in the
built expression, e.g. a tower of 300 powers) are refused with a
``ParseError``, as are numeric constants beyond 100,000 bits (``9^9^9``). The
parser never recurses, and sums and products are collected into one n-ary
node, so long flat chains cost time roughly linear in their length.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from sympy import (Abs, Add, Integer, Lambda, Mul, Pow, Rational, Symbol, cos, cosh,
                   exp, log, sin, sinh, sqrt, tan, tanh)
from sympy.core.symbol import Dummy
from sympy.matrices.expressions import (Determinant, DiagMatrix, DiagonalOf,
                                        HadamardPower, HadamardProduct, Identity, Inverse,
                                        KroneckerProduct, MatAdd, MatMul, MatPow, MatrixSymbol,
                                        OneMatrix, Trace, ZeroMatrix)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixExpr

from .algebra import matmul, transpose_of
from .errors import NonSquareMatrixError, ParseError, ShapeError
from .constructs.functions import sigmoid
from .constructs.norm import Norm
from .constructs.scalars import scalar as scalar_of
from .constructs.structured import STRUCTURES, StructuredMatrixSymbol

__all__ = ["parse", "parse_shape", "Parsed", "SymbolTable", "symbol_table", "dimension",
           "FUNCTIONS", "ELEMENTWISE_FUNCTIONS", "GREEK", "MAX_LENGTH", "MAX_DEPTH"]

MAX_LENGTH = 100_000
MAX_DEPTH = 200
MAX_NUMBER_LENGTH = 100
MAX_DECIMAL_EXPONENT = 1000
# Bits of an exact numeric constant the parser is willing to build: beyond it
# SymPy would spend unbounded time on big-integer arithmetic ("9^9^9").
MAX_NUMBER_BITS = 100_000

GREEK = frozenset("alpha beta gamma delta epsilon lambda lam mu nu rho sigma tau theta "
                  "kappa eta omega phi psi xi zeta".split())

ELEMENTWISE_FUNCTIONS = {"exp": exp, "log": log, "sqrt": sqrt, "sin": sin, "cos": cos,
                         "tan": tan, "tanh": tanh, "sinh": sinh, "cosh": cosh, "abs": Abs,
                         "sigmoid": sigmoid}

# The one bound variable of every elementwise Lambda, so that parsing the same
# text twice gives equal expressions (a fresh Dummy per call would not).
_ELEMENT = Dummy("x")

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_WHITESPACE = frozenset(" \t\r\n\f\v")
_OPERATORS = ("**", ".*", ".^", "+", "-", "*", "/", "@", "^", "'", "(", ")", ",")

# binary operator -> (precedence, right-associative)
_BINARY = {"+": (1, False), "-": (1, False),
           "*": (2, False), "@": (2, False), "/": (2, False), ".*": (2, False),
           "**": (4, True), "^": (4, True), ".^": (4, True)}
_UNARY_PRECEDENCE = 3


def dimension(name):
    """The dimension symbol called ``name``: ``Symbol(name, integer=True, positive=True)``."""
    return Symbol(name, integer=True, positive=True)


# --------------------------------------------------------------------------
# Shapes and the symbol table
# --------------------------------------------------------------------------

def _shape_error(spec, name, detail):
    owner = f" of {name!r}" if name is not None else ""
    return ParseError(f"invalid shape {spec!r}{owner}: {detail}")


def _dimension_entry(entry, spec, name):
    if isinstance(entry, bool):
        raise _shape_error(spec, name, f"{entry!r} is not a dimension")
    if isinstance(entry, int):
        if entry < 1:
            raise _shape_error(spec, name, f"{entry} is not a positive integer")
        return Integer(entry)
    if isinstance(entry, str):
        word = entry.strip()
        if word.isascii() and word.isdigit():
            if len(word) > MAX_NUMBER_LENGTH or int(word) < 1:
                raise _shape_error(spec, name, f"{word!r} is not a positive integer")
            return Integer(int(word))
        if _IDENTIFIER.fullmatch(word):
            return dimension(word)
        raise _shape_error(spec, name,
                           f"{word!r} is neither an identifier nor a positive integer")
    if isinstance(entry, Integer):
        if entry < 1:
            raise _shape_error(spec, name, f"{entry} is not a positive integer")
        return entry
    if isinstance(entry, Symbol) or (getattr(entry, "is_Expr", False) and entry.free_symbols
                                     and entry.is_integer is not False):
        return entry
    raise _shape_error(spec, name, f"{entry!r} is neither a dimension name nor a positive integer")


def parse_shape(spec, name=None):
    """The shape a ``shapes`` entry declares, as a tuple of SymPy dimensions.

    ``"m,k"`` -> ``(m, k)``; ``"3,4"`` -> ``(3, 4)``; ``"n"`` -> ``(n, 1)`` (a
    column vector); ``"1"``, ``"scalar"``, ``1`` or ``()`` -> ``()`` (a scalar).
    Tuples may hold ints, strings or SymPy dimensions. ``name`` (the symbol the
    shape belongs to) only serves the error message.
    """
    if isinstance(spec, str):
        text = spec.strip()
        if text.lower() == "scalar":
            return ()
        entries = [part for part in text.split(",")] if text else []
        if any(not part.strip() for part in entries):
            raise _shape_error(spec, name, "an entry is empty")
    elif isinstance(spec, (int, Integer)) and not isinstance(spec, bool):
        entries = [spec]
    elif isinstance(spec, (tuple, list)):
        entries = list(spec)
    else:
        raise _shape_error(spec, name, "expected a string such as 'm,k' or a tuple")
    dims = tuple(_dimension_entry(entry, spec, name) for entry in entries)
    if len(dims) == 0 or dims == (Integer(1),):
        return ()
    if len(dims) == 1:
        return (dims[0], Integer(1))
    if len(dims) == 2:
        return dims
    raise _shape_error(spec, name, f"a matrix shape has 2 entries, got {len(dims)}")


class SymbolTable:
    """Names -> SymPy objects, under the declared shapes, structures and scalars.

    ``symbols`` holds every variable looked up so far, ``dims`` every dimension
    symbol created (declared shapes, default ``n``, arguments of ``eye`` etc.).
    """

    def __init__(self, shapes=None, structures=None, scalars=()):
        shapes = dict(shapes or {})
        structures = dict(structures or {})
        if isinstance(scalars, str):
            scalars = (scalars,)
        self.scalars = frozenset(scalars)
        self.symbols = {}
        self.dims = {}
        self._shapes = {}
        self._structures = {}
        for name in list(shapes) + list(structures) + list(self.scalars):
            self._check_name(name)
        for name, spec in shapes.items():
            shape = parse_shape(spec, name)
            if shape and name in self.scalars:
                raise ParseError(f"{name!r} is listed in scalars but has the matrix shape {spec!r}")
            self._shapes[name] = shape
            self._note_dims(shape)
        for name, structure in structures.items():
            key = str(structure).strip().lower()
            if key not in STRUCTURES:
                raise ParseError(f"unknown structure {structure!r} for {name!r}; "
                                 f"choose one of {', '.join(sorted(STRUCTURES))}")
            if not self._shape_of(name):
                raise ParseError(f"{name!r} is a scalar; the structure {structure!r} "
                                 f"needs a matrix")
            self._structures[name] = key
        for name in structures:
            self.variable(name)  # validates e.g. an spd non-square matrix now
        self.symbols.clear()

    @staticmethod
    def _check_name(name):
        if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
            raise ParseError(f"{name!r} is not an identifier; names match [A-Za-z_][A-Za-z0-9_]*")
        if name in FUNCTIONS or name in _UNSUPPORTED_FUNCTIONS:
            raise ParseError(f"{name!r} is a function name and cannot be declared as a variable")

    def _note_dims(self, shape):
        for dim in shape:
            if isinstance(dim, Symbol):
                self.dims[dim.name] = dim

    def dimension(self, name):
        """The dimension symbol ``name``, recorded in ``dims``."""
        dim = self.dims.get(name)
        if dim is None:
            dim = self.dims[name] = dimension(name)
        return dim

    def _shape_of(self, name):
        if name in self._shapes:
            return self._shapes[name]
        if name in self.scalars or name in GREEK:
            return ()
        n = self.dimension("n")
        first_letter = next((ch for ch in name if ch.isalpha()), "")
        return (n, n) if first_letter.isupper() else (n, Integer(1))

    def variable(self, name):
        """The SymPy object for the variable ``name`` (created on first use)."""
        obj = self.symbols.get(name)
        if obj is not None:
            return obj
        shape = self._shape_of(name)
        structure = self._structures.get(name, "general")
        if not shape:
            obj = Symbol(name, real=True)
        elif structure == "general":
            obj = MatrixSymbol(name, *shape)
        else:
            obj = StructuredMatrixSymbol(name, *shape, structure)
        self.symbols[name] = obj
        return obj


def symbol_table(shapes=None, structures=None, scalars=()):
    """A ``SymbolTable`` for these declarations (validated now)."""
    return SymbolTable(shapes, structures, scalars)


@dataclass
class Parsed:
    """The result of ``parse``: the expression and the symbols it was built from."""

    expr: object
    symbols: dict = field(default_factory=dict)
    dims: dict = field(default_factory=dict)
    text: str = ""


# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Token:
    kind: str        # "num", "name", "op", "end"
    text: str
    pos: int


def _error(message, text, position):
    """A ParseError pointing at ``position``; long inputs are shown as an excerpt."""
    if text is None or position is None or len(text) <= 100:
        return ParseError(message, text, position)
    lo = max(0, position - 40)
    hi = min(len(text), lo + 80)
    excerpt = ("..." if lo else "") + text[lo:hi] + ("..." if hi < len(text) else "")
    pointer = " " * (position - lo + (3 if lo else 0)) + "^"
    err = ParseError(f"{message} (at column {position + 1})\n  {excerpt}\n  {pointer}")
    err.text, err.position = text, position
    return err


def _tokenize(text):
    """The tokens of ``text``; checks characters, parenthesis balance and depth."""
    tokens = []
    open_parens = []
    i, length = 0, len(text)
    while i < length:
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
            continue
        if ch.isascii() and (ch.isdigit() or (ch == "." and text[i + 1:i + 2].isdigit()
                                               and text[i + 1:i + 2].isascii())):
            match = _NUMBER.match(text, i)
            tokens.append(_Token("num", match.group(), i))
            i = match.end()
            continue
        match = _IDENTIFIER.match(text, i)
        if match:
            tokens.append(_Token("name", match.group(), i))
            i = match.end()
            continue
        if text.startswith(".T", i) and not _IDENTIFIER.match(text, i + 2) \
                and not text[i + 2:i + 3].isdigit():
            tokens.append(_Token("op", "'", i))
            i += 2
            continue
        if ch in "[]":
            raise _error("indexing with [...] is not supported; use scalar(M) for the entry "
                         "of a 1x1 expression", text, i)
        op = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if op is None:
            hint = " (transpose is written X.T or X')" if ch == "." else ""
            raise _error(f"unexpected character {ch!r}{hint}", text, i)
        if op == "(":
            open_parens.append(i)
            if len(open_parens) > MAX_DEPTH:
                raise _error(f"too deeply nested: more than {MAX_DEPTH} levels of parentheses",
                             text, i)
        elif op == ")":
            if not open_parens:
                raise _error("unbalanced ')': no matching '('", text, i)
            open_parens.pop()
        tokens.append(_Token("op", op, i))
        i += len(op)
    if open_parens:
        raise _error("unbalanced '(': missing ')'", text, open_parens[-1])
    tokens.append(_Token("end", "", length))
    return tokens


# --------------------------------------------------------------------------
# Operands: built values, and sums/products still open to more terms
# --------------------------------------------------------------------------

def _is_matrix(expr):
    return isinstance(expr, MatrixExpr)


def _shape_text(shape):
    return "scalar" if shape is None else f"{shape[0]} x {shape[1]}"


class _Operand:
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
        return tuple(expr.shape) if _is_matrix(expr) else None


class _Sum(_Operand):
    """Terms of ``a + b - c ...`` kept as a list so long sums build in linear time."""

    def __init__(self, first):
        super().__init__(None, first.start, first.end, first.depth + 1)
        self.terms = [first.expr]
        self._shape = first.shape
        self.scalar_mode = first.shape is None

    @property
    def shape(self):
        return None if self.scalar_mode else self._shape

    @property
    def expr(self):
        if self._expr is None:
            if self.scalar_mode:
                self._expr = Add(*[scalar_of(t) for t in self.terms])
            elif len(self.terms) == 1:
                self._expr = self.terms[0]
            else:
                self._expr = MatAdd(*self.terms).doit(deep=False)
        return self._expr

    def append(self, term):
        self.terms.append(term)
        self._expr = None


class _Product(_Operand):
    """Factors of ``a * b / c ...``: scalar factors and a conformable matrix chain."""

    def __init__(self, first):
        super().__init__(None, first.start, first.end, first.depth + 1)
        self.scalars, self.matrices, self.number_bits = [], [], 0
        self._shape = None
        if first.shape is None:
            self.add_scalar(first.expr)
        else:
            self.matrices.append(first.expr)
            self._shape = first.shape

    @property
    def shape(self):
        return self._shape

    @property
    def expr(self):
        if self._expr is None:
            coefficient = Mul(*self.scalars)
            if not self.matrices:
                self._expr = coefficient
            elif len(self.matrices) == 1 and coefficient == 1:
                self._expr = self.matrices[0]
            else:
                self._expr = matmul(coefficient, *self.matrices)
        return self._expr

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
        self.add_scalar(scalar_of(chain))


class _Hadamard(_Operand):
    """Factors of ``A .* B .* C``, built as one HadamardProduct."""

    def __init__(self, first):
        super().__init__(None, first.start, first.end, first.depth + 1)
        self.factors = [first.expr]
        self._shape = first.shape

    @property
    def shape(self):
        return self._shape

    @property
    def expr(self):
        if self._expr is None:
            self._expr = HadamardProduct(*self.factors)
        return self._expr

    def append(self, factor):
        self.factors.append(factor)
        self._expr = None


# --------------------------------------------------------------------------
# Functions: one table, name -> (least, most arguments, builder method)
# --------------------------------------------------------------------------

FUNCTIONS = {
    "tr": (1, 1, "_call_trace"), "trace": (1, 1, "_call_trace"),
    "det": (1, 1, "_call_det"), "logdet": (1, 1, "_call_logdet"),
    "inv": (1, 1, "_call_inv"),
    "kron": (2, None, "_call_kron"), "hadamard": (2, None, "_call_hadamard"),
    "norm": (1, 1, "_call_norm"),
    "diag": (1, 1, "_call_diag"), "diagm": (1, 1, "_call_diagm"),
    "diagonal": (1, 1, "_call_diagonal"),
    "scalar": (1, 1, "_call_scalar"),
    "eye": (1, 1, "_call_identity"), "I": (1, 1, "_call_identity"),
    "zeros": (1, 2, "_call_zeros"), "ones": (1, 2, "_call_ones"),
    **{name: (1, 1, "_call_elementwise") for name in ELEMENTWISE_FUNCTIONS},
}
_DIMENSION_FUNCTIONS = frozenset({"eye", "I", "zeros", "ones"})
_UNSUPPORTED_FUNCTIONS = {"vec": "vec(...) is not supported in expressions"}


def _arguments_text(least, most):
    if most == least:
        return f"{least} argument" + ("s" if least != 1 else "")
    if most is None:
        return f"at least {least} arguments"
    return f"{least} to {most} arguments"


# --------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------

class _Frame:
    """An open parenthesis or call (or the whole text): its operand/operator stacks."""

    def __init__(self, kind, opening):
        self.kind, self.opening = kind, opening   # "top" | "paren" | "call", its token
        self.operands, self.operators, self.arguments = [], [], []


class _Parser:
    """Operator-precedence parser building SymPy objects as it reduces.

    It never recurses: parentheses and calls push a ``_Frame``, operators wait
    on the frame's stack until an operator of lower precedence reduces them.
    """

    def __init__(self, text, tokens, table):
        self.text, self.tokens, self.table = text, tokens, table
        self.index = 0

    # -- token helpers --------------------------------------------------------
    def peek(self):
        return self.tokens[self.index]

    def advance(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, message, position):
        return _error(message, self.text, position)

    def snippet(self, operand):
        source = " ".join(self.text[operand.start:operand.end].split())
        return source if len(source) <= 60 else source[:57] + "..."

    def describe(self, operand):
        return f'"{self.snippet(operand)}" ({_shape_text(operand.shape)})'

    @contextmanager
    def building(self, what, start):
        """Turn an unexpected SymPy failure while building ``what`` into a ParseError."""
        try:
            yield
        except (ParseError, ShapeError):
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

    # -- grammar ---------------------------------------------------------------
    def parse(self):
        """The whole text: one loop, with an explicit stack of open parentheses/calls."""
        if self.peek().kind == "end":
            raise self.error("empty input", 0)
        frames = [_Frame("top", None)]
        previous = None   # the token before the operand now expected (for messages)
        while True:
            frame = frames[-1]
            # An operand is expected: prefix signs, then a number, name, call or "(".
            negate, sign = False, None
            while self.peek().kind == "op" and self.peek().text in ("+", "-"):
                token = self.advance()
                sign = sign or token
                negate ^= token.text == "-"
                previous = token
            if negate:
                frame.operators.append(("neg", sign.pos, _UNARY_PRECEDENCE, 1))
            token = self.advance()
            if token.kind == "num":
                frame.operands.append(_Operand(self.number(token), token.pos,
                                               token.pos + len(token.text)))
            elif token.kind == "name" and self.peek().text == "(":
                opening = self.advance()
                if self.open_call(token, frames):
                    previous = opening
                    continue
            elif token.kind == "name":
                frame.operands.append(_Operand(self.variable(token), token.pos,
                                               token.pos + len(token.text)))
            elif token.text == "(":
                if self.peek().text == ")":
                    raise self.error("empty parentheses '()'", token.pos)
                frames.append(_Frame("paren", token))
                previous = token
                continue
            else:
                raise self.missing_operand(token, previous)
            # An operand is complete: postfix transposes, then an operator, ',' or ')'.
            while True:
                frame = frames[-1]
                self.transposes(frame)
                token = self.peek()
                if token.kind == "op" and token.text in _BINARY:
                    self.push_binary(frame, token)
                    previous = self.advance()
                    break
                if token.text == "," and frame.kind == "call":
                    frame.arguments.append(self.finish(frame))
                    previous = self.advance()
                    break
                if token.text == ")" and frame.kind != "top":
                    closing = self.advance()
                    frames.pop()
                    frames[-1].operands.append(self.close(frame, closing))
                    continue
                if token.kind == "end" and frame.kind == "top":
                    result = self.finish(frame)
                    with self.building("the expression", result.start):
                        return result.expr
                raise self.unexpected_after(token, frame.operands[-1])

    def transposes(self, frame):
        while self.peek().kind == "op" and self.peek().text == "'":
            token = self.advance()
            operand = frame.operands[-1]
            if operand.expr.is_Number:
                raise ParseError(f"a transpose after the number {operand.expr}; to transpose a power"
                                 " write (X^-1)'", self.text, token.pos)
            with self.building("a transpose", operand.start):
                expr = transpose_of(operand.expr) if _is_matrix(operand.expr) else operand.expr
            frame.operands[-1] = self.check_depth(
                _Operand(expr, operand.start, token.pos + 1, operand.depth + 1))

    def push_binary(self, frame, token):
        precedence, right_associative = _BINARY[token.text]
        operators = frame.operators
        while operators and (operators[-1][2] > precedence
                             or (operators[-1][2] == precedence and not right_associative)):
            self.reduce(operators.pop(), frame.operands)
        operators.append((token.text, token.pos, precedence, 2))

    def finish(self, frame):
        """Reduce the frame's pending operators: its expression so far, as one operand."""
        while frame.operators:
            self.reduce(frame.operators.pop(), frame.operands)
        result = frame.operands.pop()
        frame.operands.clear()
        return result

    def close(self, frame, closing):
        """The operand a closed parenthesis or call stands for."""
        result = self.finish(frame)
        if frame.kind == "paren":
            result.start, result.end = frame.opening.pos, closing.pos + 1
            return result
        frame.arguments.append(result)
        return self.build_call(frame.opening, frame.arguments, closing)

    def unexpected_after(self, token, operand):
        if token.text == ",":
            return self.error("unexpected ',' outside a function call", token.pos)
        if token.text == ")":
            return self.error("unbalanced ')': no matching '('", token.pos)
        return self.error(f"unexpected {token.text!r} after \"{self.snippet(operand)}\": "
                          f"missing an operator (such as '*')?", token.pos)

    def missing_operand(self, token, previous):
        after = f" after {previous.text!r}" if previous is not None else ""
        if token.kind == "end":
            return self.error(f"unexpected end of input: expected an operand{after}", token.pos)
        found = "\"'\"" if token.text == "'" else repr(token.text)
        return self.error(f"expected an operand{after}, found {found}", token.pos)

    def number(self, token):
        literal = token.text
        if len(literal) > MAX_NUMBER_LENGTH:
            raise self.error(f"number literal too long (over {MAX_NUMBER_LENGTH} characters)",
                             token.pos)
        mantissa, _, exponent = literal.lower().partition("e")
        if exponent and abs(int(exponent)) > MAX_DECIMAL_EXPONENT:
            raise self.error(f"number {literal} out of range (exponent beyond "
                             f"±{MAX_DECIMAL_EXPONENT})", token.pos)
        if "." not in mantissa and not exponent:
            return Integer(int(literal))
        return Rational(literal)

    def variable(self, token):
        name = token.text
        if name in _UNSUPPORTED_FUNCTIONS:
            raise self.error(_UNSUPPORTED_FUNCTIONS[name], token.pos)
        if name in FUNCTIONS:
            hint = (f"write {name}(n) or eye(n)" if name in ("I", "eye")
                    else f"call it as {name}(...)")
            raise self.error(f"{name!r} is a function, used here without a call; {hint}",
                             token.pos)
        with self.building(f"the symbol {name!r}", token.pos):
            return self.table.variable(name)

    # -- calls -----------------------------------------------------------------
    def open_call(self, name_token, frames):
        """After ``name(``: push a call frame (True), or build a call that needs none."""
        name = name_token.text
        if name in _UNSUPPORTED_FUNCTIONS:
            raise self.error(_UNSUPPORTED_FUNCTIONS[name], name_token.pos)
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS, key=str.lower))
            raise self.error(f"unknown function {name!r}; known functions: {known} "
                             f"(implicit multiplication is not supported: write "
                             f"{name}*(...))", name_token.pos)
        if name in _DIMENSION_FUNCTIONS or self.peek().text == ")":
            args = self.dimension_arguments(name) if name in _DIMENSION_FUNCTIONS else []
            closing = self.advance()
            frames[-1].operands.append(self.build_call(name_token, args, closing))
            return False
        frames.append(_Frame("call", name_token))
        return True

    def build_call(self, name_token, args, closing):
        name = name_token.text
        least, most, method = FUNCTIONS[name]
        if not (least <= len(args) and (most is None or len(args) <= most)):
            raise self.error(f"{name}() takes {_arguments_text(least, most)}, got {len(args)}",
                             name_token.pos)
        depth = 1 + max((getattr(a, "depth", 0) for a in args), default=0)
        with self.building(f"{name}(...)", name_token.pos):
            expr = getattr(self, method)(name, args, name_token.pos)
        return self.check_depth(_Operand(expr, name_token.pos, closing.pos + 1, depth))

    def dimension_arguments(self, name):
        args = []
        if self.peek().text == ")":
            return args
        while True:
            token = self.advance()
            if token.kind == "name" and token.text not in FUNCTIONS:
                args.append(self.table.dimension(token.text))
            elif token.kind == "num" and token.text.isdigit() \
                    and len(token.text) <= MAX_NUMBER_LENGTH and int(token.text) > 0:
                args.append(Integer(int(token.text)))
            else:
                found = "the end of input" if token.kind == "end" else repr(token.text)
                raise self.error(f"{name}() takes dimension names or positive integers, "
                                 f"found {found}", token.pos)
            token = self.peek()
            if token.text == ",":
                self.advance()
            elif token.text == ")":
                return args
            else:
                raise self.error(f"{name}() takes dimension names or positive integers, "
                                 f"found {token.text!r}", token.pos)

    def need_matrix(self, name, operand, square=False):
        expr = operand.expr
        if not _is_matrix(expr):
            kind = "a square matrix" if square else "a matrix"
            raise ShapeError(f"{name}() needs {kind}, got the scalar \"{self.snippet(operand)}\"")
        if square and expr.shape[0] != expr.shape[1]:
            raise NonSquareMatrixError(f"{name}() needs a square matrix, got "
                                       f"{self.describe(operand)}")
        return expr

    def _call_trace(self, name, args, pos):
        return Trace(self.need_matrix(name, args[0], square=True))

    def _call_det(self, name, args, pos):
        return Determinant(self.need_matrix(name, args[0], square=True))

    def _call_logdet(self, name, args, pos):
        return log(Determinant(self.need_matrix(name, args[0], square=True)))

    def _call_inv(self, name, args, pos):
        return Inverse(self.need_matrix(name, args[0], square=True))

    def _call_kron(self, name, args, pos):
        return KroneckerProduct(*[self.need_matrix(name, a) for a in args])

    def _call_hadamard(self, name, args, pos):
        factors = [self.need_matrix(name, a) for a in args]
        for operand in args[1:]:
            if operand.shape != args[0].shape:
                raise ShapeError(f"hadamard() needs operands of equal shapes, got "
                                 f"{self.describe(args[0])} and {self.describe(operand)}")
        return HadamardProduct(*factors)

    def _call_norm(self, name, args, pos):
        return Norm(self.need_matrix(name, args[0]))

    def _call_diag(self, name, args, pos):
        expr = self.need_matrix(name, args[0])
        rows, cols = expr.shape
        if rows == 1 or cols == 1:
            return DiagMatrix(expr)
        if rows == cols:
            return DiagonalOf(expr)
        raise ShapeError(f"diag() needs a vector or a square matrix, got "
                         f"{self.describe(args[0])}")

    def _call_diagm(self, name, args, pos):
        expr = self.need_matrix(name, args[0])
        if 1 not in expr.shape:
            raise ShapeError(f"diagm() needs a vector, got {self.describe(args[0])}")
        return DiagMatrix(expr)

    def _call_diagonal(self, name, args, pos):
        return DiagonalOf(self.need_matrix(name, args[0], square=True))

    def _call_scalar(self, name, args, pos):
        operand = args[0]
        if operand.shape not in (None, (1, 1)):
            raise ShapeError(f"scalar() needs a 1x1 expression, got {self.describe(operand)}")
        return scalar_of(operand.expr)

    def _call_identity(self, name, args, pos):
        return Identity(args[0])

    def _call_zeros(self, name, args, pos):
        return ZeroMatrix(args[0], args[-1])

    def _call_ones(self, name, args, pos):
        return OneMatrix(args[0], args[-1])

    def _call_elementwise(self, name, args, pos):
        function = ELEMENTWISE_FUNCTIONS[name]
        operand = args[0]
        shape = operand.shape
        if shape is None:
            return function(operand.expr)
        if shape == (1, 1):
            return function(scalar_of(operand.expr))
        return ElementwiseApplyFunction(Lambda(_ELEMENT, function(_ELEMENT)), operand.expr)

    # -- operators ---------------------------------------------------------------
    def reduce(self, operator, operands):
        op, position, _, arity = operator
        if arity == 1:
            operand = operands.pop()
            with self.building("a negation", position):
                expr = operand.expr
                expr = MatMul(Integer(-1), expr).doit(deep=False) if _is_matrix(expr) else -expr
            result = _Operand(expr, position, operand.end, operand.depth + 1)
        else:
            right = operands.pop()
            left = operands.pop()
            with self.building(f"'{op}'", position):
                if op in ("+", "-"):
                    result = self.add(left, right, op)
                elif op in ("*", "@"):
                    result = self.multiply(left, right, strict=op == "@")
                elif op == "/":
                    result = self.divide(left, right)
                elif op == ".*":
                    result = self.hadamard(left, right)
                else:
                    result = self.power(left, right, op, position)
            result.end = right.end
            result.depth = max(result.depth, right.depth + 1)
        operands.append(self.check_depth(result))

    def add(self, left, right, op):
        verb = "add" if op == "+" else "subtract"
        sum_ = left if isinstance(left, _Sum) else _Sum(left)
        left_shape, right_shape = sum_.shape, right.shape
        if left_shape is None or right_shape is None:
            other = right_shape if left_shape is None else left_shape
            if other not in (None, (1, 1)):
                raise ShapeError(f"cannot {verb} {self.describe(sum_)} and "
                                 f"{self.describe(right)}: a scalar and a matrix that is not 1x1")
            sum_.scalar_mode = True
        elif left_shape != right_shape:
            raise ShapeError(f"cannot {verb} {self.describe(sum_)} and {self.describe(right)}: "
                             f"the shapes differ")
        term = right.expr
        if op == "-":
            term = MatMul(Integer(-1), term).doit(deep=False) if _is_matrix(term) else -term
        sum_.append(term)
        return sum_

    def multiply(self, left, right, strict):
        if strict:
            for operand in (left, right):
                if operand.shape is None:
                    raise ShapeError(f"'@' multiplies matrices, but \"{self.snippet(operand)}\" "
                                     f"is a scalar; use '*'")
        product = left if isinstance(left, _Product) else _Product(left)
        right_shape = right.shape
        if right_shape is None:
            product.add_scalar(right.expr)
        elif product.shape is None or product.shape[1] == right_shape[0]:
            product.add_matrix(right.expr)
        elif not strict and product.shape == (1, 1):
            product.matrix_part_to_scalar()
            product.add_matrix(right.expr)
        elif not strict and right_shape == (1, 1):
            product.add_scalar(scalar_of(right.expr))
        else:
            raise ShapeError(f"cannot multiply {self.describe(product)} by "
                             f"{self.describe(right)}: the inner dimensions "
                             f"{product.shape[1]} and {right_shape[0]} differ")
        return self.check_number_bits(product, right)

    def divide(self, left, right):
        if right.shape not in (None, (1, 1)):
            raise ShapeError(f"cannot divide {self.describe(left)} by {self.describe(right)}: "
                             f"the divisor must be a scalar or 1x1 (use inv(...) for a matrix)")
        product = left if isinstance(left, _Product) else _Product(left)
        product.add_scalar(Pow(scalar_of(right.expr), -1))
        return self.check_number_bits(product, right)

    def check_number_bits(self, product, right):
        if product.number_bits > MAX_NUMBER_BITS:
            raise self.error(f"numeric constant too large (over {MAX_NUMBER_BITS} bits)",
                             right.start)
        return product

    def hadamard(self, left, right):
        if left.shape is None or right.shape is None:
            return self.multiply(left, right, strict=False)
        if left.shape != right.shape:
            raise ShapeError(f"cannot take the Hadamard product of {self.describe(left)} and "
                             f"{self.describe(right)}: the shapes differ")
        product = left if isinstance(left, _Hadamard) else _Hadamard(left)
        product.append(right.expr)
        return product

    def exponent_of(self, right):
        if right.shape is None:
            return right.expr
        if right.shape == (1, 1):
            return scalar_of(right.expr)
        raise ShapeError(f"the exponent {self.describe(right)} must be a scalar "
                         f"(for an elementwise power of a base use exp/log or '.^')")

    def power(self, left, right, op, position):
        base, exponent = left.expr, self.exponent_of(right)
        depth = max(left.depth, right.depth) + 1
        if not _is_matrix(base):
            self.check_number_size(base, exponent, position)
            return _Operand(Pow(base, exponent), left.start, right.end, depth)
        if op == ".^":
            return _Operand(HadamardPower(base, exponent), left.start, right.end, depth)
        if base.shape == (1, 1) and exponent.is_integer is not True:
            return _Operand(Pow(scalar_of(base), exponent), left.start, right.end, depth)
        if base.shape[0] != base.shape[1]:
            raise NonSquareMatrixError(f"cannot raise {self.describe(left)} to a power: "
                                       f"it is not square (use '.^' for an elementwise power)")
        if exponent.is_integer is not True:
            raise self.error(f"a matrix power needs an integer exponent, got {exponent} for "
                             f"\"{self.snippet(left)}\"", position)
        return _Operand(MatPow(base, exponent).doit(deep=False), left.start, right.end, depth)

    def check_number_size(self, base, exponent, position):
        if not (base.is_Rational and exponent.is_Rational):
            return
        if abs(base.p) <= 1 and base.q == 1:
            return
        bits = base.p.bit_length() + base.q.bit_length()
        if bits * abs(exponent) > MAX_NUMBER_BITS:
            raise self.error(f"numeric power {base}^{exponent} too large (over "
                             f"{MAX_NUMBER_BITS} bits)", position)


def parse(text, shapes=None, structures=None, scalars=()):
    """Parse ``text`` in matcalc's expression language (see the module docstring).

    ``shapes``: name -> shape (``"m,k"``, ``"n"``, ``"3,2"``, ``"scalar"``, or a
    tuple); ``structures``: name -> structure (``"spd"``, ``"symmetric"``, ...);
    ``scalars``: names that are real scalars. Returns a ``Parsed`` with the
    expression, the symbols used and the dimension symbols. Raises only
    ``ParseError``, ``ShapeError`` or ``NonSquareMatrixError``.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() needs a string, got {type(text).__name__}")
    table = SymbolTable(shapes, structures, scalars)
    if len(text) > MAX_LENGTH:
        raise ParseError(f"input too long: {len(text)} characters (the limit is {MAX_LENGTH})")
    if not text.strip(" \t\r\n\f\v"):
        raise _error("empty input", text, 0)
    try:
        tokens = _tokenize(text)
        expr = _Parser(text, tokens, table).parse()
    except (ParseError, ShapeError):
        raise
    except RecursionError:
        raise _error("too deeply nested", text, 0) from None
    except Exception as exc:  # the contract: parse() raises only ParseError/ShapeError
        raise _error(f"cannot build the expression: {type(exc).__name__}: {exc}",
                     text, 0) from exc
    return Parsed(expr, dict(table.symbols), dict(table.dims), text)
