"""What the decompositions share: their base classes, 1-based spectral indices, symmetric
arguments, and the rules that only name a function (text, NumPy, generated code).

The decompositions (``eigen``, ``eigensystem``, ``svd``, ``cholesky``, ``pinv``,
``matrix_functions``, ``block_function``) evaluate through ``matcalc.numeric.linalg``, whose
functions fix the conventions (order, signs, branches); their NumPy code calls them by name,
generated code the backend's operation of the same name (``codegen/linalg_ops.py``).
"""
from sympy import Basic, Expr, Integer, Min, S, Transpose
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import transpose_of
from ..errors import NonSquareMatrixError, ShapeError
from ..registry import LATEX, TEXT, numpycode_hook
from ..shapes import shape_text

__all__ = ["SpectralMatrix", "SpectralScalar", "OfMatrix", "IndexedScalar", "IndexedVector",
           "spectral_index", "is_symmetric_matrix", "runtime", "matrix_argument",
           "square_argument", "call_text", "text_rule", "numpy_rule", "codegen_rule",
           "kept_transposed", "draw_argument", "indexed_arguments", "index_argument",
           "latex_rule", "reader"]

#: the module holding the runtime functions the NumPy code calls
RUNTIME = "matcalc.numeric.linalg"


def matrix_argument(M, what):
    """``M`` as a matrix expression, or a TypeError naming ``what`` needs one."""
    M = _sympify(M)
    if not isinstance(M, MatrixExpr):
        raise TypeError(f"{what} needs a matrix expression, got {M!r}")
    return M


def square_argument(M, what):
    """``M`` as a square matrix expression (sizes compared symbolically)."""
    M = matrix_argument(M, what)
    rows, cols = M.shape
    if rows != cols and (rows - cols).expand() != 0:
        raise NonSquareMatrixError(f"{what} needs a square matrix; {M} is {shape_text(M)}")
    return M


def spectral_index(i, count, what):
    """A 1-based index into a spectrum of ``count`` values: an integer or an integer
    expression in the dimensions (``n`` is the last one); refused when it is provably out
    of range 1..count."""
    i = _sympify(i)
    if not isinstance(i, Expr) or isinstance(i, MatrixExpr) or not i.is_integer:
        raise TypeError(f"the index of {what} must be an integer or an integer expression in "
                        f"the dimensions, got {i!r}")
    if (i - 1).is_negative or (i - 1).is_Integer and i < 1:
        raise ShapeError(f"the index of {what} is {i}; indices start at 1")
    if (count - i).is_negative or (count - i).is_Integer and count - i < 0:
        raise ShapeError(f"the index of {what} is {i}, beyond the {count} values there are")
    return Integer(i) if i.is_Integer else i


def is_symmetric_matrix(M):
    """Is M symmetric by construction (``S`` declared symmetric, ``A + A^T``, ``B^T B``)?"""
    return transpose_of(M) == M


# --------------------------------------------------------------------------
# base classes
# --------------------------------------------------------------------------

class _Printed:
    """Prints by its registered rules (``str``, ``sympy.latex`` and SymPy's NumPy printers)."""

    def doit(self, **hints):
        if not hints.get("deep", True):
            return self
        return self.func(*[a.doit(**hints) if isinstance(a, Basic) else a for a in self.args])

    def _sympystr(self, printer):
        return TEXT(self, printer)

    _numpycode = numpycode_hook   # SymPy's own NumPy printers (sympy.lambdify) call it


class SpectralMatrix(_Printed, MatrixExpr):
    """A matrix-valued construct of matcalc's own (its ``shape`` from its arguments)."""

    def _latex(self, printer):
        return LATEX(self, printer)


class SpectralScalar(_Printed, Expr):
    """A real scalar construct of matcalc's own (an eigenvalue, a singular value, a norm)."""

    is_commutative = True
    is_real = True
    is_extended_real = True
    is_finite = True

    def _eval_is_zero(self):
        return None

    def _latex(self, printer, exp=None):
        tex = LATEX(self, printer)
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


class OfMatrix(SpectralMatrix):
    """f(M) of one matrix argument, shaped like it (square ``M`` unless ``any_shape``);
    ``function_name`` is its name in the text language."""

    function_name = None
    any_shape = False

    def __new__(cls, M):
        check = matrix_argument if cls.any_shape else square_argument
        return SpectralMatrix.__new__(cls, check(M, f"{cls.function_name}()"))

    @property
    def arg(self):
        return self.args[0]

    @property
    def shape(self):
        return self.arg.shape


class _Indexed:
    """args (X, i, ...): X a matrix (square unless ``square`` is False), i a 1-based index
    into its min(rows, cols) values."""

    function_name = None
    square = True

    @classmethod
    def _checked(cls, X, i):
        name = cls.function_name if isinstance(cls.function_name, str) else cls.__name__
        X = (square_argument if cls.square else matrix_argument)(X, f"{name}()")
        count = X.shape[0] if cls.square else Min(*X.shape)
        return X, spectral_index(i, count, f"{name}({X}, .)")

    @property
    def arg(self):
        return self.args[0]

    @property
    def index(self):
        return self.args[1]


class IndexedScalar(_Indexed, SpectralScalar):
    """lambda_i(X), sigma_i(X): the i-th value of a spectrum."""

    def __new__(cls, X, i):
        return Expr.__new__(cls, *cls._checked(X, i))


class IndexedVector(_Indexed, SpectralMatrix):
    """v_i(X): a vector of the spectrum of X (an eigenvector: n x 1)."""

    def __new__(cls, X, i, *more):
        return SpectralMatrix.__new__(cls, *cls._checked(X, i), *more)

    @property
    def shape(self):
        return (self.arg.shape[0], S.One)


# --------------------------------------------------------------------------
# rules that only name a function
# --------------------------------------------------------------------------

def call_text(printer, name, *args):
    """``name(a, b)`` with any string printer (``str()`` uses SymPy's plain StrPrinter)."""
    call = getattr(printer, "call", None)
    if call is not None:
        return call(name, *args)
    return "%s(%s)" % (name, ", ".join(printer._print(a) for a in args))


def text_rule(arguments=lambda e: [e.arg]):
    """A TEXT rule: ``function_name(a, ...)`` for ``arguments(e)``."""
    def text(e, printer):
        return call_text(printer, e.function_name, *arguments(e))
    text.__doc__ = "``name(arguments)``, as the language reads it."
    return text


def latex_rule(template):
    """A LATEX rule: ``template % argument`` (its one matrix argument printed)."""
    def latex(e, printer):
        return template % printer._print(e.arg)
    latex.__doc__ = "``%s``." % template.replace("%s", "M")
    return latex


def reader(build, square=True):
    """A FUNCTIONS builder of one (square) matrix argument: ``name(M)`` is ``build(M)``."""
    def read(call):
        return build(call.square_matrix(0) if square else call.matrix(0))
    read.__doc__ = build.__doc__
    return read


def runtime(printer, name):
    """The name of the runtime function ``name`` in NumPy code (imported by ``lambdify``
    from ``matcalc.numeric.linalg``; its names start with ``matcalc_``, so they clash with
    no NumPy name)."""
    printer._module_format(f"{RUNTIME}.{name}")   # registers the import
    return name


def numpy_rule(function, arguments=lambda e: [e.arg]):
    """A NUMPY rule: ``function(a, ...)`` of ``matcalc.numeric.linalg`` for ``arguments(e)``
    (SymPy objects printed, Python strings quoted, lists as lists)."""
    def printed(a, printer):
        if isinstance(a, str):
            return repr(a)
        if isinstance(a, list):
            return "[%s]" % ", ".join(printed(b, printer) for b in a)
        return printer._print(a)

    def numpy(e, printer):
        return "%s(%s)" % (runtime(printer, function),
                           ", ".join(printed(a, printer) for a in arguments(e)))
    numpy.__doc__ = f"-> ``{function}(...)`` (matcalc.numeric.linalg)."
    return numpy


def codegen_rule(operation, arguments=lambda e: [e.arg]):
    """A CODEGEN rule: ``B.operation(a, ...)``: matrices and scalars by value, an index (an
    integer in the dimensions) as a number, strings quoted, lists as lists."""
    def value(a, emit, env):
        if isinstance(a, str):
            return repr(a)
        if isinstance(a, list):
            return "[%s]" % ", ".join(value(b, emit, env) for b in a)
        if isinstance(a, MatrixExpr):
            return emit.value(a, env)
        return str(emit.dim(a))

    def codegen(e, emit, env):
        return emit.emit(f"B.{operation}(%s)" % ", ".join(value(a, emit, env)
                                                          for a in arguments(e)))
    codegen.__doc__ = f"-> ``B.{operation}(...)`` (the backend's, codegen/linalg_ops.py)."
    return codegen


def indexed_arguments(e):
    """(X, i) of an indexed construct: what its text, NumPy and generated code name."""
    return [e.arg, e.index]


def index_argument(call):
    """The second argument of ``eig(X, i)``, ``singval(X, i)`` ...: an integer or a dimension."""
    if call.shape(1) is not None:
        raise call.error(f"{call.name}() takes an index (an integer or a dimension) as its "
                         f"second argument, got the matrix \"{call.snippet(1)}\" (a name is "
                         "a dimension only when a declared shape uses it, e.g. X: \"n,n\")")
    i = call.expr(1)
    if not i.is_integer:
        raise call.error(f"{call.name}(): the index \"{call.snippet(1)}\" is not an integer "
                         "or a dimension")
    return i


def kept_transposed(M):
    """M^T: kept as written (a vector's or a triangular factor's transpose)."""
    return Transpose(M)


def draw_argument(e):
    """The argument's symbols get a separated spectrum (simple eigenvalues / singular values)."""
    return [e.arg]
