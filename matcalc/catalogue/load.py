"""Catalogue files -> identities; every problem a ``CatalogueError`` naming file, line and id.

A malformed entry never stops the other entries from loading: a TOML syntax error
costs only the entry it is in (the file is then read entry by entry), and bytes that
are not UTF-8 only the entry that holds them.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import tomllib
from bisect import bisect_left
from pathlib import Path

from ..errors import CatalogueError
from .entry import EntryError, ParseCache, make_identity

__all__ = ["load_catalogue", "load_file", "catalogue_files", "located_error", "MAX_FILE_BYTES"]

#: the largest catalogue file read (a file is read whole; 100,000 entries take ~20 MB)
MAX_FILE_BYTES = 64 * 2**20

_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*identity[ \t]*\]\]", re.MULTILINE)
_ID_LINE = re.compile(r"""^[ \t]*id[ \t]*=[ \t]*["']([^"'\n]*)["']""", re.MULTILINE)
_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
# what a byte that is not UTF-8 decodes to under errors="surrogateescape"
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_FILE_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"))


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
    """The ``*.toml`` files at ``path`` (a regular file, or a directory searched recursively),
    sorted; a ``CatalogueError`` says why there are none: no such path, not a regular file or
    directory (``/dev/zero``), not readable, or a directory without ``.toml`` files."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        missing = exc.errno in (errno.ENOENT, errno.ENOTDIR)
        raise located_error(path, "no such file or directory" if missing
                            else f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        try:
            os.scandir(path).close()
        except OSError as exc:
            raise located_error(path, f"cannot read the directory: {exc.strerror or exc}") \
                from None
        files = sorted(p for p in path.rglob("*.toml") if p.is_file())
        if not files:
            raise CatalogueError(f"no identities found in {path} (no .toml files in it)")
        return files
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _FILE_KINDS if test(mode)), "a special file")
        raise located_error(path, f"not a regular file or a directory ({kind}); expected a "
                                  f"catalogue .toml file or a directory of them")
    try:
        os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as exc:
        raise located_error(path, f"cannot read: {exc.strerror or exc}") from None
    return [path]


def load_catalogue(path, strict=True):
    """Load every identity at ``path`` (a ``.toml`` file or a directory of them).

    ``strict=True``: return the list of ``Identity`` records, or raise one
    ``CatalogueError`` listing every malformed entry (its ``errors`` attribute
    holds them one by one). ``strict=False``: return ``(identities, errors)``;
    each malformed entry is left out and reported, the others load.
    """
    identities, errors = [], []
    seen = {}
    cache = ParseCache()  # entries repeating a text across files parse it once
    for file in catalogue_files(path):
        loaded, file_errors = load_file(file, cache)
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


def load_file(path, cache=None):
    """``(identities, errors)`` of one catalogue file; never raises for bad content.

    Time and memory are linear in the size of the file (at most ``MAX_FILE_BYTES``);
    ``cache``: a ``ParseCache`` shared with other files.
    """
    path = Path(path)
    try:
        raw = _read(path)
    except OSError as exc:
        return [], [located_error(path, f"cannot read: {exc.strerror or exc}")]
    except EntryError as exc:
        return [], [located_error(path, str(exc))]
    errors = []
    try:
        text = raw.decode("utf-8")
        bad_lines = []
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        bad_lines = _undecodable_lines(raw)
    headers = _line_numbers(text, (m.start() for m in _HEADER.finditer(text)))
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
    first = min((line for line in lines if line is not None), default=None)
    for line in bad_lines:
        if first is None or line < first:
            errors.append(located_error(path, "the file is not valid UTF-8 (undecodable "
                                              "bytes outside any [[identity]] entry)", line))
    cache = cache if cache is not None else ParseCache()
    identities = []
    ends = _next_starts(lines, text.count("\n") + 2)
    for table, line, end in zip(tables, lines, ends):
        if table is None:  # a chunk that did not parse; already reported
            continue
        try:
            first_bad = _first_between(bad_lines, line, end)
            if first_bad is not None:
                raise EntryError(f"invalid UTF-8 bytes on line {first_bad}")
            identity = make_identity(table, path, line, section, title, cache)
        except EntryError as exc:
            ident = table.get("id") if isinstance(table, dict) else None
            errors.append(located_error(path, str(exc), line,
                                        ident if isinstance(ident, str) else ""))
            continue
        identities.append(identity)
    return identities, errors


def _read(path):
    """The bytes of ``path``: a regular file (a FIFO or a device is refused without blocking
    on it) of at most ``MAX_FILE_BYTES``."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise EntryError("not a regular file")
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise EntryError(f"larger than {MAX_FILE_BYTES:,} bytes, the limit for a catalogue "
                         f"file (split it into several files)")
    return raw


def _line_numbers(text, offsets):
    """The 1-based line numbers of ascending character ``offsets`` in ``text``, in one pass."""
    numbers, line, previous = [], 1, 0
    for offset in offsets:
        line += text.count("\n", previous, offset)
        previous = offset
        numbers.append(line)
    return numbers


def _undecodable_lines(raw):
    """The lines holding bytes that are not UTF-8, sorted."""
    escaped = raw.decode("utf-8", errors="surrogateescape")
    return sorted(set(_line_numbers(escaped, (m.start() for m in _ESCAPED_BYTE.finditer(escaped)))))


def _table_lines(headers, count):
    lines = list(headers[:count])
    return lines + [None] * (count - len(lines))


def _next_starts(lines, total):
    """For each entry's first line, the first line of the next entry (``total`` after the
    last); None for an entry without a line."""
    ends, following = [None] * len(lines), total
    for k in range(len(lines) - 1, -1, -1):
        if lines[k] is not None:
            ends[k] = following
            following = lines[k]
    return ends


def _first_between(sorted_lines, start, end):
    """The first of ``sorted_lines`` in [start, end), or None."""
    if start is None:
        return None
    k = bisect_left(sorted_lines, start)
    return sorted_lines[k] if k < len(sorted_lines) and sorted_lines[k] < end else None


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
