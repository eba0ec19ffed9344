"""NumPy code for matrix expressions: what SymPy 1.14's NumPyPrinter lacks.

``MatcalcNumPyPrinter`` prints every matrix construct matcalc meets (trace,
determinant, log det, Hadamard powers, elementwise functions, fractional
powers of 1x1 matrices, commutation matrices, ...) as plain NumPy code, so the
evaluator and user code generation share one printer. The generated code
needs only ``numpy`` in its namespace.

Conventions of the generated code: every matrix-valued node evaluates to a
2-D ``ndarray`` (a 1x1 matrix stays a 1x1 array); scalar nodes (``tr``,
``det``, ``M[0, 0]``) evaluate to NumPy scalars. Matrix products use ``@``
so a scalar can never be silently mistaken for a matrix factor.
"""
from sympy import S, Symbol
from sympy.core.function import Lambda
from sympy.functions import Abs
from sympy.matrices.expressions.determinant import Determinant
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.printing.numpy import NumPyPrinter

__all__ = ["MatcalcNumPyPrinter", "numpy_code"]


class MatcalcNumPyPrinter(NumPyPrinter):
    """NumPyPrinter completed for matrix calculus expressions."""

    def __init__(self, settings=None):
        super().__init__(settings)
        self._bound_counter = 0

    # -- helpers -----------------------------------------------------------
    def _np(self, name):
        return self._module_format(self._module + "." + name)

    def _operand(self, expr):
        """Code for ``expr`` safe to use next to ``@``, ``.T`` or ``[i, j]``."""
        code = self._print(expr)
        if expr.is_symbol or expr.is_Number:
            return code
        return "(%s)" % code

    def _fresh_name(self, stem):
        """A Python identifier no SymPy symbol of the expression uses."""
        self._bound_counter += 1
        return f"_mc_{stem}{self._bound_counter}"

    # -- products, sums, transposes ------------------------------------------
    def _print_MatMul(self, expr):
        """``c*(A @ B @ ...)``: scalar coefficient times the matrix chain."""
        coeff, matrices = expr.as_coeff_matrices()
        chain = " @ ".join(self._operand(m) for m in matrices)
        if not matrices:
            return self._print(coeff)
        if coeff == S.One:
            return "(%s)" % chain
        if coeff == S.NegativeOne:
            return "(-(%s))" % chain
        return "(%s*(%s))" % (self._operand(coeff), chain)

    def _print_MatAdd(self, expr):
        return "(%s)" % " + ".join(self._print(a) for a in expr.args)

    def _print_Transpose(self, expr):
        return "%s.T" % self._operand(expr.arg)

    def _print_MatrixElement(self, expr):
        return "%s[%s, %s]" % (self._operand(expr.parent), self._print(expr.i),
                                 self._print(expr.j))

    # -- constants -----------------------------------------------------------
    def _print_Identity(self, expr):
        return "%s(%s)" % (self._np("eye"), self._print(expr.rows))

    def _print_ZeroMatrix(self, expr):
        return "%s((%s, %s))" % (self._np("zeros"), self._print(expr.rows),
                                 self._print(expr.cols))

    def _print_OneMatrix(self, expr):
        return "%s((%s, %s))" % (self._np("ones"), self._print(expr.rows),
                                 self._print(expr.cols))

    def _print_CommutationMatrix(self, expr):
        """K (mn x mn) with K vec(A) = vec(A^T) for A m x n, column-major vec.

        Row ``j + i*n`` of K is the unit row picking entry ``i + j*m`` of vec(A).
        """
        m, n = (self._print(a) for a in expr.args[:2])
        return ("%s((%s)*(%s))[%s((%s)*(%s)).reshape((%s, %s), order='F').T.ravel(order='F')]"
                % (self._np("eye"), m, n, self._np("arange"), m, n, m, n))

    # -- scalar-valued matrix functions --------------------------------------
    def _print_Trace(self, expr):
        return "%s(%s)" % (self._np("trace"), self._print(expr.arg))

    def _print_Determinant(self, expr):
        return "%s(%s)" % (self._np("linalg.det"), self._print(expr.arg))

    def _print_log(self, expr):
        """``log det U`` through ``slogdet`` (no overflow); nan when det U <= 0.

        ``log |det U|`` is the log-abs-determinant itself.
        """
        arg = expr.args[0]
        if isinstance(arg, Determinant):
            sd = self._fresh_name("slogdet")
            return ("(lambda %s: %s[1] if %s[0] > 0 else %s)(%s(%s))"
                    % (sd, sd, sd, self._np("nan"), self._np("linalg.slogdet"),
                       self._print(arg.arg)))
        if isinstance(arg, Abs) and isinstance(arg.args[0], Determinant):
            return "%s(%s)[1]" % (self._np("linalg.slogdet"), self._print(arg.args[0].arg))
        return "%s(%s)" % (self._np("log"), self._print(arg))

    # -- powers --------------------------------------------------------------
    def _print_MatPow(self, expr):
        """Integer powers through ``matrix_power`` (negative via the inverse);
        any other power only for a 1x1 matrix, where it is the scalar power."""
        base, exp = expr.args
        if exp.is_Integer:
            if exp.is_negative:
                return "%s(%s(%s), %s)" % (self._np("linalg.matrix_power"),
                                           self._np("linalg.inv"), self._print(base),
                                           self._print(-exp))
            return "%s(%s, %s)" % (self._np("linalg.matrix_power"), self._print(base),
                                   self._print(exp))
        if base.shape == (1, 1):
            return "%s(%s, %s)" % (self._np("power"), self._print(base),
                                   self._print_float_exponent(exp))
        if exp.is_integer:
            return "%s(%s, int(%s))" % (self._np("linalg.matrix_power"), self._print(base),
                                        self._print(exp))
        raise NotImplementedError(
            f"NumPy code for the non-integer matrix power {expr} of a "
            f"{base.shape[0]} x {base.shape[1]} matrix is not supported")

    def _print_float_exponent(self, exp):
        # a float exponent keeps numpy.power from integer-power errors
        if exp.is_Integer:
            return self._print(exp) + ".0"
        return "(%s)" % self._print(exp)

    def _print_HadamardPower(self, expr):
        base, exp = expr.args
        exp_code = (self._print(exp) if isinstance(exp, MatrixExpr)
                    else self._print_float_exponent(exp))
        return "%s(%s, %s)" % (self._np("power"), self._print(base), exp_code)

    # -- elementwise functions -----------------------------------------------
    def _print_ElementwiseApplyFunction(self, expr):
        """``(lambda v: body(v))(A)`` with the body printed through NumPy ufuncs.

        A body not depending on its variable is broadcast to A's shape.
        """
        function, arg = expr.function, expr.expr
        if isinstance(function, Lambda):
            (var,), body = function.variables, function.expr
        else:
            var = Symbol("x")
            body = function(var)
        name = self._fresh_name("x")
        bound = Symbol(name)
        body = body.xreplace({var: bound})
        body_code = self._print(body)
        if bound not in body.free_symbols:
            body_code = "%s(%s(%s), %s, dtype=float)" % (self._np("full"), self._np("shape"),
                                                         name, body_code)
        return "(lambda %s: %s)(%s)" % (name, body_code, self._print(arg))

    # -- diagonal constructs -------------------------------------------------
    def _print_DiagMatrix(self, expr):
        """diag(v) for a vector v (column or row): n x n."""
        return "%s(%s(%s))" % (self._np("diag"), self._np("ravel"), self._print(expr.args[0]))

    def _print_DiagonalOf(self, expr):
        """The diagonal of a matrix as a column vector."""
        return "%s(%s(%s), (-1, 1))" % (self._np("reshape"), self._np("diagonal"),
                                        self._print(expr.arg))

    def _print_DiagonalMatrix(self, expr):
        """A matrix with its off-diagonal entries zeroed: A ∘ I."""
        rows, cols = expr.shape
        return "%s(%s, %s(%s, %s))" % (self._np("multiply"), self._print(expr.arg),
                                       self._np("eye"), self._print(rows), self._print(cols))

    def _print_KroneckerProduct(self, expr):
        code = self._print(expr.args[0])
        for factor in expr.args[1:]:
            code = "%s(%s, %s)" % (self._np("kron"), code, self._print(factor))
        return code

    def _print_HadamardProduct(self, expr):
        code = self._print(expr.args[0])
        for factor in expr.args[1:]:
            code = "%s(%s, %s)" % (self._np("multiply"), code, self._print(factor))
        return code

    def _print_Inverse(self, expr):
        return "%s(%s)" % (self._np("linalg.inv"), self._print(expr.arg))

    def _print_DifferentialSymbol(self, expr):
        raise ValueError(f"the differential {expr} has no numeric value; "
                         "evaluate an expression free of differentials")


def numpy_code(expr, **settings):
    """The NumPy code string of ``expr`` (``numpy.`` qualified names)."""
    return MatcalcNumPyPrinter(settings or None).doprint(expr)

