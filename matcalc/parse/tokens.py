"""Tokens of matcalc's expression language, and the limits every input is checked against.

``tokenize`` reads numbers, names and operators, checks the characters, the balance and
the depth of the parentheses, and never evaluates anything.  ``error`` makes the
``ParseError`` every stage of the parser raises: with the 0-based position, and for a
long input an excerpt around it.
"""
import re
from dataclasses import dataclass

from ..constructs.inverse import INVERSE_TRANSPOSE  # X^-T, the spelling its printer writes
from ..errors import ParseError

MAX_LENGTH = 100_000
MAX_DEPTH = 200
MAX_NUMBER_LENGTH = 100
MAX_DECIMAL_EXPONENT = 1000
# Bits of an exact numeric constant the parser is willing to build: beyond it
# SymPy would spend unbounded time on big-integer arithmetic ("9^9^9").
MAX_NUMBER_BITS = 100_000

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_WHITESPACE = frozenset(" \t\r\n\f\v")
_OPERATORS = ("**", ".*", ".^", "./", "->", "+", "-", "*", "/", "@", "^", "'", "(", ")", ",")
_NAME_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_(")

# binary operator -> (precedence, right-associative)
BINARY = {"+": (1, False), "-": (1, False),
          "*": (2, False), "@": (2, False), "/": (2, False), ".*": (2, False), "./": (2, False),
          "**": (4, True), "^": (4, True), ".^": (4, True)}
UNARY_PRECEDENCE = 3
POSTFIX = frozenset({"'", INVERSE_TRANSPOSE})


@dataclass(frozen=True)
class Token:
    kind: str        # "num", "name", "op", "end"
    text: str
    pos: int


def error(message, text, position):
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


def _inverse_transpose_at(text, i):
    """Is ``^-T`` at ``i`` the inverse transpose (T not the start of a longer name or a call)?"""
    end = i + len(INVERSE_TRANSPOSE)
    return text.startswith(INVERSE_TRANSPOSE, i) and text[end:end + 1] not in _NAME_CHARACTERS


def tokenize(text, inverse_transpose=True):
    """The tokens of ``text``; checks characters, parenthesis balance and depth.

    ``inverse_transpose``: read ``X^-T`` as the inverse transpose (False when T is a
    declared variable, so that ``a^-T`` stays a power).
    """
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
            tokens.append(Token("num", match.group(), i))
            i = match.end()
            continue
        match = IDENTIFIER.match(text, i)
        if match:
            tokens.append(Token("name", match.group(), i))
            i = match.end()
            continue
        if text.startswith(".T", i) and not IDENTIFIER.match(text, i + 2) \
                and not text[i + 2:i + 3].isdigit():
            tokens.append(Token("op", "'", i))
            i += 2
            continue
        if inverse_transpose and _inverse_transpose_at(text, i):
            tokens.append(Token("op", INVERSE_TRANSPOSE, i))
            i += len(INVERSE_TRANSPOSE)
            continue
        if ch in "[]":
            raise error("indexing with [...] is not supported; use scalar(M) for the entry "
                        "of a 1x1 expression", text, i)
        op = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if op is None:
            hint = " (transpose is written X.T or X')" if ch == "." else ""
            raise error(f"unexpected character {ch!r}{hint}", text, i)
        if op == "(":
            open_parens.append(i)
            if len(open_parens) > MAX_DEPTH:
                raise error(f"too deeply nested: more than {MAX_DEPTH} levels of parentheses",
                            text, i)
        elif op == ")":
            if not open_parens:
                raise error("unbalanced ')': no matching '('", text, i)
            open_parens.pop()
        tokens.append(Token("op", op, i))
        i += len(op)
    if open_parens:
        raise error("unbalanced '(': missing ')'", text, open_parens[-1])
    tokens.append(Token("end", "", length))
    return tokens
