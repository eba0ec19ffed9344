"""The identity catalogue: published matrix-calculus identities kept as data (TOML).

One file per source section, read with the standard library's ``tomllib``::

    section = "cookbook-2.1"
    title = "Derivatives of a determinant"

    [[identity]]
    id = "cookbook-49"
    source = "Matrix Cookbook (2012) eq. 49"
    expression = "det(X)"                # matcalc's expression language (matcalc.parse)
    wrt = "X"
    kind = "gradient"                    # gradient | jacobian | hessian
    result = "det(X)*inv(X)'"            # the published result, same language
    shapes = { X = "n,n" }               # name -> "m,n" (a column: "n"; a scalar: "scalar")
    assumptions = { X = "invertible" }   # name -> symmetric | spd | invertible | orthogonal | ...

Optional keys: ``layout`` ("denominator" | "numerator", gradients only),
``structure`` ("symmetric" | "symmetric-elementwise", gradients w.r.t. a symmetric
matrix), ``status`` ("verified" (default) | "erratum" | "unsupported"), for an
erratum ``corrected`` (the right result) and ``note`` (why), for an unsupported
entry ``reason``; ``note``; ``scalars`` (names that are real scalars); ``where``
(name -> text: abbreviations substituted, parenthesised, into ``expression``,
``result`` and ``corrected`` before parsing; a definition may use earlier ones).

Every text is read by ``matcalc.parse`` -- nothing is ever evaluated as Python.
A malformed entry becomes a ``CatalogueError`` naming the file, the line and the
id, and never stops the other entries from loading.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CatalogueError, ParseError, ShapeError
from .constructs.structured import STRUCTURES

__all__ = ["Identity", "ParsedIdentity", "load_catalogue", "load_file", "catalogue_files",
           "catalogue_document", "display_forms", "expand_where",
           "KINDS", "STATUSES", "LAYOUTS", "GRADIENT_STRUCTURES", "EXPECTED_OUTCOME"]

KINDS = ("gradient", "jacobian", "hessian")
STATUSES = ("verified", "erratum", "unsupported")
LAYOUTS = ("denominator", "numerator")
GRADIENT_STRUCTURES = ("symmetric", "symmetric-elementwise")
#: declared status -> the verification outcome that confirms it
EXPECTED_OUTCOME = {"verified": "pass", "erratum": "erratum", "unsupported": "unsupported"}

_REQUIRED = ("id", "source", "expression", "wrt", "kind", "result")
_TEXT_KEYS = ("id", "source", "expression", "wrt", "kind", "result", "layout", "structure",
              "status", "corrected", "note", "reason")
_TABLE_KEYS = ("shapes", "assumptions", "where")
_KNOWN_KEYS = frozenset(_TEXT_KEYS + _TABLE_KEYS + ("scalars",))
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*identity[ \t]*\]\]", re.MULTILINE)
_ID_LINE = re.compile(r"""^[ \t]*id[ \t]*=[ \t]*["']([^"'\n]*)["']""", re.MULTILINE)
_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass
class ParsedIdentity:
    """The SymPy objects of an identity: function, variable, stated and corrected results."""
    expr: object
    variable: object
    result: object
    corrected: object = None
    symbols: dict = field(default_factory=dict)


@dataclass(eq=False)
class Identity:
    """One catalogue entry (see the module docstring for the meaning of each key)."""
    id: str
    source: str
    expression: str
    wrt: str
    kind: str
    result: str
    shapes: dict = field(default_factory=dict)
    assumptions: dict = field(default_factory=dict)
    layout: str = "denominator"
    structure: str | None = None
    status: str = "verified"
    corrected: str | None = None
    note: str = ""
    reason: str = ""
    scalars: tuple = ()
    where: dict = field(default_factory=dict)
    section: str = ""
    title: str = ""
    path: str = ""
    line: int | None = None
    parse_error: str = ""          # an unsupported entry may be beyond the language
    _parsed: ParsedIdentity | None = field(default=None, repr=False)

    @property
    def location(self):
        return f"{self.path}:{self.line}" if self.line else self.path

    @property
    def expected_outcome(self):
        return EXPECTED_OUTCOME[self.status]

    def texts(self):
        """expression, result and corrected with the ``where`` abbreviations substituted."""
        return tuple(None if t is None else expand_where(t, self.where)
                     for t in (self.expression, self.result, self.corrected))

    def parsed(self):
        """The SymPy objects of this identity (parsed once, then cached).

        Raises ``ParseError``/``ShapeError`` for text the parser refuses and
        ``CatalogueError`` for a variable that is not a matrix in the expression.
        """
        if self._parsed is None:
            self._parsed = _parse_identity(self)
        return self._parsed


def expand_where(text, where):
    """``text`` with every abbreviation of ``where`` replaced by its parenthesised definition."""
    if not where:
        return text
    expanded = {}
    for name, definition in where.items():
        expanded[name] = "(" + _substitute(definition, expanded) + ")"
    return _substitute(text, expanded)


def _substitute(text, definitions):
    if not definitions:
        return text
    pattern = re.compile(r"(?<![A-Za-z0-9_.])(" + "|".join(map(re.escape, definitions))
                         + r")(?![A-Za-z0-9_])")
    return pattern.sub(lambda m: definitions[m.group(1)], text)


def _parse_identity(identity):
    from .parse import parse
    expression, result, corrected = identity.texts()
    declarations = dict(shapes=identity.shapes, structures=identity.assumptions,
                        scalars=tuple(identity.scalars))
    if not _NAME_PATTERN.fullmatch(identity.wrt):
        raise CatalogueError(f"wrt = {identity.wrt!r} is not a variable name")
    f = parse(expression, **declarations)
    variable = f.symbols.get(identity.wrt)
    if variable is None:
        from .parse import symbol_table
        variable = symbol_table(**declarations).variable(identity.wrt)
    if not hasattr(variable, "shape"):
        raise CatalogueError(f"wrt = {identity.wrt!r} is a scalar; matcalc differentiates with "
                             f"respect to a matrix or vector (declare it with shape \"1,1\")")
    stated = parse(result, **declarations).expr
    fixed = parse(corrected, **declarations).expr if corrected is not None else None
    symbols = dict(f.symbols)
    symbols.setdefault(identity.wrt, variable)
    return ParsedIdentity(f.expr, variable, stated, fixed, symbols)


def _located_error(path, problem, line=None, identity=None):
    """A CatalogueError "path:line: identity 'id': problem", with those parts as attributes
    (``path``, ``line``, ``identity``) for reports."""
    where = f"{path}:{line}" if line else str(path)
    if identity is None:
        message = f"{where}: {problem}"
    else:
        name = f"identity {identity!r}" if identity else "identity (no id)"
        message = f"{where}: {name}: {problem}"
    error = CatalogueError(message)
    error.path, error.line, error.identity = str(path), line, identity
    return error


# --------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------

def catalogue_files(path):
    """The ``*.toml`` files at ``path`` (a file, or a directory searched recursively), sorted."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*.toml") if p.is_file())
    if path.is_file():
        return [path]
    raise _located_error(path, "no such file or directory")


def load_catalogue(path, strict=True):
    """Load every identity at ``path`` (a ``.toml`` file or a directory of them).

    ``strict=True``: return the list of ``Identity`` records, or raise one
    ``CatalogueError`` listing every malformed entry (its ``errors`` attribute
    holds them one by one). ``strict=False``: return ``(identities, errors)``;
    each malformed entry is left out and reported, the others load.
    """
    identities, errors = [], []
    seen = {}
    for file in catalogue_files(path):
        loaded, file_errors = load_file(file)
        errors.extend(file_errors)
        for identity in loaded:
            first = seen.get(identity.id)
            if first is not None:
                errors.append(_located_error(
                    identity.path, f"duplicate id (first defined at {first.location})",
                    identity.line, identity.id))
                continue
            seen[identity.id] = identity
            identities.append(identity)
    if strict:
        if errors:
            summary = f"{len(errors)} malformed catalogue entr{'y' if len(errors) == 1 else 'ies'}"
            error = CatalogueError(summary + ":\n" + "\n".join(str(e) for e in errors))
            error.errors = errors
            raise error
        return identities
    return identities, errors


def load_file(path):
    """``(identities, errors)`` of one catalogue file; never raises for bad content."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [_located_error(path, f"cannot read: {exc.strerror or exc}")]
    errors = []
    try:
        text = raw.decode("utf-8")
        bad_lines = []
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        bad_lines = _undecodable_lines(raw)
    headers = [text.count("\n", 0, m.start()) + 1 for m in _HEADER.finditer(text)]
    try:
        document = tomllib.loads(text)
        tables = document.get("identity", [])
        chunks = None
    except tomllib.TOMLDecodeError as exc:
        document, tables, chunks = _load_by_chunks(path, text, headers, exc, errors)

    section, title = _file_header(path, document, errors)
    if not isinstance(tables, list):
        errors.append(_located_error(path, f"'identity' must be an array of tables "
                                           f"([[identity]]), got {type(tables).__name__}"))
        tables = []
    lines = chunks if chunks is not None else _table_lines(headers, len(tables))
    for line in bad_lines:
        if not any(start <= line < end for start, end in _table_ranges(lines, text)):
            errors.append(_located_error(path, "the file is not valid UTF-8 (undecodable "
                                               "bytes outside any [[identity]] entry)", line))
    identities = []
    for table, line in zip(tables, lines):
        if table is None:  # a chunk that did not parse; already reported
            continue
        end = _next_header(lines, line, text)
        undecodable = [b for b in bad_lines if line is not None and line <= b < end]
        try:
            if undecodable:
                raise _EntryError(f"invalid UTF-8 bytes on line {undecodable[0]}")
            identity = _make_identity(table, path, line, section, title)
        except _EntryError as exc:
            ident = table.get("id") if isinstance(table, dict) else None
            errors.append(_located_error(path, str(exc), line,
                                         ident if isinstance(ident, str) else ""))
            continue
        identities.append(identity)
    return identities, errors


class _EntryError(Exception):
    """A problem with one entry (turned into a CatalogueError naming file, line and id)."""


def _undecodable_lines(raw):
    lines, position = [], 0
    while position < len(raw):
        try:
            raw[position:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            bad = position + exc.start
            lines.append(raw.count(b"\n", 0, bad) + 1)
            position = position + exc.end
    return sorted(set(lines))


def _table_lines(headers, count):
    lines = list(headers[:count])
    return lines + [None] * (count - len(lines))


def _table_ranges(lines, text):
    total = text.count("\n") + 2
    starts = [line for line in lines if line is not None]
    return list(zip(starts, starts[1:] + [total]))


def _next_header(lines, line, text):
    if line is None:
        return line
    later = [other for other in lines if other is not None and other > line]
    return min(later) if later else text.count("\n") + 2


def _load_by_chunks(path, text, headers, exc, errors):
    """Fallback after a TOML syntax error: parse the prelude and each [[identity]] alone,
    so one broken entry costs only itself."""
    lines = text.split("\n")
    bounds = [h - 1 for h in headers] + [len(lines)]
    prelude = "\n".join(lines[:bounds[0]]) if headers else text
    try:
        document = tomllib.loads(prelude)
    except tomllib.TOMLDecodeError as prelude_error:
        errors.append(_located_error(path, f"TOML syntax error: {prelude_error}"))
        document = {}
    tables, starts = [], []
    for k, start in enumerate(bounds[:-1]):
        chunk = "\n".join(lines[start:bounds[k + 1]])
        try:
            parsed = tomllib.loads(chunk)
            entries = parsed.get("identity", [])
            tables.append(entries[0] if entries else None)
        except tomllib.TOMLDecodeError as chunk_error:
            message = _TOML_LINE.sub(lambda m: f"(at line {int(m.group(1)) + start}, "
                                               f"column {m.group(2)})", str(chunk_error))
            found = _ID_LINE.search(chunk)
            errors.append(_located_error(path, f"TOML syntax error: {message}", start + 1,
                                         found.group(1) if found else ""))
            tables.append(None)
        starts.append(start + 1)
    if not headers:
        errors.append(_located_error(path, f"TOML syntax error: {exc}"))
    return document, tables, starts


def _file_header(path, document, errors):
    section = document.get("section")
    title = document.get("title")
    if not isinstance(section, str) or not section.strip():
        errors.append(_located_error(path, "missing or empty top-level 'section' string"))
        section = Path(path).stem
    if not isinstance(title, str):
        errors.append(_located_error(path, "missing top-level 'title' string"))
        title = ""
    unknown = sorted(set(document) - {"section", "title", "identity"})
    if unknown:
        errors.append(_located_error(path, f"unknown top-level key(s) {', '.join(unknown)} "
                                     f"(expected section, title and [[identity]] tables)"))
    return section, title


def _make_identity(table, path, line, section, title):
    if not isinstance(table, dict):
        raise _EntryError(f"an identity must be a table, got {type(table).__name__}")
    missing = [key for key in _REQUIRED if key not in table]
    if missing:
        raise _EntryError(f"missing required key{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(missing)}")
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise _EntryError(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    for key in _TEXT_KEYS:
        if key in table and not isinstance(table[key], str):
            raise _EntryError(f"{key!r} must be a string, got {_toml_type(table[key])}")
    for key in _TABLE_KEYS:
        if key in table and not isinstance(table[key], dict):
            raise _EntryError(f"{key!r} must be an inline table, got {_toml_type(table[key])}")
    if not _ID_PATTERN.fullmatch(table["id"]):
        raise _EntryError(f"id {table['id']!r} must be letters, digits and . _ + - only")
    for key in ("source", "expression", "wrt", "result"):
        if not table[key].strip():
            raise _EntryError(f"{key!r} is empty")
    kind = table["kind"]
    if kind not in KINDS:
        raise _EntryError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    status = table.get("status", "verified")
    if status not in STATUSES:
        raise _EntryError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")
    layout = table.get("layout", "denominator")
    if layout not in LAYOUTS:
        raise _EntryError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    structure = table.get("structure")
    if structure is not None and structure not in GRADIENT_STRUCTURES:
        raise _EntryError(f"unknown structure {structure!r}; choose one of "
                          f"{', '.join(GRADIENT_STRUCTURES)}")
    if kind != "gradient" and ("layout" in table or structure is not None):
        raise _EntryError(f"'layout' and 'structure' apply to gradients only, not to a {kind}")
    shapes = _name_table(table.get("shapes", {}), "shapes", (str, int))
    assumptions = _name_table(table.get("assumptions", {}), "assumptions", (str,))
    for name, value in assumptions.items():
        if value.strip().lower() not in STRUCTURES:
            raise _EntryError(f"unknown structure {value!r} for {name!r} in assumptions; choose "
                              f"one of {', '.join(sorted(STRUCTURES))}")
    where = _name_table(table.get("where", {}), "where", (str,))
    scalars = table.get("scalars", [])
    if not isinstance(scalars, list) or not all(isinstance(s, str) for s in scalars):
        raise _EntryError(f"'scalars' must be an array of names, got {_toml_type(scalars)}")
    if status == "erratum":
        for key in ("corrected", "note"):
            if not table.get(key, "").strip():
                raise _EntryError(f"an erratum needs {key!r} (the corrected result and why)")
    elif "corrected" in table:
        raise _EntryError(f"'corrected' belongs to errata only (status is {status!r})")
    if status == "unsupported" and not table.get("reason", "").strip():
        raise _EntryError("an unsupported entry needs a 'reason'")
    identity = Identity(
        id=table["id"], source=table["source"], expression=table["expression"],
        wrt=table["wrt"], kind=kind, result=table["result"], shapes=shapes,
        assumptions=assumptions, layout=layout, structure=structure, status=status,
        corrected=table.get("corrected"), note=table.get("note", ""),
        reason=table.get("reason", ""), scalars=tuple(scalars), where=where,
        section=section, title=title, path=str(path), line=line)
    try:
        identity.parsed()
    except (ParseError, ShapeError, CatalogueError) as exc:
        if status != "unsupported":
            raise _EntryError(_describe_parse_failure(identity, exc)) from None
        identity.parse_error = _describe_parse_failure(identity, exc)
    return identity


def _describe_parse_failure(identity, exc):
    message = str(exc).split("\n", 1)[0]
    texts = dict(zip(("expression", "result", "corrected"), identity.texts()))
    which = next((key for key, text in texts.items() if text and getattr(exc, "text", None) == text),
                 None)
    return f"cannot parse {which}: {message}" if which else f"cannot parse: {message}"


def _name_table(value, key, types):
    for name, entry in value.items():
        if not _NAME_PATTERN.fullmatch(name):
            raise _EntryError(f"{key}: {name!r} is not a name")
        if not isinstance(entry, types) or isinstance(entry, bool):
            raise _EntryError(f"{key}.{name} must be a string, got {_toml_type(entry)}")
    return {name: str(entry) for name, entry in value.items()}


def _toml_type(value):
    return {str: "a string", int: "an integer", float: "a float", bool: "a boolean",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


# --------------------------------------------------------------------------
# the catalogue as a LaTeX document
# --------------------------------------------------------------------------

_STATUS_WORDS = {"pass": "verified", "erratum": "erratum confirmed", "unsupported": "unsupported",
                 "fail": "FAILED", "error": "malformed"}


def display_forms(identity):
    """(expression, result, corrected, definitions) for display: the ``where``
    abbreviations stay symbols (their definitions listed), so long entries stay short."""
    from .parse import parse
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
    from .printing.latex import latex
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
    from .printing.latex import latex
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
    from .printing.derivation import escape_text
    return r"\texttt{%s}" % escape_text(text.replace("$", r"\$"))


def _identity_tex(identity, result):
    from sympy import Symbol
    from .printing.derivation import escape_text
    from .printing.latex import latex
    lines = [r"\paragraph{%s} %s." % (escape_text(identity.id), escape_text(identity.source))]
    facts = []
    for name, spec in identity.shapes.items():
        facts.append(f"${latex(Symbol(name))} \\in \\mathbb{{R}}^{{{_shape_tex(spec)}}}$")
    for name, structure in identity.assumptions.items():
        facts.append(f"${latex(Symbol(name))}$ {escape_text(structure)}")
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
            lines.append("where " + ", ".join(f"${latex(Symbol(name))} = {latex(value)}$"
                                              for name, value in definitions) + ".")
            lines.append("")
    if identity.reason:
        lines.append(r"\emph{Why unsupported:} " + escape_text(identity.reason))
        lines.append("")
    if identity.note:
        lines.append(r"\emph{Note:} " + escape_text(identity.note))
        lines.append("")
    if result is not None and result.outcome in ("fail", "error") and result.message:
        lines.append(r"\emph{Verification:} " + escape_text(result.message))
        lines.append("")
    return "\n".join(lines)


def _shape_tex(spec):
    from sympy import Symbol
    from .printing.latex import latex
    parts = [p.strip() for p in str(spec).split(",")]
    parts = [p if p.isdigit() else latex(Symbol(p)) for p in parts if p]
    if len(parts) == 1:
        return "1" if parts[0] in ("1", "scalar") else parts[0]
    return r" \times ".join(parts)


def _status_tex(identity, result):
    if result is None:
        return identity.status
    word = _STATUS_WORDS.get(result.outcome, result.outcome)
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
    from .printing.derivation import PREAMBLE, escape_text
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
        parts.append(r"\section{%s}" % escape_text(title or section))
        parts.append(r"\texttt{%s}" % escape_text(section))
        parts.append("")
        for identity in members:
            parts.append(_identity_tex(identity, results.get(identity.id)))
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"
