"""The grammar: an operator-precedence parser that builds SymPy objects as it reduces.

It never recurses: parentheses and calls push a ``Frame``, operators wait on the frame's
stack until an operator of lower precedence reduces them (``Arithmetic``), and a closed
call is built by the function the construct registered (``FUNCTIONS``, ``Call``).
"""
import difflib

from sympy import Integer, Rational

from .arithmetic import Arithmetic
from .calls import FUNCTIONS, Call, arguments_text, bound_variable, derivative_of
from .infer import repair
from .operands import Broadcast, Flexible, Hadamard, Operand, Source
from .spellings import CONSTANTS
from .tokens import (BINARY, MAX_DECIMAL_EXPONENT, MAX_NUMBER_LENGTH, POSTFIX,
                     UNARY_PRECEDENCE)

__all__ = ["Parser"]


class Frame:
    """An open parenthesis or call (or the whole text): its operand/operator stacks."""

    def __init__(self, kind, opening, syntax=None):
        self.kind, self.opening = kind, opening   # "top" | "paren" | "call", its token
        self.syntax = syntax                      # the function of a call
        self.operands, self.operators, self.arguments = [], [], []
        self.bound = None                         # (name, scalar) map(u -> ...) binds now
        self.bound_scalar = None                  # the scalar it bound, kept for the build
        self.derivative = False                   # f'(...): the derivative of f


class Parser(Source):
    """Tokens -> one SymPy expression (``parse`` is the entry point)."""

    def __init__(self, text, tokens, table, inferring=True):
        super().__init__(text)
        self.tokens, self.table = tokens, table
        self.index = 0
        self.arithmetic = Arithmetic(self)
        self.inferring = inferring   # may a misfit fix a defaulted name's shape (infer.py)?

    def repair(self, *attempts):
        if not self.inferring:
            return
        for expr, axis, dimension in attempts:
            reparse = repair(self.table, expr, axis, dimension)
            if reparse is not None:
                raise reparse

    # -- token helpers --------------------------------------------------------
    def peek(self):
        return self.tokens[self.index]

    def advance(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    # -- grammar ---------------------------------------------------------------
    def parse(self):
        """The whole text: one loop, with an explicit stack of open parentheses/calls."""
        if self.peek().kind == "end":
            raise self.error("empty input", 0)
        frames = [Frame("top", None)]
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
                frame.operators.append(("neg", sign.pos, UNARY_PRECEDENCE, 1))
            token = self.advance()
            if token.kind == "num":
                frame.operands.append(Operand(self.number(token), token.pos,
                                              token.pos + len(token.text)))
            elif token.kind == "name" and self.is_derivative_call():
                self.advance(), self.advance()
                if self.open_call(token, frames, derivative=True):
                    previous = self.tokens[self.index - 1]
                    continue
            elif token.kind == "name" and self.peek().text == "(":
                self.advance()
                if self.open_call(token, frames):
                    previous = self.tokens[self.index - 1]   # '(' or the '->' of map(u ->
                    continue
            elif token.kind == "name":
                value = self.variable(token)
                frame.operands.append(value if isinstance(value, Flexible) else
                                      Operand(value, token.pos, token.pos + len(token.text)))
            elif token.text == "(":
                if self.peek().text == ")":
                    raise self.error("empty parentheses '()'", token.pos)
                frames.append(Frame("paren", token))
                previous = token
                continue
            else:
                raise self.missing_operand(token, previous)
            # An operand is complete: postfix operators, then an operator, ',' or ')'.
            while True:
                frame = frames[-1]
                self.postfix(frame)
                token = self.peek()
                if token.kind == "op" and token.text in BINARY:
                    self.push_binary(frame, token)
                    previous = self.advance()
                    break
                if token.text == "," and frame.kind == "call":
                    frame.arguments.append(self.finish(frame))
                    self.unbind(frame)
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

    def postfix(self, frame):
        while self.peek().kind == "op" and self.peek().text in POSTFIX:
            token = self.advance()
            frame.operands[-1] = self.arithmetic.postfix(token.text, frame.operands[-1],
                                                         token.pos)

    def push_binary(self, frame, token):
        precedence, right_associative = BINARY[token.text]
        operators = frame.operators
        while operators and (operators[-1][2] > precedence
                             or (operators[-1][2] == precedence and not right_associative)):
            self.arithmetic.reduce(operators.pop(), frame.operands)
        operators.append((token.text, token.pos, precedence, 2))

    def finish(self, frame):
        """Reduce the frame's pending operators: its expression so far, as one operand."""
        while frame.operators:
            self.arithmetic.reduce(frame.operators.pop(), frame.operands)
        result = frame.operands.pop()
        frame.operands.clear()
        return result

    def close(self, frame, closing):
        """The operand a closed parenthesis or call stands for."""
        result = self.finish(frame)
        if frame.kind == "paren":
            if isinstance(result, Hadamard):   # (A .* B) .* C keeps its grouping
                return Operand(result.expr, frame.opening.pos, closing.pos + 1, result.depth)
            result.start, result.end = frame.opening.pos, closing.pos + 1
            return result
        frame.arguments.append(result)
        self.unbind(frame)
        return self.build_call(frame.opening, frame.arguments, closing, frame.bound_scalar,
                               frame.derivative)

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

    # -- operands ----------------------------------------------------------------
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
        if name in CONSTANTS and not self.table.declares(name):
            return Flexible(CONSTANTS[name], token.pos, token.pos + len(name),
                            self.table.dimension("n"))
        if FUNCTIONS.reserves(name):
            hint = (f"write {name}(n) or eye(n)" if name in ("I", "eye")
                    else f"call it as {name}(...)")
            raise self.error(f"{name!r} is a function, used here without a call; {hint}",
                             token.pos)
        with self.building(f"the symbol {name!r}", token.pos):
            return self.table.variable(name)

    # -- calls -----------------------------------------------------------------
    def is_derivative_call(self):
        """``f'(`` follows: the derivative of the scalar function f."""
        return (self.peek().text == "'" and self.tokens[self.index + 1].text == "("
                and self.tokens[self.index - 1].text in FUNCTIONS)

    def unknown_function(self, name, position):
        """The error for ``name(...)`` with no such function: the closest name, or the list."""
        close = difflib.get_close_matches(name, [f for f in FUNCTIONS if FUNCTIONS.reserves(f)],
                                          n=1, cutoff=0.6)
        if close:
            return self.error(f"unknown function {name!r}; did you mean "
                              f"{FUNCTIONS.get(close[0]).name!r}?", position)
        known = ", ".join(sorted({FUNCTIONS.get(f).name for f in FUNCTIONS}, key=str.lower))
        return self.error(f"unknown function {name!r}; known functions: {known} "
                          f"(implicit multiplication is not supported: write "
                          f"{name}*(...))", position)

    def open_call(self, name_token, frames, derivative=False):
        """After ``name(`` (``name'(`` with ``derivative``): push a call frame (True), or
        build a call that needs none."""
        name = name_token.text
        syntax = FUNCTIONS.get(name)
        if syntax is None or (syntax.soft and self.table.declares(name)):
            raise self.unknown_function(name, name_token.pos)
        if derivative and syntax.function is None:
            raise self.error(f"{name}'(...) is not defined: ' after a function name is the "
                             f"derivative of a scalar function (tanh'(X))", name_token.pos)
        if syntax.dimensions or self.peek().text == ")":
            args = self.dimension_arguments(name) if syntax.dimensions else []
            closing = self.advance()
            frames[-1].operands.append(self.build_call(name_token, args, closing))
            return False
        frame = Frame("call", name_token, syntax)
        frame.derivative = derivative
        if syntax.binds:
            self.bind(frame, name)
        frames.append(frame)
        return True

    def bind(self, frame, name):
        """``map(u -> ...``: the body's ``u`` stands for a fresh scalar until its ','."""
        token, arrow = self.advance(), self.advance()
        if token.kind != "name" or arrow.text != "->" or FUNCTIONS.reserves(token.text):
            raise self.error(f"{name}() takes a variable, '->' and a scalar body, then the "
                             f"matrix: {name}(u -> 1 - sigmoid(u), W*x)", token.pos)
        frame.bound_scalar = bound_variable(token.text)
        frame.bound = (token.text, frame.bound_scalar)
        self.table.bind(*frame.bound)

    def unbind(self, frame):
        if frame.bound is not None:
            self.table.unbind(frame.bound[0])
            frame.bound = None

    def build_call(self, name_token, args, closing, bound=None, derivative=False):
        name = name_token.text
        syntax = FUNCTIONS.get(name)
        least, most = (1, 1) if derivative else (syntax.least, syntax.most)
        if not (least <= len(args) and (most is None or len(args) <= most)):
            raise self.error(f"{name}{chr(39) if derivative else ''}() takes "
                             f"{arguments_text(least, most)}, got {len(args)}", name_token.pos)
        depth = 1 + max((getattr(a, "depth", 0) for a in args), default=0)
        with self.building(f"{name}(...)", name_token.pos):
            call = Call(name, args, self, name_token.pos, bound)
            expr = derivative_of(syntax.function)(call) if derivative else syntax(call)
        if isinstance(expr, Broadcast):
            return self.check_depth(Flexible(expr, name_token.pos, closing.pos + 1,
                                             self.table.dimension("n"), depth))
        return self.check_depth(Operand(expr, name_token.pos, closing.pos + 1, depth))

    def dimension_arguments(self, name):
        """The arguments of ``I(n)``, ``zeros(m, n)``, ``commutation(m, n)``: dimensions,
        each a product of names and positive integers (``I(m*n)``, ``I(n^2)``)."""
        args = []
        if self.peek().text == ")":
            return args
        while True:
            dim = self.dimension_factor(name)
            while self.peek().text == "*":
                self.advance()
                dim *= self.dimension_factor(name)
            args.append(dim)
            token = self.peek()
            if token.text == ",":
                self.advance()
            elif token.text == ")":
                return args
            else:
                raise self.error(f"{name}() takes dimension names or positive integers, "
                                 f"found {token.text!r}", token.pos)

    def dimension_factor(self, name):
        """A dimension name or a positive integer, with an optional power ``^k``."""
        token = self.advance()
        if token.kind == "name" and not FUNCTIONS.reserves(token.text):
            dim = self.table.dimension(token.text)
        elif self.is_positive_integer(token):
            dim = Integer(int(token.text))
        else:
            found = "the end of input" if token.kind == "end" else repr(token.text)
            raise self.error(f"{name}() takes dimension names or positive integers, "
                             f"found {found}", token.pos)
        if self.peek().text in ("^", "**"):
            self.advance()
            power = self.advance()
            if not self.is_positive_integer(power) or len(power.text) > 3:
                raise self.error(f"{name}(): a dimension's power is a small positive integer",
                                 power.pos)
            dim = dim ** int(power.text)
        return dim

    @staticmethod
    def is_positive_integer(token):
        return (token.kind == "num" and token.text.isdigit()
                and len(token.text) <= MAX_NUMBER_LENGTH and int(token.text) > 0)
