"""The LaTeX of an elementwise function's body printed over its matrix argument.

``σ(u)(1 - σ(u))`` applied to U prints as ``\\sigma(U) \\circ (1 - \\sigma(U))``: a printer
context (``MatcalcLatexPrinter.context``) that the elementwise construct's LaTeX rule
(``constructs/elementwise.py``) installs while it prints the body.
"""
from sympy import Mul, Pow, exp
from sympy.printing.precedence import PRECEDENCE

__all__ = ["ElementwiseBody"]


class ElementwiseBody:
    r"""The LaTeX of a body φ(u) printed over the matrix U: u -> U, products -> ``\circ``,
    powers -> ``^{\circ k}``, ``\exp\left(U\right)`` (a printer context)."""

    def __init__(self, variable, matrix):
        self.variable, self.matrix = variable, matrix
        self.bare = False     # the next U is a function's argument: no parentheses

    def __call__(self, printer, expr, **kwargs):
        var = self.variable
        if expr == var:
            return self.argument(printer)
        if getattr(expr, "is_Function", False) and var in expr.args:
            self.bare = True   # U is an argument of a call: its parentheses suffice
        if isinstance(expr, exp):
            name = r"\exp" + ("" if kwargs.get("exp") is None else "^{%s}" % kwargs["exp"])
            return name + r"\left(%s\right)" % printer._print(expr.args[0])
        if isinstance(expr, Pow) and expr.base.has(var):
            return self.power(printer, expr)
        if isinstance(expr, Mul) and not expr.is_Matrix and expr.has(var):
            return self.product(printer, expr)
        return None

    def argument(self, printer):
        bare, self.bare = self.bare, False
        with printer.context(None):           # U itself is not the body
            tex = printer._print(self.matrix)
        if bare or printer.is_atomic(self.matrix) and "^" not in tex:
            return tex
        return printer._add_parens(tex)

    def power(self, printer, expr):
        tex = printer._print(expr.base)
        if expr.base.is_Add or expr.base.is_Mul or expr.base.is_Pow:
            tex = printer._add_parens(tex)
        return r"%s^{\circ %s}" % (tex, printer.exponent(expr.exp))

    def product(self, printer, expr):
        r"""The factors that hold u joined by ``\circ``: ``\sigma(U) \circ (1 - \sigma(U))``."""
        coeff, factors = expr.as_independent(self.variable, as_Add=False)
        tex = ""
        if coeff.could_extract_minus_sign():
            tex, coeff = "- ", -coeff
        if coeff != 1:
            tex += printer.parenthesize(coeff, PRECEDENCE["Mul"], strict=True) + " "
        parts = []
        for factor in sorted(Mul.make_args(factors), key=lambda f: f.is_Add):  # σ ∘ (1 - σ)
            part = printer._print(factor)
            if factor.is_Add or factor.is_Mul:
                part = printer._add_parens(part)
            parts.append(part)
        return tex + r" \circ ".join(parts)
