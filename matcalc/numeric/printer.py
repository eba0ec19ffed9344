"""NumPy code for matrix expressions: SymPy's NumPyPrinter, completed by the registry.

``MatcalcNumPyPrinter`` prints each construct with the ``NUMPY`` rule its module registers
(``matcalc/constructs/*.py``, section ``numeric``): trace, determinant, log det, Hadamard
powers, elementwise functions, fractional powers of 1x1 matrices, commutation matrices, ...
Nodes without a rule (numbers, scalar symbols, ``Piecewise`` ...) are printed by SymPy's
NumPyPrinter.  The evaluator and user code generation share this printer; the generated code
needs only ``numpy`` in its namespace.

Conventions of the generated code: every matrix-valued node evaluates to a 2-D ``ndarray``
(a 1x1 matrix stays a 1x1 array); scalar nodes (``tr``, ``det``, ``M[0, 0]``) evaluate to
NumPy scalars.  Matrix products use ``@`` so a scalar can never be silently mistaken for a
matrix factor.
"""
from sympy import Basic
from sympy.printing.numpy import NumPyPrinter

from ..registry import NUMPY, refuses

__all__ = ["MatcalcNumPyPrinter", "numpy_code", "print_with_rule"]


class NumPyCodeHelpers:
    """What a ``NUMPY`` rule may ask of its printer, besides ``_print``."""

    def np(self, name):
        """The qualified NumPy name ``name`` (``numpy.linalg.det`` ...), as imported."""
        return self._module_format(self._module + "." + name)

    def operand(self, expr):
        """Code for ``expr`` safe to use next to ``@``, ``.T`` or ``[i, j]``."""
        code = self._print(expr)
        if expr.is_symbol or expr.is_Number:
            return code
        return "(%s)" % code

    def fresh_name(self, stem):
        """A Python identifier no SymPy symbol of the expression uses."""
        self._bound_counter += 1
        return f"_mc_{stem}{self._bound_counter}"

    def nested(self, name, args):
        """``numpy.name(numpy.name(a, b), c)`` for the arguments a, b, c (a binary ufunc)."""
        code = self._print(args[0])
        for arg in args[1:]:
            code = "%s(%s, %s)" % (self.np(name), code, self._print(arg))
        return code

    def float_exponent(self, exp):
        """An exponent for ``numpy.power``: a float, so integer powers cannot fail."""
        if exp.is_Integer:
            return self._print(exp) + ".0"
        return "(%s)" % self._print(exp)


class MatcalcNumPyPrinter(NumPyCodeHelpers, NumPyPrinter):
    """NumPyPrinter printing every construct by its registered ``NUMPY`` rule."""

    def __init__(self, settings=None):
        super().__init__(settings)
        self._bound_counter = 0

    def _print(self, expr, **kwargs):
        if refuses(expr, "numpy"):   # dX, d(U), an undefined function: no value
            raise NUMPY.unsupported(expr)
        rule = NUMPY.lookup(expr) if isinstance(expr, Basic) else None
        if rule is None:
            return super()._print(expr, **kwargs)
        self._print_level += 1
        try:
            return rule(expr, self)
        finally:
            self._print_level -= 1

    def print_natively(self, expr):
        """SymPy's own NumPy printing of ``expr`` (its arguments still by their rules)."""
        return super()._print(expr)

    def _print_KroneckerDelta(self, expr):
        """δ_ij -> 1 or 0; the optional third argument of SymPy's KroneckerDelta (the index
        range, a hint for summation) has no value of its own (SymPy's printer expects two)."""
        i, j = expr.args[:2]
        return "(1.0 if %s == %s else 0.0)" % (self._print(i), self._print(j))


class _Borrowed(NumPyCodeHelpers):
    """Another NumPy printer (SymPy's, in ``sympy.lambdify``) seen through the helpers."""

    def __init__(self, printer):
        self.printer = printer
        self._module = printer._module
        self._bound_counter = 0

    def _print(self, expr):
        return self.printer._print(expr)

    def _module_format(self, name):
        return self.printer._module_format(name)


def print_with_rule(expr, printer):
    """``expr`` printed by its ``NUMPY`` rule with any SymPy NumPy ``printer``."""
    return NUMPY(expr, printer if isinstance(printer, NumPyCodeHelpers) else _Borrowed(printer))


def numpy_code(expr, **settings):
    """The NumPy code string of ``expr`` (``numpy.`` qualified names)."""
    return MatcalcNumPyPrinter(settings or None).doprint(expr)
