"""``log1p(x) = log(1 + x)``, exact for small x (C99's and NumPy's ``log1p``).

    d log1p(a) = da / (1 + a)        (the chain rule of every function: SymPy's ``fdiff``)

The smallest complete construct, and the README's worked example of adding one: the class
is SymPy's own (``sympy.codegen.cfunctions.log1p``); this module states what matcalc needs
beyond it -- how it reads and prints, and how generated code computes it.
"""
from sympy.codegen.cfunctions import log1p

from ..registry import CODEGEN, FUNCTIONS, LATEX, construct
from .functions import applied, log_name

construct(log1p, "scalar")


# == differential ==
# the chain rule of every Function (constructs/functions.py) with log1p'(a) = 1/(1 + a)


# == printing ==

@LATEX.register(log1p)
def latex_log1p(expr, printer, exp=None):
    r"""``\log\left(1 + x\right)``."""
    return log_name(printer, exp) + r"\left(1 + %s\right)" % printer._print(expr.args[0])


# text: ``log1p(x)``, as every function prints (its name and arguments)


# == parsing ==

FUNCTIONS.define("log1p", function=log1p)(applied(log1p))


# == numeric ==
# NumPy: ``numpy.log1p(x)``, as SymPy's own NumPy printer writes it


# == codegen ==

@CODEGEN.register(log1p)
def codegen_log1p(s, emit, env):
    """log1p(a) -> ``B.log1p(a)`` (the backend library's own, exact near 0)."""
    return emit.emit(f"B.log1p({emit.value(s.args[0], env)})")
