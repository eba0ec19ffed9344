"""The catalogue as a LaTeX document (pdflatex): grouped by section, each identity with its
source, assumptions, the derivative as an equation and its verification status.

Text from a catalogue file (ids, sources, titles, sections, notes, reasons, structure
names, messages) reaches the document only through ``document_text``, which escapes every
TeX special character -- ``$...$`` included: a note's ``$\\input{/etc/hostname}$`` would
otherwise read the file when the document is compiled. Formulas in the document are
matcalc's own LaTeX of parsed expressions.
"""
from __future__ import annotations

import re

from ..errors import CatalogueError, ParseError, ShapeError
from ..printing.derivation import PREAMBLE, escape_text
from ..printing.latex import latex
from .entry import NAME_PATTERN

__all__ = ["catalogue_document", "display_forms", "document_text"]

# control characters (newlines included): a blank line inside \section{...} breaks the
# document, and TeX refuses most of the others
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def document_text(text):
    r"""``text`` for LaTeX text mode, every special character escaped (``\ { } $ & % # _ ^
    ~ < > |``), so that no text of a catalogue is ever read as TeX; control characters
    (newlines included) become spaces."""
    # escape_text keeps $...$ as math unless the dollar is written \$
    return escape_text(_CONTROL.sub(" ", str(text)).replace("$", r"\$"))

_STATUS_WORDS = {"pass": "verified", "erratum": "erratum confirmed", "unsupported": "unsupported",
                 "fail": "FAILED", "error": "malformed"}


def display_forms(identity):
    """(expression, result, corrected, definitions) for display: the ``where``
    abbreviations stay symbols (their definitions listed), so long entries stay short."""
    from ..parse import parse
    if not identity.where:
        parsed = identity.parsed()
        return parsed.expr, parsed.result, parsed.corrected, []
    shapes = dict(identity.shapes)
    declarations = dict(structures=identity.assumptions, scalars=tuple(identity.scalars))
    definitions = []
    for name, text in identity.where.items():
        value = parse(text, shapes=shapes, **declarations).expr
        definitions.append((name, value))
        shape = getattr(value, "shape", None)
        shapes[name] = ",".join(str(d) for d in shape) if shape else "scalar"
    def read(text):
        return None if text is None else parse(text, shapes=shapes, **declarations).expr
    return (read(identity.expression), read(identity.result), read(identity.corrected),
            definitions)


def _derivative_tex(identity, variable_tex, body_tex):
    if identity.kind == "jacobian":
        op = (r"\frac{\partial \operatorname{vec}}{\partial \operatorname{vec}\left(%s\right)^{T}}"
              % variable_tex)
    elif identity.kind == "hessian":
        op = (r"\frac{\partial^{2}}{\partial \operatorname{vec}\left(%s\right) \, \partial "
              r"\operatorname{vec}\left(%s\right)^{T}}" % (variable_tex, variable_tex))
    elif identity.layout == "numerator":
        op = r"\frac{\partial}{\partial %s^{T}}" % variable_tex
    else:
        op = r"\frac{\partial}{\partial %s}" % variable_tex
    return r"%s \left[ %s \right]" % (op, body_tex)


def _equation(lhs, rhs_expr, label=""):
    rhs = latex(rhs_expr)
    tag = r" \qquad \text{(%s)}" % label if label else ""
    if len(lhs) + len(rhs) < _ONE_LINE:
        return "\\begin{equation*}\n  " + lhs + " = " + rhs + tag + "\n\\end{equation*}\n"
    rows = _broken_sum(rhs_expr) if len(rhs) > _ONE_LINE // 2 else [rhs]
    body = " \\\\\n  & \\qquad\\quad ".join(rows)
    return ("\\begin{align*}\n  & " + lhs + " \\\\\n  & \\qquad = " + body + tag
            + "\n\\end{align*}\n")


def _broken_sum(expr):
    """The terms of a long sum, as LaTeX rows of bounded length."""
    from sympy import Add, MatAdd
    if not isinstance(expr, (Add, MatAdd)):
        return [latex(expr)]
    rows, current = [], ""
    for k, term in enumerate(expr.args):
        text = latex(term)
        if k:
            text = text if text.startswith("-") else "+ " + text
        if current and len(current) + len(text) > _ONE_LINE // 2:
            rows.append(current)
            current = text
        else:
            current = (current + " " + text).strip()
    rows.append(current)
    return rows


# LaTeX source length below which "lhs = rhs" fits on one line
_ONE_LINE = 200


def _texttt(text):
    return r"\texttt{%s}" % document_text(text)


def _symbol_tex(name):
    """A declared name as math (names are identifiers; anything else is shown as text)."""
    from sympy import Symbol
    return latex(Symbol(name)) if NAME_PATTERN.fullmatch(name) else r"\text{%s}" % _texttt(name)


def _identity_tex(identity, result):
    lines = [r"\paragraph{%s} %s." % (document_text(identity.id), document_text(identity.source))]
    facts = []
    for name, spec in identity.shapes.items():
        facts.append(f"${_symbol_tex(name)} \\in \\mathbb{{R}}^{{{_shape_tex(spec)}}}$")
    for name, structure in identity.assumptions.items():
        facts.append(f"${_symbol_tex(name)}$ {document_text(structure)}")
    if identity.structure == "symmetric":
        facts.append(r"gradient on symmetric matrices, $\operatorname{sym}(G)$")
    elif identity.structure == "symmetric-elementwise":
        facts.append(r"derivative w.r.t. the independent entries, $G + G^{T} - G \circ I$")
    if identity.layout == "numerator":
        facts.append("numerator layout")
    if facts:
        lines.append("Assumptions: " + "; ".join(facts) + ".")
    status = _status_tex(identity, result)
    lines.append(r"Status: \textbf{%s}." % status)
    lines.append("")
    try:
        f, stated, corrected, definitions = display_forms(identity) \
            if not identity.parse_error else (None, None, None, [])
    except (ParseError, ShapeError, CatalogueError):
        f = None
    if f is None:
        lines.append(r"Expression: %s with respect to %s. Published result: %s." % (
            _texttt(identity.expression), _texttt(identity.wrt), _texttt(identity.result)))
        lines.append("")
    else:
        variable = identity.parsed().variable
        lhs = _derivative_tex(identity, latex(variable), latex(f))
        if identity.status == "erratum":
            lines.append(_equation(lhs, stated, "as printed"))
            lines.append(_equation(lhs, corrected, "corrected"))
        else:
            lines.append(_equation(lhs, stated))
        if definitions:
            lines.append("where " + ", ".join(f"${_symbol_tex(name)} = {latex(value)}$"
                                              for name, value in definitions) + ".")
            lines.append("")
    if identity.reason:
        lines.append(r"\emph{Why unsupported:} " + document_text(identity.reason))
        lines.append("")
    if identity.note:
        lines.append(r"\emph{Note:} " + document_text(identity.note))
        lines.append("")
    if result is not None and result.outcome in ("fail", "error") and result.message:
        lines.append(r"\emph{Verification:} " + document_text(result.message))
        lines.append("")
    return "\n".join(lines)


def _shape_tex(spec):
    parts = [p.strip() for p in str(spec).split(",")]
    parts = [p if p.isdigit() else _symbol_tex(p) for p in parts if p]
    if len(parts) == 1:
        return "1" if parts[0] in ("1", "scalar") else parts[0]
    return r" \times ".join(parts)


def _status_tex(identity, result):
    if result is None:
        return document_text(identity.status)
    word = document_text(_STATUS_WORDS.get(result.outcome, result.outcome))
    details = []
    if result.symbolic_equal:
        details.append("symbolically equal")
    errors = [("matcalc", result.derived_error), ("printed", result.stated_error),
              ("corrected", result.corrected_error)]
    for label, value in errors:
        if value is not None and value == value and value != float("inf"):
            details.append(f"{label} rel.\\ error {value:.1e}")
        elif value is not None:
            details.append(f"{label} not finite")
    return word + (" (" + ", ".join(details) + ")" if details else "")


def catalogue_document(identities, results=None):
    """The catalogue as a LaTeX document (pdflatex), grouped by section; ``results``
    maps identity ids to ``Verification`` records (else the declared status is shown)."""
    results = results or {}
    sections = {}
    for identity in identities:
        sections.setdefault((identity.section, identity.title), []).append(identity)
    counts = {}
    for r in results.values():
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    parts = [r"\documentclass[10pt]{article}",
             r"\usepackage[margin=2cm]{geometry}",
             PREAMBLE.rstrip(),
             r"\setlength{\parindent}{0pt}",
             r"\setlength{\parskip}{0.4em}",
             r"\allowdisplaybreaks",
             r"\title{The matcalc identity catalogue}",
             r"\author{generated by \texttt{matcalc latex}}",
             r"\begin{document}",
             r"\maketitle",
             ""]
    intro = (f"{len(identities)} identit{'y' if len(identities) == 1 else 'ies'} in "
             f"{len(sections)} section{'' if len(sections) == 1 else 's'}. Gradients have the "
             "shape of the variable unless the numerator layout (the transpose) is stated; "
             "Jacobians are $\\partial \\operatorname{vec} F / \\partial "
             "\\operatorname{vec}(X)^{T}$ with column-major vec.")
    if results:
        intro += " Verification: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "."
    parts.append(intro)
    parts.append("")
    for (section, title), members in sections.items():
        parts.append(r"\section{%s}" % document_text(title or section))
        parts.append(_texttt(section))
        parts.append("")
        for identity in members:
            parts.append(_identity_tex(identity, results.get(identity.id)))
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"
