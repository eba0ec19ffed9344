"""``softmax(Z)`` and ``logsumexp(Z)``: of a vector, and column- or row-wise of a matrix.

``dim`` says along which index the entries are normalized, as MATLAB's ``sum(Z, dim)``:
``dim = 1`` each column (the default; for a row vector, ``dim = 2``), ``dim = 2`` each row.
With S = softmax(Z) and 1 the vectors of ones:

    softmax(z) = exp(z) / (1^T exp(z))          logsumexp(z) = log(1^T exp(z))  (a scalar)
    d softmax(z) = s ∘ dz - s (s^T dz)          (the Jacobian diag(s) - s s^T)
    d logsumexp(z) = s^T dz                     (the gradient s; the Hessian diag(s) - s s^T)
    d softmax(Z) = S ∘ dZ - S ∘ (1 1^T (S ∘ dZ))            (dim 1: each column)
    d logsumexp(Z) = 1^T (S ∘ dZ)                           (a row: one value per column)
    softmax(Z)^T = softmax(Z^T) along the other dim         (logsumexp alike)

The differentials are written with products, Hadamard products and ones, so gradients,
Jacobians and Hessians are identified by those constructs' rules: the cross-entropy
``logsumexp(X w) - y^T X w`` has the gradient ``X^T (softmax(X w) - y)``.  The NumPy and
generated code shift by the maximum before exponentiating (no overflow).
"""
from sympy import Integer, Lambda, OneMatrix, S, Transpose, log
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import matadd, matmul, transpose_of
from ..errors import ShapeError
from ..registry import (ATOMIC_LATEX, ATOMIC_TEXT, CANONICAL, CODEGEN, DIFFERENTIAL, FUNCTIONS, LATEX,
                        NUMPY, NUMPY_APPLIED, TEXT, TRANSPOSE, construct, numpycode_hook)
from .hadamard import hadamard
from .scalars import scalar

__all__ = ["Softmax", "LogSumExp", "softmax", "logsumexp"]


def default_dim(shape):
    """The dim a vector is normalized along: 2 for a row (1 x n), else 1 (columns)."""
    rows, cols = shape
    return Integer(2) if rows == 1 and cols != 1 else Integer(1)


class _AlongDim(MatrixExpr):
    """A function of the matrix ``arg`` applied along ``dim`` (1: columns, 2: rows)."""

    def __new__(cls, Z, dim=None):
        Z = _sympify(Z)
        if not isinstance(Z, MatrixExpr):
            raise TypeError(f"{cls.__name__.lower()}() needs a matrix expression, got {Z!r}")
        dim = default_dim(Z.shape) if dim is None else _sympify(dim)
        if dim not in (1, 2):
            raise ValueError(f"dim must be 1 (columns) or 2 (rows), got {dim}")
        return MatrixExpr.__new__(cls, Z, Integer(dim))

    @property
    def arg(self):
        return self.args[0]

    @property
    def dim(self):
        return int(self.args[1])

    @property
    def is_default_dim(self):
        return self.args[1] == default_dim(self.arg.shape)

    def _sympystr(self, printer):   # str() and sympy.latex print the registered notation
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)


class Softmax(_AlongDim):
    """softmax(Z): exp(Z) divided by the sums of its columns (dim 1) or rows (dim 2)."""

    @property
    def shape(self):
        return self.arg.shape


class LogSumExp(_AlongDim):
    """logsumexp(Z): log of the sums of exp(Z) over each column (dim 1, a 1 x q row) or
    each row (dim 2, a p x 1 column); 1 x 1 for a vector."""

    @property
    def shape(self):
        rows, cols = self.arg.shape
        return (Integer(1), cols) if self.dim == 1 else (rows, Integer(1))


def softmax(Z, dim=None):
    """softmax(Z) along ``dim`` (1: each column, 2: each row; a row vector: 2)."""
    return Softmax(Z, dim)


def logsumexp(Z, dim=None):
    """logsumexp(Z) along ``dim``; of a vector, the scalar log(sum(exp(z)))."""
    lse = LogSumExp(Z, dim)
    return scalar(lse) if lse.shape == (1, 1) else lse


construct(Softmax, "matrix")
construct(LogSumExp, "matrix")


# == differential ==

def _ones(n):
    return OneMatrix(n, 1)


def _along(S_dZ, Z, dim):
    """The sums of S ∘ dZ along ``dim``, spread back over Z's shape: 1 1^T (S ∘ dZ)
    (dim 1) or (S ∘ dZ) 1 1^T (dim 2)."""
    rows, cols = Z.shape
    if dim == 1:
        return matmul(_ones(rows), _ones(rows).T, S_dZ)
    return matmul(S_dZ, _ones(cols), _ones(cols).T)


@DIFFERENTIAL.register(Softmax, "d softmax(z) = s ∘ dz - s (s^T dz)",
                       note=r"$\mathrm{d}s = s \circ \mathrm{d}z - s\,(s^{T} \mathrm{d}z)$, "
                            r"$s = \operatorname{softmax}(z)$")
def d_softmax(s, d):
    """d softmax(z) = s ∘ dz - s (s^T dz) for a vector; of a matrix, column by column
    (dim 1): S ∘ dZ - S ∘ (1 1^T (S ∘ dZ)), row by row (dim 2) alike."""
    Z, dZ = s.arg, d(s.arg)
    rows, cols = Z.shape
    if s.dim == 1 and cols == 1:
        return matadd(hadamard(s, dZ), matmul(S.NegativeOne, s, transpose_of(s), dZ))
    if s.dim == 2 and rows == 1:
        return matadd(hadamard(s, dZ), matmul(S.NegativeOne, dZ, transpose_of(s), s))
    S_dZ = hadamard(s, dZ)
    return matadd(S_dZ, matmul(S.NegativeOne, hadamard(s, _along(S_dZ, Z, s.dim))))


@DIFFERENTIAL.register(LogSumExp, "d logsumexp(z) = softmax(z)^T dz",
                       note=r"$\mathrm{d}\operatorname{logsumexp}(z) = "
                            r"\operatorname{softmax}(z)^{T} \mathrm{d}z$")
def d_logsumexp(s, d):
    """d logsumexp(z) = s^T dz (s = softmax(z)); of a matrix, 1^T (S ∘ dZ) per column
    (dim 1) or (S ∘ dZ) 1 per row (dim 2)."""
    Z, dZ = s.arg, d(s.arg)
    S_ = Softmax(Z, s.dim)
    rows, cols = Z.shape
    if s.dim == 1:
        return matmul(transpose_of(S_), dZ) if cols == 1 else \
            matmul(_ones(rows).T, hadamard(S_, dZ))
    return matmul(dZ, transpose_of(S_)) if rows == 1 else matmul(hadamard(S_, dZ), _ones(cols))


def _is_log_of_softmax(M):
    f = M.function
    return (isinstance(M.expr, Softmax) and isinstance(f, Lambda)
            and f.expr == log(f.variables[0]))


@DIFFERENTIAL.register(ElementwiseApplyFunction, "d log softmax(z) = dz - 1 (s^T dz)",
                       when=_is_log_of_softmax,
                       note=r"$\mathrm{d}\log\operatorname{softmax}(z) = \mathrm{d}z - "
                            r"\mathbf{1}\,(s^{T} \mathrm{d}z)$")
def d_log_softmax(M, d):
    """d log softmax(z) = dz - 1 (s^T dz): log softmax(z) = z - 1 logsumexp(z) elementwise;
    per column (dim 1) or row (dim 2) of a matrix alike."""
    s = M.expr
    Z = s.arg
    rows, cols = Z.shape
    lse = LogSumExp(Z, s.dim)
    spread = matmul(_ones(rows), d(lse)) if s.dim == 1 else matmul(d(lse), _ones(cols).T)
    return matadd(d(Z), matmul(S.NegativeOne, spread))


# == structure ==

@TRANSPOSE.register(Softmax)
@TRANSPOSE.register(LogSumExp)
def transpose_along(M):
    """softmax(Z)^T stays a transpose (``s s^T``, as the Cookbook writes it); a 1 x 1 is
    its own transpose."""
    return M if M.shape == (1, 1) else Transpose(M)


@CANONICAL.register(Transpose)
def transposed_along(e):
    """softmax(Z)^T = softmax(Z^T) along the other dim (logsumexp alike): one spelling
    when deciding equality."""
    M = e.arg
    if isinstance(M, (Softmax, LogSumExp)):
        return type(M)(transpose_of(M.arg), 3 - M.dim)
    return e


# == printing ==

_DIM_NAMES = {1: "columns", 2: "rows"}


def _latex_along(name, M, printer):
    sub = "" if M.is_default_dim else r"_{\text{%s}}" % _DIM_NAMES[M.dim]
    return r"\operatorname{%s}%s\left(%s\right)" % (name, sub, printer._print(M.arg))


@LATEX.register(Softmax)
def latex_softmax(M, printer):
    r"""``\operatorname{softmax}\left(z\right)``; ``_{\text{rows}}`` row by row."""
    return _latex_along("softmax", M, printer)


@LATEX.register(LogSumExp)
def latex_logsumexp(M, printer):
    r"""``\operatorname{logsumexp}\left(z\right)``; ``_{\text{rows}}`` row by row."""
    return _latex_along("logsumexp", M, printer)


def _text_along(name, M, printer):
    """``name(Z)`` or ``name(Z, dim)`` (also for ``str()``: any StrPrinter)."""
    args = M.args[:1] if M.is_default_dim else M.args
    return "%s(%s)" % (name, ", ".join(printer._print(a) for a in args))


@TEXT.register(Softmax)
def text_softmax(M, printer):
    """``softmax(Z)``, ``softmax(Z, 2)`` row by row."""
    return _text_along(read_softmax.name, M, printer)


@TEXT.register(LogSumExp)
def text_logsumexp(M, printer):
    """``logsumexp(Z)``, ``logsumexp(Z, 2)`` row by row."""
    return _text_along(read_logsumexp.name, M, printer)


for _cls in (Softmax, LogSumExp):
    ATOMIC_LATEX.register(_cls)(lambda M: True)   # a call
    ATOMIC_TEXT.register(_cls)(lambda M: True)


# == parsing ==

def _read_along(cls, call):
    Z = call.matrix(0)
    if len(call.args) == 1:
        return cls(Z)
    dim = call.expr(1)
    if call.shape(1) is not None or dim not in (1, 2):
        raise ShapeError(f"{call.name}()'s second argument is the dim, 1 (each column) or 2 "
                         f"(each row); got \"{call.snippet(1)}\"")
    return cls(Z, dim)


@FUNCTIONS.define("softmax", args=(1, 2))
def read_softmax(call):
    """softmax(Z): exp(Z) normalized per column (a row vector: along it); softmax(Z, 2)
    per row."""
    return _read_along(Softmax, call)


@FUNCTIONS.define("logsumexp", args=(1, 2))
def read_logsumexp(call):
    """logsumexp(Z): log(sum(exp(.))) per column (1 x 1 for a vector); logsumexp(Z, 2)
    per row."""
    return _read_along(LogSumExp, call)


# == numeric ==

def _numpy_along(M, printer, body):
    """``(lambda z: body(z, m))(Z)`` with m the maximum along the dim (kept as an axis)."""
    z, m = printer.fresh_name("z"), printer.fresh_name("m")
    axis = M.dim - 1
    maximum = "%s(%s, axis=%d, keepdims=True)" % (printer.np("max"), z, axis)
    exp = "%s(%s - %s)" % (printer.np("exp"), z, m)
    total = "%s(%s, axis=%d, keepdims=True)" % (printer.np("sum"), "%s", axis)
    return "(lambda %s: (lambda %s: %s)(%s))(%s)" % (
        z, m, body(exp, total, m), maximum, printer._print(M.arg))


@NUMPY.register(Softmax)
def numpy_softmax(M, printer):
    """softmax(Z) -> e / sum(e) along the dim, e = exp(Z - max(Z))."""
    return _numpy_along(M, printer, lambda exp, total, m: "%s / %s" % (exp, total % exp))


@NUMPY.register(LogSumExp)
def numpy_logsumexp(M, printer):
    """logsumexp(Z) -> m + log(sum(exp(Z - m))) along the dim, m = max(Z)."""
    return _numpy_along(M, printer, lambda exp, total, m: "%s + %s(%s)" % (
        m, printer.np("log"), total % exp))


@NUMPY_APPLIED.register(Softmax)
def numpy_log_softmax(M, body, var, printer):
    """log softmax(Z) -> (Z - m) - log(sum(exp(Z - m))) along the dim, m = max(Z): the log of
    a probability that underflows (e^{-760}) stays exact."""
    if body != log(var):
        return None
    z, m = printer.fresh_name("z"), printer.fresh_name("m")
    axis = M.dim - 1
    maximum = "%s(%s, axis=%d, keepdims=True)" % (printer.np("max"), z, axis)
    total = "%s(%s(%s - %s), axis=%d, keepdims=True)" % (printer.np("sum"), printer.np("exp"),
                                                           z, m, axis)
    return "(lambda %s: (lambda %s: %s - %s - %s(%s))(%s))(%s)" % (
        z, m, z, m, printer.np("log"), total, maximum, printer._print(M.arg))


Softmax._numpycode = numpycode_hook     # SymPy's own NumPy printers (sympy.lambdify) call it
LogSumExp._numpycode = numpycode_hook


# == codegen ==

@CODEGEN.register(Softmax)
def codegen_softmax(M, emit, env):
    """softmax(Z) -> ``B.softmax(Z, axis)`` (shifted by the maximum)."""
    return emit.emit(f"B.softmax({emit.value(M.arg, env)}, {M.dim - 1})")


@CODEGEN.register(LogSumExp)
def codegen_logsumexp(M, emit, env):
    """logsumexp(Z) -> ``B.logsumexp(Z, axis)`` (shifted by the maximum)."""
    return emit.emit(f"B.logsumexp({emit.value(M.arg, env)}, {M.dim - 1})")
