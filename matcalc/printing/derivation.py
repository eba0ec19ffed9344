r"""Derivations as LaTeX: ``align*`` blocks of steps, each rule named by a note.

``derivation_latex(derive(f, X))`` gives::

    \mathrm{d}f &= \mathrm{d}\left(f\right) \\
    &= <after a rule> && \text{<the rule>} \\
    \nabla_{X} f &= <gradient> && \text{identify gradient}

``RULE_NOTES`` names the engine's rules (each differential rule carries its note,
``DIFFERENTIAL.notes``); ``rule_note`` translates any other rule name; ``tidy_step``
and ``space_differentials`` make a step read as a person writes it; ``escape_text``
makes a note safe in LaTeX text mode; ``PREAMBLE`` is the preamble a document of
matcalc's output compiles with.
"""
import re

from sympy import Basic, Identity, MatAdd, MatMul, Mul
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..registry import DIFFERENTIAL, rebuilt
from .latex import MatcalcLatexPrinter

__all__ = ["derivation_latex", "align_steps", "rule_note", "RULE_NOTES", "tidy_step",
           "space_differentials", "escape_text", "PREAMBLE"]

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
    return rebuilt(expr, args)


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
