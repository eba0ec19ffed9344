"""A catalogue run on a terminal: the per-section table of a ``CatalogueReport`` and the
one-line progress indicator of ``matcalc verify`` / ``matcalc latex``."""
from __future__ import annotations

__all__ = ["report_text", "Progress"]


def report_text(report, verbose=False):
    """The report as text: one row of counts per section, the failures, the summary;
    ``verbose``: also one line per identity."""
    lines = []
    sections = report.sections()
    width = max((len(f"{s} {report.titles.get(s, '')}") for s in sections), default=10)
    width = min(width, 64)
    for section, counts in sections.items():
        label = f"{section} {report.titles.get(section, '')}".strip()[:width]
        errata = "erratum" if counts["erratum"] == 1 else "errata"
        cells = [f"{counts['pass']:3d} pass", f"{counts['fail']:3d} fail",
                 f"{counts['erratum']:3d} {errata:<7}"]
        if counts["unsupported"]:
            cells.append(f"{counts['unsupported']:3d} unsupported")
        if counts["error"]:
            cells.append(f"{counts['error']:3d} malformed")
        lines.append((f"{label:<{width}}  " + "  ".join(cells)).rstrip())
    if verbose:
        lines.append("")
        for r in report.results:
            error = "" if r.derived_error is None else f"  err {r.derived_error:.2g}"
            lines.append(f"  {r.outcome:<11} {r.id:<34}{error}  {r.message}".rstrip())
    problems = report.failures
    if problems:
        lines.append("")
        lines.append("failures:")
        for r in problems:
            if r.outcome == "error":
                lines.append(f"  malformed: {r.message.splitlines()[0]}")
            else:
                lines.append(f"  fail: {r.id} ({r.path}): {r.message}")
    lines.append(report.summary())
    return "\n".join(lines)


class Progress:
    """``[ 12/237] cookbook-61`` on one rewritten stderr line."""

    def __init__(self, stream, enabled):
        self.stream, self.enabled, self.width = stream, enabled, 0

    def __call__(self, done, total, identity):
        if not self.enabled:
            return
        if identity is None:
            self.stream.write("\r" + " " * self.width + "\r")
        else:
            text = f"[{done + 1:>{len(str(total))}}/{total}] {identity.id}"
            self.stream.write("\r" + text.ljust(self.width))
            self.width = max(self.width, len(text))
        self.stream.flush()
