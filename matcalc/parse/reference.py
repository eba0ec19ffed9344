"""The language's reference, written from the function table itself (``FUNCTIONS``): what
``matcalc grad --help`` shows, so a function a construct adds is listed without anyone
editing a help text."""
import textwrap

from ..registry import FUNCTIONS
from .spellings import CONSTANTS
from .symbols import CONVENTIONS

__all__ = ["language_help", "function_names"]

OPERATORS = [
    ("X'  X.T", "transpose"),
    ("X^-1  X^-T", "inverse, inverse transpose"),
    ("X^2  X**2", "matrix power (a scalar's power; ^ and ** are the same)"),
    ("*  @", "product (* also by a scalar)"),
    ("/", "division by a scalar or 1x1"),
    (".*  ./  .^", "elementwise product, division, power"),
]


def function_names():
    """The names of the language's functions (primary names, each once), sorted."""
    return sorted({FUNCTIONS.get(name).name for name in FUNCTIONS}, key=str.lower)


def _summary(syntax):
    """The first sentence of a function's builder docstring."""
    doc = " ".join((syntax.build.__doc__ or "").split())
    first = doc.split(". ")[0].rstrip(".")
    return first


def language_help(width=92):
    """The language in a few lines: operators, the scalar functions (elementwise on
    matrices), every other function with its one-line summary, the naming conventions."""
    lines = ["expression language:"]
    lines += ["  %-14s %s" % op for op in OPERATORS]
    scalar = [name for name in function_names() if FUNCTIONS.get(name).function is not None]
    wrapped = textwrap.wrap(" ".join(scalar), width - 4)
    lines.append("  scalar functions, elementwise on a matrix (f'(X): the derivative of f):")
    lines += ["    " + line for line in wrapped]
    lines.append("  functions:")
    for name in function_names():
        syntax = FUNCTIONS.get(name)
        if syntax.function is not None:
            continue
        summary = _summary(syntax)
        others = [a for a in syntax.names[1:] if a + "(" not in summary]
        text = summary + (" (also %s)" % ", ".join(others) if others else "")
        for k, line in enumerate(textwrap.wrap(text, width - 6)):
            lines.append("    " + line if k == 0 else "        " + line)
    for name in sorted(CONSTANTS):
        lines.append(f"    {name}: the identity, sized by the operand it meets (X + eye)")
    lines.append("  undeclared names (--names), where the expression does not fix their sizes")
    lines.append("  (A*x with A declared m x k makes x k x 1):")
    for key, (description, _) in CONVENTIONS.items():
        lines.append(f"    {key}: {description}")
    lines.append("    Greek names (lambda, mu, ...) and --scalar names are scalars")
    return "\n".join(lines) + "\n"
