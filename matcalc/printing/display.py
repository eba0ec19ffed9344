r"""Results in IPython/Jupyter rendered with matcalc's LaTeX; check reports as small tables.

    >>> import matcalc
    >>> matcalc.init_printing()             # in a notebook: results now show as X^{-T}

``init_printing`` registers formatters with IPython's display system:

=========================================  =======================================
object                                     shown as
=========================================  =======================================
SymPy ``Basic`` (``MatrixExpr``, ``Expr``)  ``text/latex``: ``$\displaystyle X^{-T}$``
lists, tuples, dicts of them               ``text/latex``: ``\left[ A, \  B\right]``
``CheckReport`` (``matcalc.check``)        ``text/html`` and ``text/latex`` table
=========================================  =======================================

A ``Derivation`` shows itself (``Derivation._repr_latex_``, an ``aligned`` block).
Outside IPython nothing is registered.  ``CheckReport`` (the numeric oracle, which needs
NumPy) is imported only when the formatters are registered, so ``import matcalc`` loads
no NumPy.
"""
import math

from sympy import Basic
from sympy.matrices import MatrixBase

from .latex import latex

__all__ = ["init_printing", "report_latex", "report_html", "latex_repr"]


# --------------------------------------------------------------------------
# check reports
# --------------------------------------------------------------------------

def _scientific(value, infinity, power, times):
    """``value`` as mantissa x 10^exponent in a markup: ``power % k`` writes 10^k,
    ``times % (mantissa, k)`` the product; 0 and infinity as they are."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return infinity
    mantissa, exponent = ("%.2e" % value).split("e")
    exponent = int(exponent)
    if exponent == 0:
        return mantissa
    if mantissa == "1.00":
        return power % exponent
    return times % (mantissa, exponent)


def _error_latex(value):
    r"""``3.2 \times 10^{-10}``; ``0``; ``\infty``."""
    return _scientific(value, r"\infty", "10^{%d}", r"%s \times 10^{%d}")


def _error_html(value):
    """``3.2&times;10<sup>-10</sup>``; ``0``; ``&infin;``."""
    return _scientific(value, "&infin;", "10<sup>%d</sup>", "%s&times;10<sup>%d</sup>")


def _report_rows(report):
    """(label, value) pairs shared by the LaTeX and the HTML table."""
    return [("check", report.kind),
            ("result", "passed" if report.passed else "FAILED"),
            ("max relative error", report.max_rel_error),
            ("tolerance", report.rtol),
            ("points", report.points),
            ("method", report.method)]


def _text(s):
    # \text{} content: the characters a method or kind name may hold
    return s.replace("_", r"\_").replace("+", " + ")


def report_latex(report):
    r"""A ``CheckReport`` as a LaTeX ``array`` (the ``_repr_latex_`` of a report)::

        $$\begin{array}{ll}
        \text{check} & \text{gradient} \\
        \text{result} & \textbf{passed} \\
        \text{max relative error} & 3.21 \times 10^{-11} \\
        \text{tolerance} & 10^{-6} \\ ...
        \end{array}$$
    """
    lines = []
    for label, value in _report_rows(report):
        if label == "result":
            cell = r"\textbf{%s}" % value
        elif isinstance(value, float):
            cell = _error_latex(value)
        elif isinstance(value, int):
            cell = str(value)
        else:
            cell = r"\text{%s}" % _text(value)
        lines.append(r"\text{%s} & %s" % (label, cell))
    if report.reason:
        lines.append(r"\text{reason} & \text{%s}" % _text(_plain(report.reason)))
    return "$$\\begin{array}{ll}\n" + " \\\\\n".join(lines) + "\n\\end{array}$$"


def _plain(text):
    """``text`` with the characters that are special in LaTeX text mode replaced."""
    for a, b in (("\\", "/"), ("{", "("), ("}", ")"), ("$", ""), ("&", "and"), ("%", " percent"),
                 ("#", "no."), ("^", "**"), ("~", "-")):
        text = text.replace(a, b)
    return text


def report_html(report):
    """A ``CheckReport`` as a small HTML table (the ``_repr_html_`` of a report)."""
    from html import escape
    colour = "green" if report.passed else "red"
    cells = []
    for label, value in _report_rows(report):
        if label == "result":
            cell = '<b style="color:%s">%s</b>' % (colour, value)
        elif isinstance(value, float):
            cell = _error_html(value)
        elif isinstance(value, int):
            cell = str(value)
        else:
            cell = escape(value)
        cells.append("<tr><th style=\"text-align:left\">%s</th><td>%s</td></tr>" % (label, cell))
    if report.reason:
        cells.append("<tr><th style=\"text-align:left\">reason</th><td>%s</td></tr>"
                     % escape(report.reason))
    return "<table>\n" + "\n".join(cells) + "\n</table>"


# --------------------------------------------------------------------------
# IPython formatters
# --------------------------------------------------------------------------

def _is_sympy(obj):
    return isinstance(obj, (Basic, MatrixBase))


def _printable(obj, top=True):
    """A SymPy object, or a container of SymPy objects and numbers holding at least one."""
    if _is_sympy(obj):
        return True
    if not top and isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return True
    if isinstance(obj, (list, tuple)):
        items = list(obj)
    elif isinstance(obj, dict):
        items = [*obj.keys(), *obj.values()]
    else:
        return False
    return (bool(items) and all(_printable(o, top=False) for o in items)
            and any(_is_sympy(o) or isinstance(o, (list, tuple, dict)) for o in items))


def _container_latex(obj):
    if _is_sympy(obj) or isinstance(obj, (int, float)):
        return latex(obj)
    if isinstance(obj, dict):
        items = [r"%s : %s" % (_container_latex(k), _container_latex(v)) for k, v in obj.items()]
        return r"\left\{ %s\right\}" % r", \  ".join(items)
    items = [_container_latex(o) for o in obj]
    if isinstance(obj, tuple):
        return r"\left( %s%s\right)" % (r", \  ".join(items), "," if len(items) == 1 else "")
    return r"\left[ %s\right]" % r", \  ".join(items)


def latex_repr(obj):
    r"""``$\displaystyle ...$`` for a SymPy object or a container of them, else None
    (IPython then falls back to the next representation)."""
    if not _printable(obj):
        return None
    return r"$\displaystyle %s$" % _container_latex(obj)


def init_printing(ip=None):
    """Show SymPy results with matcalc's LaTeX and check reports as tables in IPython.

    ``ip`` is the IPython shell (default: the running one).  Outside IPython it does
    nothing (``str`` and ``matcalc.latex`` work as before).
    """
    if ip is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        ip = get_ipython()
        if ip is None:
            return
    from ..numeric import CheckReport
    formatters = ip.display_formatter.formatters
    latex_formatter = formatters["text/latex"]
    for cls in (Basic, MatrixBase, list, tuple, dict):
        latex_formatter.for_type(cls, latex_repr)
    latex_formatter.for_type(CheckReport, report_latex)
    formatters["text/html"].for_type(CheckReport, report_html)
