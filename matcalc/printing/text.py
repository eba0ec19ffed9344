"""Results as text in matcalc's own expression language, which ``matcalc.parse`` reads back.

``text_form(expr)`` is what the command line prints: ``X^-T``, ``kron(B', A)``,
``(A + A')*x``, ``tr(X)*I(n)``.  ``TextPrinter`` is SymPy's ``StrPrinter`` with the registry
in front: each construct's spelling is the ``TEXT`` rule its module registers, next to
the ``FUNCTIONS`` definition the parser reads (``tr`` prints what ``tr(...)`` parses),
so printing and parsing are one language.  The printer knows no construct; it offers:

``call(name, *args)``          ``name(a, b)``, each argument without outer parentheses
``argument(expr)``             an argument's text without outer parentheses
``postfix_base(M)``            M ready for a postfix ``'``, ``^-1``, ``.^2``: bare when atomic
``is_atomic(M)``               M prints as a name or a call (``ATOMIC_TEXT``)
``is_negative(term)``          a term printed after ``-`` in a sum
``negative(term)``             ``-term`` without re-evaluating it
``context(handler)``           (``RegisteredPrinter``) a rule's own spelling for the nodes
                               below it, e.g. an elementwise body's bound variable
"""
from sympy import MatMul, S
from sympy.printing.str import StrPrinter

from ..algebra import is_matrix
from ..registry import ATOMIC_TEXT, TEXT
from .dispatch import RegisteredPrinter

__all__ = ["TextPrinter", "text_form", "strip_parens"]


class TextPrinter(RegisteredPrinter, StrPrinter):
    """matcalc's text language (``TEXT`` rules): ``X'``, ``X^-1``, ``X^-T``, ``tr``,
    ``det``, ``.*`` for Hadamard products, ``kron(A, B)``."""

    rules = TEXT

    def is_atomic(self, M):
        """Does ``M`` print as a name or a call (``ATOMIC_TEXT``)?"""
        rule = ATOMIC_TEXT.lookup(M)
        return bool(rule is not None and rule(M))

    def parenthesize(self, item, level, strict=False):
        if self.is_atomic(item):   # a name or a call never needs parentheses
            return self._print(item)
        return super().parenthesize(item, level, strict)

    def postfix_base(self, M):
        """M's text before a postfix operator: parenthesized unless atomic."""
        text = self._print(M)
        return text if self.is_atomic(M) else f"({text})"

    def call(self, name, *args):
        """``name(a, b, ...)``: the call syntax of the language's functions."""
        return f"{name}(" + ", ".join(self.argument(a) for a in args) + ")"

    def argument(self, expr):
        """``expr`` as an argument of a call: without enclosing parentheses."""
        return strip_parens(self._print(expr))

    @staticmethod
    def is_negative(term):
        """Is ``term`` printed as ``-(...)``: a negative numeric coefficient?"""
        coeff = term.as_coeff_mmul()[0] if hasattr(term, "as_coeff_mmul") else \
            term.as_coeff_Mul()[0]
        return bool(getattr(coeff, "is_negative", False))

    @staticmethod
    def negative(term):
        """``-term``: a product's coefficient negated, never a deep re-evaluation."""
        if is_matrix(term):
            return MatMul(S.NegativeOne, term).doit(deep=False)
        return -term


def strip_parens(text):
    """``(a + b)`` -> ``a + b`` when the outer parentheses enclose the whole text."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for k, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and k < len(text) - 1:
            return text
    return text[1:-1]


def text_form(expr):
    """``expr`` as readable text (see ``TextPrinter``); powers are written ``^``."""
    return TextPrinter({"order": "none"}).doprint(expr).replace("**", "^")
