"""Text outputs of the command line: a write error -- ENOSPC from a full disk
(``-o /dev/full``), raised at write, at flush or at close -- ends the command with one
``matcalc: error: cannot write NAME: reason`` line, not a traceback."""
from __future__ import annotations

import os
import sys

__all__ = ["Output", "OutputError"]


class OutputError(Exception):
    """An output that cannot be written (the command line reports it on one line, exit 2)."""


class Output:
    """A text stream (standard output, or a file the command opened: ``owned``) whose write
    errors become ``OutputError``; a broken pipe is left to the caller."""

    def __init__(self, stream, name, owned=False):
        self.stream, self.name, self.owned = stream, name, owned

    @classmethod
    def open(cls, path):
        """``path`` opened for writing (raises ``OSError``)."""
        return cls(open(path, "w", encoding="utf-8"), path, owned=True)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        """Closed (flushed) after the work; after a failure a file is only discarded."""
        if kind is None:
            self.close()
        elif self.owned:
            self._discard()
        return False

    def write(self, text):
        self._guarded(self.stream.write, text)

    def flush(self):
        self._guarded(self.stream.flush)

    def close(self):
        """Flush, and close a file this command opened."""
        self._guarded(self.stream.close if self.owned else self.stream.flush)

    def _guarded(self, action, *args):
        try:
            action(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            if self.owned:
                self._discard()
            elif self.stream is sys.stdout or self.stream is sys.__stdout__:
                _silence(self.stream)
            raise OutputError(f"cannot write {self.name}: {exc.strerror or exc}") from None

    def _discard(self):
        """Close the file dropping what cannot be written (closing flushes and fails again)."""
        try:
            self.stream.close()
        except OSError:
            pass


def _silence(stream):
    """Point ``stream``'s descriptor at the null device: the interpreter flushes standard
    output at exit, and a second failure would print 'Exception ignored ...'."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass
