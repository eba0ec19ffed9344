r"""LaTeX in the voice of the Matrix Cookbook: ``X^{-T}``, ``\operatorname{tr}(A X B)``, ``\log\det``.

``MatcalcLatexPrinter`` is SymPy's ``LatexPrinter`` with the registry in front: every
construct's notation is the ``LATEX`` rule its module registers (section
``# == printing ==``); anything without a rule prints as ``sympy.latex`` would.  The
printer itself knows no construct; it offers the helpers the rules share:

``power(base, sup)``                ``base^{sup}``, ``\left(..\right)`` around a compound base
                                    (``X^{T}``, ``\left(A B\right)^{-1}``, ``X^{-T}``)
``is_atomic(M)``                    M prints as one token or a call (``ATOMIC_LATEX``)
``exponent(e)``                     ``1/2`` for a fraction, as exponents read
``operator(name, arg)``             ``\operatorname{tr}\left(M\right)``
``scalar_product(expr)``            SymPy's product of scalars, noting whether a 1x1
                                    "compound scalar" (``x^{T} A x``) shares it with others
``before_matrix()``                 the coefficient of a matrix is being printed
``signed_sum(expr)``                a positive term first: ``X - A B``, not ``- A B + X``
``negative(term)``                  ``-term`` without re-evaluating it
``context(handler)``                (``RegisteredPrinter``) a rule's own notation for the
                                    nodes below it, e.g. an elementwise body's ``\circ``

The notation itself, construct by construct:

======================================  =========================================
expression                              LaTeX
======================================  =========================================
``X.T``, ``X.I``                        ``X^{T}``, ``X^{-1}``
``(X^{-1})^T``, ``(X^T)^{-1}``          ``X^{-T}`` (also for compound bases)
``MatPow(X, k)``, ``MatPow(X.I, 2)``    ``X^{k}``, ``X^{-2}``
``MatPow(X.T, k)``                      ``\left(X^{T}\right)^{k}`` (never ``X^{Tk}``)
``Trace(M)``, ``Determinant(M)``        ``\operatorname{tr}\left(M\right)``, ``\det\left(M\right)``
``log(Determinant(M))``                 ``\log\det\left(M\right)``
``HadamardProduct``, ``HadamardPower``  ``A \circ B``, ``A^{\circ 2}``
``KroneckerProduct``                    ``A \otimes B``
``Identity(n)``, ``ZeroMatrix``         ``I_{n}``, ``0``
``OneMatrix``: n x 1, 1 x n, m x n      ``\mathbf{1}_{n}``, ``\mathbf{1}_{n}^{T}``, ``\mathbf{1}_{m \times n}``
``DiagMatrix(v)``, ``DiagonalOf(M)``    both ``\operatorname{diag}\left(.\right)`` (Cookbook, MATLAB)
``X.applyfunc(exp)``                    ``\exp\left(X\right)``; a general body with ``\circ``, ``^{\circ k}``
``scalar(x.T*A*x)``                     ``x^{T} A x``, in parentheses among other factors
``Norm(E)``                             ``\left\|E\right\|_{F}``, ``\left\|x\right\|_{2}``
``dX``, ``d(U)``                        ``\mathrm{d}X``, ``\mathrm{d}\left(U\right)``
``CommutationMatrix(m, n)``             ``K_{m,n}``
======================================  =========================================
"""
from contextlib import contextmanager

from sympy import MatMul, Mul, Pow, Rational, S
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from ..algebra import is_matrix
from ..constructs.scalars import is_compound_scalar
from ..registry import ATOMIC_LATEX, LATEX
from .dispatch import RegisteredPrinter

__all__ = ["MatcalcLatexPrinter", "latex"]


class MatcalcLatexPrinter(RegisteredPrinter, LatexPrinter):
    """SymPy's LaTeX printer with every construct's registered notation (``LATEX``)."""

    printmethod = "_latex"
    rules = LATEX

    def __init__(self, settings=None):
        super().__init__(settings)
        self._mul_has_several = []      # per scalar product: more than one non-number factor?
        self._scalar_before_matrix = False

    # -- helpers for the rules ----------------------------------------------------------
    def is_atomic(self, M):
        """Does ``M`` print as one token or a call (``ATOMIC_LATEX``)?"""
        rule = ATOMIC_LATEX.lookup(M)
        return bool(rule is not None and rule(M))

    def power(self, base, sup):
        """``base^{sup}``, with ``\\left(..\\right)`` around a compound base."""
        tex = self._print(base)
        if not self.is_atomic(base) or "^" in tex:
            tex = self._add_parens(tex)
        return "%s^{%s}" % (tex, sup)

    def operator(self, name, arg):
        """``\\operatorname{name}\\left(arg\\right)``: tr, diag, ... applied to ``arg``."""
        return r"\operatorname{%s}\left(%s\right)" % (name, self._print(arg))

    def exponent(self, e):
        """An exponent as a superscript reads it: ``1/2`` rather than ``\\frac{1}{2}``."""
        if isinstance(e, Rational) and not e.is_Integer:
            return "%d/%d" % (e.p, e.q)
        return self._print(e)

    def negative(self, term):
        """``-term``: a product's coefficient negated, never a deep re-evaluation
        (``-M`` of a matrix runs ``doit`` on all of M)."""
        if is_matrix(term):
            return MatMul(S.NegativeOne, term).doit(deep=False)
        return -term

    def signed_sum(self, expr, order=None):
        """The terms of a sum joined by ``+``/``-``, a positive term first."""
        terms = list(self._as_ordered_terms(expr, order=order))
        for i, term in enumerate(terms):
            if not term.could_extract_minus_sign():
                terms.insert(0, terms.pop(i))
                break
        tex = ""
        for i, term in enumerate(terms):
            if i == 0:
                pass
            elif term.could_extract_minus_sign():
                tex += " - "
                term = self.negative(term)
            else:
                tex += " + "
            term_tex = self._print(term)
            if self._needs_add_brackets(term):
                term_tex = self._add_parens(term_tex)
            tex += term_tex
        return tex

    # -- compound scalars: a 1x1 product read as a scalar, x^{T} A x ----------------------
    def scalar_product(self, expr):
        """SymPy's product of scalars; a compound scalar among several factors (or before
        a matrix) is parenthesized by ``_needs_mul_brackets``."""
        factors = Mul.make_args(expr) if isinstance(expr, Mul) else (expr,)
        numerators = [f for f in factors if not f.is_Number
                      and not (isinstance(f, Pow) and f.exp.is_negative)]
        self._mul_has_several.append(len(numerators) > 1 or self._scalar_before_matrix)
        saved, self._scalar_before_matrix = self._scalar_before_matrix, False
        try:
            return LatexPrinter._print_Mul(self, expr)
        finally:
            self._mul_has_several.pop()
            self._scalar_before_matrix = saved

    @contextmanager
    def before_matrix(self):
        """The coefficient of a matrix is printed: a compound scalar in it takes parentheses."""
        self._scalar_before_matrix = True
        try:
            yield
        finally:
            self._scalar_before_matrix = False

    def parenthesize(self, item, level, is_neg=False, strict=False):
        if is_compound_scalar(item) and level >= PRECEDENCE["Mul"]:
            return self._add_parens(self._print(item))
        return super().parenthesize(item, level, is_neg=is_neg, strict=strict)

    def _needs_mul_brackets(self, expr, first=False, last=False):
        if is_compound_scalar(expr) and self._mul_has_several and self._mul_has_several[-1]:
            return True
        return super()._needs_mul_brackets(expr, first=first, last=last)


def latex(expr, **settings):
    """``expr`` as LaTeX in matcalc's style (settings as for ``sympy.latex``)."""
    return MatcalcLatexPrinter(settings).doprint(expr)
