"""Printers that look every construct's notation up in the registry.

SymPy's printers dispatch on ``_print_<Class>`` methods; matcalc's constructs register
their notation instead (``LATEX``, ``TEXT``: one rule per construct, in the construct's
own module).  ``RegisteredPrinter`` puts the registry in front of SymPy's dispatch:

1. a *context* pushed by a rule prints the nodes it claims (an elementwise function
   prints its body with the matrix argument in place of the bound variable);
2. the construct's registered rule, found along the class's MRO;
3. SymPy's own printing (``sympy_print``).

The registered rule wins over a class's own ``_latex``/``_sympystr``, so a matcalc
class keeps those only for ``sympy.latex`` and ``str`` and has them delegate to its rule.
"""
from contextlib import contextmanager
from functools import partial

from sympy.core.function import AppliedUndef, Function, UndefinedFunction

__all__ = ["RegisteredPrinter"]


class RegisteredPrinter:
    """Mixin for a SymPy printer class: ``rules`` (an ``Operation``) decides first."""

    rules = None   # the Operation of this printer's notation (LATEX, TEXT)

    def __init__(self, settings=None):
        super().__init__(settings)
        self._contexts = []
        # SymPy's printers call some of their own methods directly (LatexPrinter._print_Pow
        # calls self._print_Mul): route those through the registered rule too
        for cls, rule in self.rules.rules.items():
            setattr(self, "_print_" + cls.__name__, partial(self._apply, rule))

    def _apply(self, rule, expr, **kwargs):
        return rule(expr, self, **kwargs)

    def _print(self, expr, **kwargs):
        if self._contexts and self._contexts[-1] is not None:
            printed = self._contexts[-1](self, expr, **kwargs)
            if printed is not None:
                return printed
        rule = self.rules.lookup(expr)
        if rule is None:
            return super()._print(expr, **kwargs)
        self._print_level += 1
        try:
            return rule(expr, self, **kwargs)
        finally:
            self._print_level -= 1

    @contextmanager
    def context(self, handler):
        """Let ``handler(printer, expr, **kwargs)`` print the nodes it returns text for
        (None: the usual rule) while the ``with`` block prints; ``handler=None`` masks
        the enclosing context (an elementwise function's matrix argument is not its body)."""
        self._contexts.append(handler)
        try:
            yield
        finally:
            self._contexts.pop()

    def sympy_print(self, expr, **kwargs):
        """``expr`` as SymPy's own printer prints it (its ``_print_<Class>`` along the MRO,
        as ``Printer._print`` finds it), ignoring the registry and the class's printmethod;
        the arguments are printed through the registry again."""
        base = self._sympy_printer_class()
        classes = type(expr).__mro__
        if AppliedUndef in classes:
            classes = classes[classes.index(AppliedUndef):]
        if UndefinedFunction in classes:
            classes = classes[classes.index(UndefinedFunction):]
        if Function in classes:
            i = classes.index(Function)
            classes = tuple(c for c in classes[:i] if c.__name__ == classes[0].__name__
                            or c.__name__.endswith("Base")) + classes[i:]
        for cls in classes:
            method = getattr(base, "_print_" + cls.__name__, None)
            if method is not None:
                self._print_level += 1
                try:
                    return method(self, expr, **kwargs)
                finally:
                    self._print_level -= 1
        return self.emptyPrinter(expr)

    def _sympy_printer_class(self):
        """The SymPy printer class this printer extends (the first base after the mixin)."""
        mro = type(self).__mro__
        return mro[mro.index(RegisteredPrinter) + 1]
