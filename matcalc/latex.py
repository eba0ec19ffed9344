r"""LaTeX in the voice of the Matrix Cookbook: ``X^{-T}``, ``\operatorname{tr}(A X B)``, ``\log\det``.

``MatcalcLatexPrinter`` subclasses SymPy's ``LatexPrinter`` and only restyles the
matrix constructs; everything else prints as ``sympy.latex`` would.

Style decisions (each one chosen to read like a paper, and kept consistent):

======================================  =========================================
expression                              LaTeX
======================================  =========================================
``X.T``, ``X.I``                        ``X^{T}``, ``X^{-1}``
``(X^{-1})^T``, ``(X^T)^{-1}``          ``X^{-T}`` (also for compound bases)
``MatPow(X, k)``, ``MatPow(X.I, 2)``    ``X^{k}``, ``X^{-2}``
``MatPow(X.T, k)``                      ``\left(X^{T}\right)^{k}`` (never ``X^{Tk}``)
compound base                           ``\left(A B\right)^{-1}``
``(dX)^T``                              ``\left(\mathrm{d}X\right)^{T}``
``Trace(M)``, ``Determinant(M)``        ``\operatorname{tr}\left(M\right)``, ``\det\left(M\right)``
``log(Determinant(M))``                 ``\log\det\left(M\right)``
``HadamardProduct``, ``HadamardPower``  ``A \circ B``, ``A^{\circ 2}``
``KroneckerProduct``                    ``A \otimes B``
``Identity(n)``                         ``I_{n}`` (``I_{3}`` for a number)
``ZeroMatrix(m, n)``                    ``0`` (a zero is nearly always a whole result)
``OneMatrix``: n x 1, 1 x n, m x n      ``\mathbf{1}_{n}``, ``\mathbf{1}_{n}^{T}``, ``\mathbf{1}_{m \times n}``
``DiagMatrix(v)``, ``DiagonalOf(M)``    both ``\operatorname{diag}\left(.\right)``, as in the
                                        Cookbook and MATLAB: the argument (vector or square
                                        matrix) tells which one is meant
``X.applyfunc(exp)``                    ``\exp\left(X\right)``; matcalc's sigmoid ``\sigma\left(X\right)``;
                                        a general body is printed with the matrix substituted,
                                        its products as ``\circ`` and powers as ``^{\circ k}``
``exp(s)``, ``log(s)`` of a scalar      ``e^{s}`` (SymPy's), ``\log\left(s\right)``
``scalar(x.T*A*x)``                     ``x^{T} A x``; in parentheses inside a product of
                                        several factors, a power or before a matrix
``Norm(E)``                             ``\left\|E\right\|_{F}`` (matrix), ``\left\|x\right\|_{2}`` (vector)
``dX``, ``d(U)``, ``d(X)``              ``\mathrm{d}X``, ``\mathrm{d}\left(U\right)``, ``\mathrm{d}X``
``CommutationMatrix(m, n)``             ``K_{m,n}``
sums                                    a positive term first: ``X - A B``, not ``- A B + X``
======================================  =========================================

Dispatch: for matcalc's own classes (``Norm``, ``sigmoid``, the differentials,
``CommutationMatrix``) a ``_print_<Class>`` method of this printer wins over the
class's own ``_latex``, so the style lives here; ``sympy.latex`` still uses ``_latex``.
"""
from sympy.printing.precedence import PRECEDENCE, PRECEDENCE_FUNCTIONS
import re

from sympy import (Basic, Determinant, Dummy, Identity, Lambda, MatAdd, MatMul, MatPow,
                   MatrixSymbol, Mul, OneMatrix, Pow, Rational, Transpose, ZeroMatrix)
from sympy.core.function import AppliedUndef, FunctionClass
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence_traditional

from .constructs.differentials import DifferentialSymbol
from .registry import DIFFERENTIAL

__all__ = ["MatcalcLatexPrinter", "latex", "align_steps", "escape_text", "PREAMBLE",
           "derivation_latex", "rule_note", "tidy_step", "space_differentials", "RULE_NOTES"]

#: Preamble for a document of matcalc output. TeX puts a thin space between an
#: operator and ``\left(`` (``tr (X)``); redefining ``\left``/``\right`` (the
#: well-known TeX.SE fix) removes it, so ``\operatorname{tr}\left(X\right)`` sets
#: as tight as ``tr(X)`` without changing the strings the printer emits.
PREAMBLE = r"""\usepackage{amsmath}
\usepackage{amssymb}
\let\originalleft\left
\let\originalright\right
\renewcommand{\left}{\mathopen{}\mathclose\bgroup\originalleft}
\renewcommand{\right}{\aftergroup\egroup\originalright}
"""

# Functions printed \name\left(x\right) rather than SymPy's \name{\left(x \right)}.
_PLAIN_FUNCTIONS = frozenset({"sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh",
                              "tanh", "coth", "arcsin", "arccos", "arctan"})
# Matrices that print as one token (or as a function call) and so take ^{T} bare.
_ATOMIC_MATRICES = (MatrixSymbol, Identity, ZeroMatrix, DiagMatrix, DiagonalOf)


class MatcalcLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with matrix-calculus notation (see the module table)."""

    printmethod = "_latex"

    def __init__(self, settings=None):
        super().__init__(settings)
        self._elementwise = []      # stack of (placeholder, matrix) for applyfunc bodies
        self._mul_has_several = []  # per _print_Mul: more than one non-number factor?
        self._scalar_before_matrix = False
        self._bare_placeholder = False

    # -- dispatch ---------------------------------------------------------------------
    def _print(self, expr, **kwargs):
        if (self._elementwise and getattr(expr, "is_Function", False)
                and expr.args == (self._elementwise[-1][0],)):
            # f(X) elementwise: the function's own parentheses are enough
            self._bare_placeholder = True
        method = self._own_method(type(expr).__name__)
        if method is None:
            return super()._print(expr, **kwargs)
        self._print_level += 1
        try:
            return method(expr, **kwargs)
        finally:
            self._print_level -= 1

    def _own_method(self, class_name):
        """``_print_<class_name>`` if defined by this class (not by SymPy's printer)."""
        name = "_print_" + class_name
        for klass in type(self).__mro__:
            if klass is LatexPrinter:
                return None
            if name in vars(klass):
                return getattr(self, name)
        return None

    # -- shared helpers ---------------------------------------------------------------
    def _is_atomic_matrix(self, M):
        if isinstance(M, DifferentialSymbol):
            return False
        if isinstance(M, OneMatrix):
            return M.shape[0] != 1 or M.shape[1] == 1
        if isinstance(M, ElementwiseApplyFunction):
            return self._elementwise_function(M) is not None
        return isinstance(M, _ATOMIC_MATRICES) or type(M).__name__ == "CommutationMatrix"

    def _power(self, base, sup):
        """``base^{sup}``, with ``\\left(..\\right)`` around a compound base."""
        tex = self._print(base)
        if not self._is_atomic_matrix(base) or "^" in tex:
            tex = self._add_parens(tex)
        return "%s^{%s}" % (tex, sup)

    def _print_exponent(self, e):
        if isinstance(e, Rational) and not e.is_Integer:
            return "%d/%d" % (e.p, e.q)
        return self._print(e)

    @staticmethod
    def _is_scalar_of_1x1(expr):
        return (isinstance(expr, MatrixElement) and expr.parent.shape == (1, 1)
                and expr.i == 0 and expr.j == 0)

    def _is_compound_scalar(self, expr):
        """A 1x1 matrix product read as a scalar, e.g. ``x^{T} A x``."""
        return self._is_scalar_of_1x1(expr) and not isinstance(expr.parent, MatrixSymbol)

    def parenthesize(self, item, level, is_neg=False, strict=False):
        if self._is_compound_scalar(item) and level >= PRECEDENCE["Mul"]:
            return self._add_parens(self._print(item))
        return super().parenthesize(item, level, is_neg=is_neg, strict=strict)

    def _needs_mul_brackets(self, expr, first=False, last=False):
        if self._is_compound_scalar(expr) and self._mul_has_several and self._mul_has_several[-1]:
            return True
        return super()._needs_mul_brackets(expr, first=first, last=last)

    # -- transpose, inverse, powers ---------------------------------------------------
    def _print_Transpose(self, expr):
        arg = expr.arg
        if isinstance(arg, MatPow) and arg.exp == -1 and not isinstance(arg.base, Transpose):
            return self._power(arg.base, "-T")
        return self._power(arg, "T")

    def _print_MatPow(self, expr):  # also Inverse, a MatPow subclass
        base, e = expr.base, expr.exp
        if e == -1 and isinstance(base, Transpose):
            return self._power(base.arg, "-T")
        if isinstance(base, MatPow) and base.exp == -1 and e.is_Integer and e > 0:
            return self._power(base.base, "-%s" % self._print(e))
        return self._power(base, self._print_exponent(e))

    def _print_HadamardPower(self, expr):
        return self._power(expr.base, r"\circ " + self._print_exponent(expr.exp))

    # -- products and sums ------------------------------------------------------------
    def _print_MatMul(self, expr):
        coeff, matrices = expr.as_coeff_matrices()
        tex = ""
        if coeff.could_extract_minus_sign():
            tex, coeff = "- ", -coeff
        if coeff != 1:
            if (self._is_compound_scalar(coeff)
                    or self._needs_mul_brackets(coeff, first=True, last=not matrices)):
                tex += self._add_parens(self._print(coeff))
            else:
                self._scalar_before_matrix = True
                try:
                    tex += self._print(coeff)
                finally:
                    self._scalar_before_matrix = False
            if matrices:
                tex += " "
        level = PRECEDENCE["Mul"]
        return tex + " ".join(self._add_parens(self._print(M))
                              if precedence_traditional(M) <= level else self._print(M)
                              for M in matrices)

    def _print_Mul(self, expr):
        if self._elementwise and isinstance(expr, Mul) and expr.has(self._elementwise[-1][0]):
            return self._print_elementwise_Mul(expr)
        factors = Mul.make_args(expr) if isinstance(expr, Mul) else (expr,)
        numerators = [f for f in factors if not f.is_Number
                      and not (isinstance(f, Pow) and f.exp.is_negative)]
        self._mul_has_several.append(len(numerators) > 1 or self._scalar_before_matrix)
        saved, self._scalar_before_matrix = self._scalar_before_matrix, False
        try:
            return super()._print_Mul(expr)
        finally:
            self._mul_has_several.pop()
            self._scalar_before_matrix = saved

    def _print_Add(self, expr, order=None):
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
                term = -term
            else:
                tex += " + "
            term_tex = self._print(term)
            if self._needs_add_brackets(term):
                term_tex = self._add_parens(term_tex)
            tex += term_tex
        return tex

    _print_MatAdd = _print_Add

    # -- scalar functions of matrices -------------------------------------------------
    def _print_Trace(self, expr):
        return r"\operatorname{tr}\left(%s\right)" % self._print(expr.arg)

    def _print_Determinant(self, expr):
        return r"\det\left(%s\right)" % self._print(expr.arg)

    def _print_log(self, expr, exp=None):
        arg = expr.args[0]
        name = r"\ln" if self._settings["ln_notation"] else r"\log"
        if exp is not None:
            name += "^{%s}" % exp
        if isinstance(arg, Determinant):
            return name + self._print(arg)
        return name + r"\left(%s\right)" % self._print(arg)

    def _print_Function(self, expr, exp=None):
        func = expr.func.__name__
        if (func in _PLAIN_FUNCTIONS and len(expr.args) == 1
                and not isinstance(expr, AppliedUndef) and not hasattr(self, "_print_" + func)):
            name = "\\" + func + ("" if exp is None else "^{%s}" % exp)
            return name + r"\left(%s\right)" % self._print(expr.args[0])
        return super()._print_Function(expr, exp)

    def _print_exp(self, expr, exp=None):
        if not self._elementwise:
            return super()._print_ExpBase(expr, exp)  # e^{x} for a scalar
        name = r"\exp" + ("" if exp is None else "^{%s}" % exp)
        return name + r"\left(%s\right)" % self._print(expr.args[0])

    def _print_sigmoid(self, expr, exp=None):
        tex = r"\sigma\left(%s\right)" % self._print(expr.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)

    def _print_MatrixElement(self, expr):
        if self._is_scalar_of_1x1(expr):
            return self._print(expr.parent)
        return super()._print_MatrixElement(expr)

    def _print_Norm(self, expr):
        sub = "2" if expr.is_vector_norm else "F"
        return r"\left\|%s\right\|_{%s}" % (self._print(expr.arg), sub)

    # -- special matrices -------------------------------------------------------------
    def _print_Identity(self, expr):
        return "I_{%s}" % self._print(expr.rows)

    def _print_ZeroMatrix(self, expr):
        return "0"

    def _print_OneMatrix(self, expr):
        rows, cols = expr.shape
        if cols == 1 and rows != 1:
            return r"\mathbf{1}_{%s}" % self._print(rows)
        if rows == 1 and cols != 1:
            return r"\mathbf{1}_{%s}^{T}" % self._print(cols)
        return r"\mathbf{1}_{%s \times %s}" % (self._print(rows), self._print(cols))

    def _print_DiagMatrix(self, expr):
        return r"\operatorname{diag}\left(%s\right)" % self._print(expr.args[0])

    def _print_DiagonalOf(self, expr):
        return r"\operatorname{diag}\left(%s\right)" % self._print(expr.arg)

    def _print_CommutationMatrix(self, expr):
        if len(expr.args) < 2:  # not the K(m, n) we know: let it print itself
            return super()._print(expr)
        return "K_{%s,%s}" % (self._print(expr.args[0]), self._print(expr.args[1]))

    # -- differentials ----------------------------------------------------------------
    def _print_DifferentialSymbol(self, expr):
        return r"\mathrm{d}%s" % self._print(MatrixSymbol(expr.variable_name, *expr.shape))

    def _print_Differential(self, expr):
        if isinstance(expr.arg, MatrixSymbol) and not isinstance(expr.arg, DifferentialSymbol):
            return r"\mathrm{d}%s" % self._print(expr.arg)
        return r"\mathrm{d}\left(%s\right)" % self._print(expr.arg)

    def _print_ScalarDifferential(self, expr):
        if expr.arg.is_Symbol:
            return r"\mathrm{d}%s" % self._print(expr.arg)
        return r"\mathrm{d}\left(%s\right)" % self._print(expr.arg)

    # -- elementwise functions --------------------------------------------------------
    @staticmethod
    def _elementwise_body(expr):
        """The applied function's body in a fresh placeholder scalar, or None."""
        f = expr.function
        if isinstance(f, FunctionClass):
            placeholder = Dummy("elementwise")
            return placeholder, f(placeholder)
        if isinstance(f, Lambda) and len(f.variables) == 1:
            placeholder = Dummy("elementwise")
            return placeholder, f.expr.xreplace({f.variables[0]: placeholder})
        return None

    def _elementwise_function(self, expr):
        """``f`` when ``expr`` is f applied elementwise (body ``f(x)``), else None."""
        found = self._elementwise_body(expr)
        if found is None:
            return None
        placeholder, body = found
        if (isinstance(body.func, FunctionClass) and body.args == (placeholder,)):
            return body.func
        return None

    def _print_ElementwiseApplyFunction(self, expr):
        found = self._elementwise_body(expr)
        if found is None:
            return super()._print_ElementwiseApplyFunction(expr)
        placeholder, body = found
        self._elementwise.append((placeholder, expr.expr))
        try:
            tex = self._print(body)
        finally:
            self._elementwise.pop()
        return tex

    def _print_Dummy(self, expr):
        if self._elementwise and expr == self._elementwise[-1][0]:
            bare, self._bare_placeholder = self._bare_placeholder, False
            return self._print_elementwise_argument(bare)
        return self._print_Symbol(expr)

    def _print_elementwise_argument(self, bare=False):
        M = self._elementwise[-1][1]
        saved, self._elementwise = self._elementwise, []  # M itself is not elementwise
        try:
            tex = self._print(M)
        finally:
            self._elementwise = saved
        if bare or self._is_atomic_matrix(M) and "^" not in tex:
            return tex
        return self._add_parens(tex)

    def _print_Pow(self, expr):
        if self._elementwise and expr.base.has(self._elementwise[-1][0]):
            base = expr.base
            tex = self._print(base)
            if base.is_Add or base.is_Mul or base.is_Pow:
                tex = self._add_parens(tex)
            return r"%s^{\circ %s}" % (tex, self._print_exponent(expr.exp))
        return super()._print_Pow(expr)

    def _print_elementwise_Mul(self, expr):
        """An elementwise product: matrix factors joined by ``\\circ``."""
        placeholder = self._elementwise[-1][0]
        coeff, factors = expr.as_independent(placeholder, as_Add=False)
        tex = ""
        if coeff.could_extract_minus_sign():
            tex, coeff = "- ", -coeff
        if coeff != 1:
            tex += self.parenthesize(coeff, PRECEDENCE["Mul"], strict=True) + " "
        parts = []
        for factor in sorted(Mul.make_args(factors), key=lambda f: f.is_Add):  # σ ∘ (1 - σ)
            part = self._print(factor)
            if factor.is_Add or factor.is_Mul:
                part = self._add_parens(part)
            parts.append(part)
        return tex + r" \circ ".join(parts)


def latex(expr, **settings):
    """``expr`` as LaTeX in matcalc's style (settings as for ``sympy.latex``)."""
    return MatcalcLatexPrinter(settings).doprint(expr)


_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                 "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                 "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
                 "|": r"\textbar{}"}
_TEXT_SPECIAL = re.compile("|".join(re.escape(c) for c in _TEXT_ESCAPES))
_INLINE_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")


def escape_text(note):
    r"""``note`` for LaTeX text mode: ``_ & % # { } ~ ^ \`` escaped, ``$...$`` math kept.

    ``\$`` in the note is a literal dollar sign.
    """
    pieces, last = [], 0
    for match in _INLINE_MATH.finditer(note):
        pieces.append(_escape_plain(note[last:match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(_escape_plain(note[last:]))
    return "".join(pieces)


def _escape_plain(text):
    text = text.replace(r"\$", "$")
    return _TEXT_SPECIAL.sub(lambda m: _TEXT_ESCAPES[m.group(0)], text)


def align_steps(rows, **settings):
    r"""Rows ``(lhs or None, rhs, note)`` as an ``align*`` environment.

    Each row is ``lhs &= rhs && \text{note}``; ``lhs`` and ``rhs`` are SymPy expressions
    (printed with ``latex``) or LaTeX strings used as they are; ``lhs`` None leaves
    the left side empty (a continuation line); an empty note drops the ``&&`` column.
    """
    printer = MatcalcLatexPrinter(settings)

    def tex(item):
        return item if isinstance(item, str) else printer.doprint(item)

    lines = []
    for lhs, rhs, note in rows:
        line = ("" if lhs is None else tex(lhs) + " ") + "&= " + tex(rhs)
        if note:
            line += r" && \text{%s}" % escape_text(note)
        lines.append(line)
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


# --------------------------------------------------------------------------
# derivations
# --------------------------------------------------------------------------

#: The engine's rule names (``matcalc.differential.RULE_NAMES`` and the steps of
#: ``derive``) as notes for a derivation: each construct's differential rules carry their
#: note (``DIFFERENTIAL.register(..., note=...)``); the identification steps' are here.
#: Text with inline ``$...$`` math (``escape_text``).
RULE_NOTES = {**DIFFERENTIAL.notes,
    "trace cyclic: df = tr(G^T dX)": "trace cyclic",
    "identify gradient: G": "identify gradient",
    "numerator layout: transpose": r"numerator layout: $G^{T}$",
    "structure=symmetric": r"symmetric: $\frac{1}{2}(G + G^{T})$",
    "structure=symmetric-elementwise": r"symmetric (Cookbook 2.8.2): $G + G^{T} - G \circ I$",
}

# Plain-text formula pieces of a rule name -> LaTeX (for rule names not in RULE_NOTES).
_FORMULA_WORDS = [(re.compile(p), r) for p, r in (
    (r"\|\|", r"\\|"), (r"\bsum_", r"\\sum_"), (r"\b(tr|diagvec|diag|sign)\b", r"\\operatorname{\1}"),
    (r"\b(det|log|exp)\b", r"\\\1"), (r"(?<![A-Za-z\\])d(?=\s?[A-Za-z(|\\])", r"\\mathrm{d}"),
    ("∘", r"\\circ "), ("⊗", r"\\otimes "), ("φ", r"\\varphi "))]


def rule_note(rule):
    r"""The note shown next to a derivation step for the engine's ``rule`` name.

    Known rules read as in ``RULE_NOTES``; any other ``"name: formula"`` is shown as
    the name and the formula translated to math (``∘`` -> ``\circ``, ``dU`` ->
    ``\mathrm{d}U``, ``tr`` -> ``\operatorname{tr}``), so a new engine rule still compiles.
    """
    if rule in RULE_NOTES:
        return RULE_NOTES[rule]
    name, sep, formula = rule.partition(": ")
    if not sep:
        name, formula = ("", rule) if "=" in rule else (rule, "")
    if formula:
        for pattern, replacement in _FORMULA_WORDS:
            formula = pattern.sub(replacement, formula)
        formula = re.sub(r"(?<!\\)([&%#])", r"\\\1", formula.replace("$", ""))  # math-safe
        formula = "$%s$" % re.sub(r"\s+", " ", _ascii(formula)).strip()
    name = _ascii(name)
    return ": ".join(part for part in (name, formula) if part)


def _ascii(text):
    """Characters pdflatex cannot set (unicode it has no glyph for) as ``?``."""
    return "".join(c if ord(c) < 128 else "?" for c in text)


def tidy_step(expr):
    """A derivation step as a reader writes it: ``1 U`` -> ``U``, ``I U`` -> ``U``,
    nested products and sums flattened, a sum of one term -> the term.

    Only regroups; nothing is evaluated (the unexpanded ``d(U)`` stay as they are).
    """
    if not isinstance(expr, Basic) or not expr.args:
        return expr
    args = tuple(tidy_step(a) for a in expr.args)
    if isinstance(expr, MatMul):
        scalars, matrices = [], []
        for a in args:
            parts = a.args if isinstance(a, MatMul) else (a,)
            for p in parts:
                (matrices if isinstance(p, MatrixExpr) else scalars).append(p)
        if len(matrices) > 1:
            matrices = [M for M in matrices if not isinstance(M, Identity)] or matrices[:1]
        coeff = Mul(*scalars)
        parts = matrices if coeff == 1 else [coeff] + matrices
        return parts[0] if len(parts) == 1 else MatMul(*parts)
    if isinstance(expr, MatAdd):
        terms = [t for a in args for t in (a.args if isinstance(a, MatAdd) else (a,))]
        return terms[0] if len(terms) == 1 else MatAdd(*terms)
    if args == expr.args:
        return expr
    return expr.func(*args)


_DIFFERENTIAL = r"\mathrm{d}"
_BINARY_BEFORE = re.compile(r"(\\circ|\\otimes|\\cdot|\\times|[=+\-(&{,])\s*$")
# dX, d\theta, dW_{1} followed by a space and a factor (not an operator or a bracket)
_DIFFERENTIAL_FACTOR = re.compile(
    r"(\\mathrm\{d\}(?:\\[A-Za-z]+|[A-Za-z])(?:_\{[^{}]*\}|_[A-Za-z0-9])?) "
    r"(?=[A-Za-z]|\\(?!circ|otimes|cdot|times|right|end)[A-Za-z])")


def space_differentials(tex):
    r"""A thin space around a differential between factors: ``X \,\mathrm{d}W``,
    ``\mathrm{d}X\, X^{2}`` (TeX ignores the printer's plain spaces, so ``X dW``
    would set as ``XdW``)."""
    pieces = tex.split(" " + _DIFFERENTIAL)
    out = pieces[0]
    for piece in pieces[1:]:
        out += (" " if _BINARY_BEFORE.search(out) else r" \,") + _DIFFERENTIAL + piece
    return _DIFFERENTIAL_FACTOR.sub(r"\1\, ", out)


def derivation_latex(derivation, **settings):
    r"""A ``matcalc.derive`` derivation as an ``align*`` block that compiles with pdflatex::

        \mathrm{d}f &= \mathrm{d}\left(f\right) \\
        &= <after a rule> && \text{<the rule>} \\
        ...
        \nabla_{X} f &= <gradient> && \text{identify gradient}

    Each rule is named by ``rule_note``; a step that leaves the differential as it
    was is not repeated.  With ``structure=`` or ``layout="numerator"`` the
    identified (unconstrained) gradient is ``G`` and the last line gives the result.
    """
    printer = MatcalcLatexPrinter(settings)

    def tex(expr):
        return space_differentials(printer.doprint(expr))

    variable = tex(derivation.wrt)
    steps = list(derivation.steps)
    finals = [s for s in steps if s.lhs != "df"]
    rows, previous = [], None
    for step in steps:
        if step.lhs != "df":
            continue
        rhs = tex(tidy_step(step.expr))
        if rhs == previous:
            continue
        if previous is None:
            rows.append((r"\mathrm{d}f", rhs, ""))
        else:
            rows.append((None, rhs, rule_note(step.rule)))
        previous = rhs
    for k, step in enumerate(finals):
        last = k == len(finals) - 1
        if not last:
            lhs = "G"
        elif step.rule.startswith("numerator layout"):
            lhs = r"\frac{\partial f}{\partial %s}" % variable
        else:
            lhs = r"\nabla_{%s} f" % variable
        rows.append((lhs, tex(tidy_step(step.expr)), rule_note(step.rule)))
    if not finals:  # a derivation without an identification step: its result
        rows.append((r"\nabla_{%s} f" % variable, tex(derivation.result), ""))
    return align_steps(rows)


def _elementwise_precedence(expr):
    """An elementwise sum binds like a sum, so products and negations parenthesize it."""
    body = getattr(expr.function, "expr", None)
    if body is not None and (body.is_Add or body.could_extract_minus_sign()):
        return PRECEDENCE["Add"]
    return PRECEDENCE["Atom"]


PRECEDENCE_FUNCTIONS.setdefault("ElementwiseApplyFunction", _elementwise_precedence)
