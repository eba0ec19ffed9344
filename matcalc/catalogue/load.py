"""Catalogue files -> identities; every problem a ``CatalogueError`` naming file, line and id.

A malformed entry never stops the other entries from loading: a TOML syntax error
costs only the entry it is in (the file is then read entry by entry), and bytes that
are not UTF-8 only the entry that holds them.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..errors import CatalogueError
from .entry import EntryError, make_identity

__all__ = ["load_catalogue", "load_file", "catalogue_files", "located_error"]

_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*identity[ \t]*\]\]", re.MULTILINE)
_ID_LINE = re.compile(r"""^[ \t]*id[ \t]*=[ \t]*["']([^"'\n]*)["']""", re.MULTILINE)
_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def located_error(path, problem, line=None, identity=None):
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


def catalogue_files(path):
    """The ``*.toml`` files at ``path`` (a file, or a directory searched recursively), sorted."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*.toml") if p.is_file())
    if path.is_file():
        return [path]
    raise located_error(path, "no such file or directory")


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
                errors.append(located_error(
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
        return [], [located_error(path, f"cannot read: {exc.strerror or exc}")]
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
        errors.append(located_error(path, f"'identity' must be an array of tables "
                                          f"([[identity]]), got {type(tables).__name__}"))
        tables = []
    lines = chunks if chunks is not None else _table_lines(headers, len(tables))
    for line in bad_lines:
        if not any(start <= line < end for start, end in _table_ranges(lines, text)):
            errors.append(located_error(path, "the file is not valid UTF-8 (undecodable "
                                              "bytes outside any [[identity]] entry)", line))
    identities = []
    for table, line in zip(tables, lines):
        if table is None:  # a chunk that did not parse; already reported
            continue
        end = _next_header(lines, line, text)
        undecodable = [b for b in bad_lines if line is not None and line <= b < end]
        try:
            if undecodable:
                raise EntryError(f"invalid UTF-8 bytes on line {undecodable[0]}")
            identity = make_identity(table, path, line, section, title)
        except EntryError as exc:
            ident = table.get("id") if isinstance(table, dict) else None
            errors.append(located_error(path, str(exc), line,
                                        ident if isinstance(ident, str) else ""))
            continue
        identities.append(identity)
    return identities, errors


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
        errors.append(located_error(path, f"TOML syntax error: {prelude_error}"))
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
            errors.append(located_error(path, f"TOML syntax error: {message}", start + 1,
                                        found.group(1) if found else ""))
            tables.append(None)
        starts.append(start + 1)
    if not headers:
        errors.append(located_error(path, f"TOML syntax error: {exc}"))
    return document, tables, starts


def _file_header(path, document, errors):
    section = document.get("section")
    title = document.get("title")
    if not isinstance(section, str) or not section.strip():
        errors.append(located_error(path, "missing or empty top-level 'section' string"))
        section = Path(path).stem
    if not isinstance(title, str):
        errors.append(located_error(path, "missing top-level 'title' string"))
        title = ""
    unknown = sorted(set(document) - {"section", "title", "identity"})
    if unknown:
        errors.append(located_error(path, f"unknown top-level key(s) {', '.join(unknown)} "
                                    f"(expected section, title and [[identity]] tables)"))
    return section, title
