"""The Frobenius norm ``||E||_F`` of a matrix and the 2-norm ``||x||_2`` of a vector.

    ||E|| = sqrt(tr(E^T E))        d||E|| = tr(E^T dE) / ||E||
"""
from sympy import Abs, Expr, MatMul, Pow
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import transpose_of
from ..registry import (CODEGEN, DIFFERENTIAL, FUNCTIONS, LATEX, NUMPY, REWRITE, TEXT, construct,
                        numpycode_hook)
from .scalars import scalar_value
from .trace import trace

__all__ = ["Norm", "norm"]


class Norm(Expr):
    """Frobenius norm ``||E||_F`` of a matrix, the 2-norm ``||x||_2`` of a vector.

    Both are ``sqrt(tr(E^T E))``; d||E|| = tr(E^T dE) / ||E||.
    """

    is_commutative = True
    is_real = True
    is_extended_real = True
    is_nonnegative = True
    is_finite = True

    def __new__(cls, arg):
        arg = _sympify(arg)
        if not isinstance(arg, MatrixExpr):
            raise TypeError(f"norm() needs a matrix expression, got {arg!r}")
        return Expr.__new__(cls, arg)

    @property
    def arg(self):
        return self.args[0]

    @property
    def is_vector_norm(self):
        rows, cols = self.arg.shape
        return rows == 1 or cols == 1

    def _eval_is_zero(self):
        return None

    def _sympystr(self, printer):   # str() and sympy.latex print the registered notation
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)


def norm(E):
    """``||E||_F`` for a matrix, ``||x||_2`` for a vector (a SymPy scalar)."""
    return Norm(E)


construct(Norm, "scalar")


# == differential ==

@DIFFERENTIAL.register(Norm, "d ||E|| = tr(E^T dE) / ||E||",
                       note=r"$\mathrm{d}\|E\| = \operatorname{tr}(E^{T}\,\mathrm{d}E) / \|E\|$")
def d_norm(s, d):
    """d ||E||_F = tr(E^T dE) / ||E||_F."""
    E = s.arg
    return trace(MatMul(transpose_of(E), d(E))) / s


# == identification ==


# == simplification ==


@REWRITE.register(Norm)
def norm_of_one_by_one(e):
    """||m|| = |m| for a 1x1 m."""
    if tuple(e.arg.shape) == (1, 1):
        return Abs(scalar_value(e.arg))
    return e


# == printing ==

@LATEX.register(Norm)
def latex_norm(s, printer):
    r"""``\left\|E\right\|_{F}`` of a matrix, ``\left\|x\right\|_{2}`` of a vector."""
    sub = "2" if s.is_vector_norm else "F"
    return r"\left\|%s\right\|_{%s}" % (printer._print(s.arg), sub)


@TEXT.register(Norm)
def text_norm(s, printer):
    """``norm(E)``."""
    return "%s(%s)" % (read_norm.name, printer._print(s.arg))


# == parsing ==

@FUNCTIONS.define("norm")
def read_norm(call):
    """norm(E): the Frobenius norm of a matrix, the 2-norm of a vector (``norm2`` of a vector
    too: see constructs/svd.py)."""
    return norm(call.matrix(0))


# == numeric ==

@NUMPY.register(Norm)
def numpy_norm(s, printer):
    """||E|| -> ``numpy.linalg.norm(E)`` (Frobenius for a matrix, 2-norm for a vector)."""
    return "%s(%s)" % (printer.np("linalg.norm"), printer._print(s.arg))


Norm._numpycode = numpycode_hook  # SymPy's own NumPy printers (sympy.lambdify) call it


# == codegen ==

@CODEGEN.register(Norm)
def codegen_norm(s, emit, env):
    """||E|| = sqrt(sum(E ∘ E))."""
    return emit.emit(f"B.norm({emit.value(s.arg, env)})")


@CODEGEN.register(Pow, when=lambda s: s.exp == 2 and isinstance(s.base, Norm))
def codegen_norm_squared(s, emit, env):
    """||E||^2 = sum(E ∘ E) (a dot product of E with itself): no square root."""
    E = emit.value(s.base.arg, env)
    return emit.emit(f"B.sqnorm({E})")
