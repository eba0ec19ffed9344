"""The leaves: matrix symbols, the identity I, the zero matrix 0 and the ones matrix 1.

    I^T = I (square)      0^T = 0 (n x m -> m x n)      1^T = 1 (n x m -> m x n)

A leaf is never differentiated by a rule: the variable's differential is dX and any
other leaf is a constant (d = 0).
"""
from sympy import Identity, MatrixSymbol
from sympy.matrices.expressions.special import OneMatrix, ZeroMatrix
from sympy.matrices.expressions.transpose import Transpose

from ..registry import APPLY, CODEGEN, NUMPY, PRODUCT_FACTORS, TRANSPOSE, construct

construct(MatrixSymbol, "matrix", leaf=True)
construct(Identity, "matrix", leaf=True)
construct(ZeroMatrix, "matrix", leaf=True)
construct(OneMatrix, "matrix", leaf=True)


# == structure ==

@TRANSPOSE.register(MatrixSymbol)
def transpose_symbol(M):
    """X^T; a symbol with a declared symmetric structure is its own transpose."""
    own = M._eval_transpose()
    return own if own is not None else Transpose(M)


@TRANSPOSE.register(Identity)
def transpose_identity(M):
    """I^T = I."""
    return M


@TRANSPOSE.register(ZeroMatrix)
def transpose_zero(M):
    """0^T = 0 of the transposed shape."""
    return ZeroMatrix(M.shape[1], M.shape[0])


@TRANSPOSE.register(OneMatrix)
def transpose_ones(M):
    """1^T = 1 of the transposed shape."""
    return OneMatrix(M.shape[1], M.shape[0])


# == printing ==


# == parsing ==


# == numeric ==

@NUMPY.register(MatrixSymbol)
def numpy_symbol(M, printer):
    """X -> its name (SymPy's own printing)."""
    return printer.print_natively(M)


@NUMPY.register(Identity)
def numpy_identity(M, printer):
    """I_n -> ``numpy.eye(n)``."""
    return "%s(%s)" % (printer.np("eye"), printer._print(M.rows))


@NUMPY.register(ZeroMatrix)
def numpy_zeros(M, printer):
    """0 (m x n) -> ``numpy.zeros((m, n))``."""
    return "%s((%s, %s))" % (printer.np("zeros"), printer._print(M.rows), printer._print(M.cols))


@NUMPY.register(OneMatrix)
def numpy_ones(M, printer):
    """1 (m x n) -> ``numpy.ones((m, n))``."""
    return "%s((%s, %s))" % (printer.np("ones"), printer._print(M.rows), printer._print(M.cols))


# == codegen ==

@CODEGEN.register(MatrixSymbol)
def codegen_symbol(M, emit, env):
    """X: an argument of the generated function."""
    return emit.param(M)


@CODEGEN.register(Identity)
def codegen_identity(M, emit, env):
    """I_n -> ``B.eye(n)``."""
    return emit.emit(f"B.eye({emit.dim(M.rows)})")


@CODEGEN.register(ZeroMatrix)
def codegen_zeros(M, emit, env):
    """0 (m x n) -> ``B.zeros(m, n)``."""
    return emit.emit(f"B.zeros({emit.dim(M.rows)}, {emit.dim(M.cols)})")


@CODEGEN.register(OneMatrix)
def codegen_ones(M, emit, env):
    """1 (m x n) -> ``B.ones(m, n)``."""
    return emit.emit(f"B.ones({emit.dim(M.rows)}, {emit.dim(M.cols)})")


@PRODUCT_FACTORS.register(Identity)
def factors_of_identity(M, emit, env):
    """A I B = A B: no factor."""
    return []


@APPLY.register(ZeroMatrix)
def apply_zeros(E, emit, W, env):
    """0 W = 0."""
    return emit.emit(f"B.zeros({emit.dim(E.rows)}, {W}.shape[1])")
