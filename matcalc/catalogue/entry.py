"""One catalogue entry: its keys and values, its ``where`` abbreviations, its SymPy objects.

``make_identity`` turns one ``[[identity]]`` TOML table into an ``Identity`` or raises
``EntryError`` saying what is wrong with it (``matcalc.catalogue.load`` adds the file,
the line and the id). Every text is read by ``matcalc.parse`` -- never evaluated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..constructs.structured import STRUCTURES
from ..errors import CatalogueError, ParseError, ShapeError

__all__ = ["Identity", "ParsedIdentity", "ParseCache", "EntryError", "make_identity",
           "expand_where", "KINDS", "STATUSES", "LAYOUTS", "GRADIENT_STRUCTURES",
           "EXPECTED_OUTCOME", "NAME_PATTERN"]

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
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# a name as ``where`` substitutes it: a whole identifier, not after a letter, digit, _ or .
_WORD = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*")


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
    """One catalogue entry (see ``matcalc.catalogue`` for the meaning of each key)."""
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
            self._parsed = _parse_identity(self, ParseCache())
        return self._parsed


# --------------------------------------------------------------------------
# where: abbreviations
# --------------------------------------------------------------------------

def expand_where(text, where, limit=None):
    """``text`` with every abbreviation of ``where`` replaced by its parenthesised definition
    (a definition may use the earlier ones).

    The sizes are computed before anything is built: an expansion longer than ``limit``
    characters (default: the parser's ``MAX_LENGTH``) raises ``CatalogueError`` -- chained
    definitions ``A1 = "A0+A0"``, ``A2 = "A1+A1"``, ... double at each step.
    """
    if not where:
        return text
    if limit is None:
        from ..parse import MAX_LENGTH as limit
    lengths = {}
    for name, definition in where.items():
        lengths[name] = _expanded_length(definition, lengths) + 2
        if lengths[name] > limit:
            raise CatalogueError(f"'where' abbreviation {name!r} expands to {lengths[name]:,} "
                                 f"characters, over the limit of {limit:,}")
    length = _expanded_length(text, lengths)
    if length > limit:
        raise CatalogueError(f"the 'where' abbreviations expand {_clip(text)!r} to {length:,} "
                             f"characters, over the limit of {limit:,}")
    expanded = {}
    for name, definition in where.items():
        expanded[name] = "(" + _substitute(definition, expanded) + ")"
    return _substitute(text, expanded)


def _expanded_length(text, lengths):
    """len(text) once the names in ``lengths`` (name -> length of its expansion) are expanded."""
    return len(text) + sum(lengths[m.group()] - len(m.group())
                           for m in _WORD.finditer(text) if m.group() in lengths)


def _substitute(text, definitions):
    if not definitions:
        return text
    return _WORD.sub(lambda m: definitions.get(m.group(), m.group()), text)


def _clip(text, width=40):
    return text if len(text) <= width else text[:width - 3] + "..."


# --------------------------------------------------------------------------
# parsing
# --------------------------------------------------------------------------

class ParseCache:
    """``parse`` results (or the error) by text and declarations, so that entries repeating
    an expression or a result (``eye(n)``, ``A'``) parse it once; the SymPy objects are
    immutable and the ``symbols`` dictionaries are only read, so sharing them is safe."""

    def __init__(self):
        self._results, self._variables = {}, {}

    def parse(self, text, shapes, structures, scalars):
        key = (text, tuple(shapes.items()), tuple(structures.items()), tuple(scalars))
        found = self._results.get(key)
        if found is None:
            from ..parse import parse
            try:
                found = parse(text, shapes=shapes, structures=structures, scalars=scalars)
            except (ParseError, ShapeError) as exc:
                found = exc
            self._results[key] = found
        if isinstance(found, Exception):
            raise found.with_traceback(None)
        return found

    def variable(self, name, shapes, structures, scalars):
        """The symbol ``name`` stands for under these declarations (not in the expression)."""
        key = (name, tuple(shapes.items()), tuple(structures.items()), tuple(scalars))
        if key not in self._variables:
            from ..parse import symbol_table
            self._variables[key] = symbol_table(shapes, structures, scalars).variable(name)
        return self._variables[key]


def _parse_identity(identity, cache, texts=None):
    expression, result, corrected = texts or identity.texts()
    declarations = (identity.shapes, identity.assumptions, tuple(identity.scalars))
    if not NAME_PATTERN.fullmatch(identity.wrt):
        raise CatalogueError(f"wrt = {identity.wrt!r} is not a variable name")
    f = cache.parse(expression, *declarations)
    variable = f.symbols.get(identity.wrt)
    if variable is None:
        variable = cache.variable(identity.wrt, *declarations)
    if not hasattr(variable, "shape") and identity.kind != "gradient":
        raise CatalogueError(f"wrt = {identity.wrt!r} is a scalar; a {identity.kind} is taken "
                             f"with respect to a matrix or vector (declare it with a shape)")
    stated = cache.parse(result, *declarations).expr
    fixed = cache.parse(corrected, *declarations).expr if corrected is not None else None
    symbols = dict(f.symbols)
    symbols.setdefault(identity.wrt, variable)
    return ParsedIdentity(f.expr, variable, stated, fixed, symbols)


def _describe_parse_failure(identity, exc):
    message = str(exc).split("\n", 1)[0]
    texts = dict(zip(("expression", "result", "corrected"), identity.texts()))
    which = next((key for key, text in texts.items() if text and getattr(exc, "text", None) == text),
                 None)
    return f"cannot parse {which}: {message}" if which else f"cannot parse: {message}"


def _declarations_invalid(identity):
    """Whether shapes, assumptions or scalars are refused (the parser checks them first)."""
    from ..parse import symbol_table
    try:
        symbol_table(identity.shapes, identity.assumptions, tuple(identity.scalars))
    except (ParseError, ShapeError):
        return True
    return False


# --------------------------------------------------------------------------
# a TOML table -> an Identity
# --------------------------------------------------------------------------

class EntryError(Exception):
    """A problem with one entry (``load`` turns it into a CatalogueError naming file, line
    and id)."""


def make_identity(table, path, line, section, title, cache=None):
    """The ``Identity`` of one ``[[identity]]`` table, parsed (through ``cache``, a
    ``ParseCache``); raises ``EntryError`` saying what is wrong."""
    _check_keys(table)
    kind, status = table["kind"], table.get("status", "verified")
    layout, structure = _check_values(table, kind, status)
    shapes = _name_table(table.get("shapes", {}), "shapes", (str, int))
    assumptions = _name_table(table.get("assumptions", {}), "assumptions", (str,))
    for name, value in assumptions.items():
        if value.strip().lower() not in STRUCTURES:
            raise EntryError(f"unknown structure {value!r} for {name!r} in assumptions; choose "
                             f"one of {', '.join(sorted(STRUCTURES))}")
    where = _name_table(table.get("where", {}), "where", (str,))
    scalars = table.get("scalars", [])
    if not isinstance(scalars, list) or not all(isinstance(s, str) for s in scalars):
        raise EntryError(f"'scalars' must be an array of names, got {_toml_type(scalars)}")
    _check_status_keys(table, status)
    identity = Identity(
        id=table["id"], source=table["source"], expression=table["expression"],
        wrt=table["wrt"], kind=kind, result=table["result"], shapes=shapes,
        assumptions=assumptions, layout=layout, structure=structure, status=status,
        corrected=table.get("corrected"), note=table.get("note", ""),
        reason=table.get("reason", ""), scalars=tuple(scalars), where=where,
        section=section, title=title, path=str(path), line=line)
    try:
        texts = identity.texts()  # a 'where' expansion over the limit is refused unbuilt
    except CatalogueError as exc:
        raise EntryError(str(exc)) from None
    try:
        identity._parsed = _parse_identity(identity, cache or ParseCache(), texts)
    except (ParseError, ShapeError, CatalogueError) as exc:
        failure = _describe_parse_failure(identity, exc)
        # an unsupported entry may be beyond the language, but not its declarations
        if status != "unsupported" or _declarations_invalid(identity):
            raise EntryError(failure) from None
        identity.parse_error = failure
    return identity


def _check_keys(table):
    if not isinstance(table, dict):
        raise EntryError(f"an identity must be a table, got {type(table).__name__}")
    missing = [key for key in _REQUIRED if key not in table]
    if missing:
        raise EntryError(f"missing required key{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)}")
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise EntryError(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    for key in _TEXT_KEYS:
        if key in table and not isinstance(table[key], str):
            raise EntryError(f"{key!r} must be a string, got {_toml_type(table[key])}")
    for key in _TABLE_KEYS:
        if key in table and not isinstance(table[key], dict):
            raise EntryError(f"{key!r} must be an inline table, got {_toml_type(table[key])}")
    if not _ID_PATTERN.fullmatch(table["id"]):
        raise EntryError(f"id {table['id']!r} must be letters, digits and . _ + - only")
    for key in ("source", "expression", "wrt", "result"):
        if not table[key].strip():
            raise EntryError(f"{key!r} is empty")


def _check_values(table, kind, status):
    """(layout, structure) after checking kind, status, layout and structure."""
    if kind not in KINDS:
        raise EntryError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    if status not in STATUSES:
        raise EntryError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")
    layout = table.get("layout", "denominator")
    if layout not in LAYOUTS:
        raise EntryError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    structure = table.get("structure")
    if structure is not None and structure not in GRADIENT_STRUCTURES:
        raise EntryError(f"unknown structure {structure!r}; choose one of "
                         f"{', '.join(GRADIENT_STRUCTURES)}")
    if kind != "gradient" and ("layout" in table or structure is not None):
        raise EntryError(f"'layout' and 'structure' apply to gradients only, not to a {kind}")
    return layout, structure


def _check_status_keys(table, status):
    if status == "erratum":
        for key in ("corrected", "note"):
            if not table.get(key, "").strip():
                raise EntryError(f"an erratum needs {key!r} (the corrected result and why)")
    elif "corrected" in table:
        raise EntryError(f"'corrected' belongs to errata only (status is {status!r})")
    if status == "unsupported" and not table.get("reason", "").strip():
        raise EntryError("an unsupported entry needs a 'reason'")


def _name_table(value, key, types):
    for name, entry in value.items():
        if not NAME_PATTERN.fullmatch(name):
            raise EntryError(f"{key}: {name!r} is not a name")
        if not isinstance(entry, types) or isinstance(entry, bool):
            raise EntryError(f"{key}.{name} must be a string, got {_toml_type(entry)}")
    return {name: str(entry) for name, entry in value.items()}


def _toml_type(value):
    return {str: "a string", int: "an integer", float: "a float", bool: "a boolean",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)
