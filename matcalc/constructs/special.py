"""The leaves: matrix symbols, the identity I, the zero matrix 0 and the ones matrix 1.

    I^T = I (square)      0^T = 0 (n x m -> m x n)      1^T = 1 (n x m -> m x n)

A leaf is never differentiated by a rule: the variable's differential is dX and any
other leaf is a constant (d = 0).
"""
from sympy import Identity, MatrixSymbol, S
from sympy.matrices.expressions.matexpr import MatrixElement
from sympy.matrices.expressions.special import OneMatrix, ZeroMatrix
from sympy.matrices.expressions.transpose import Transpose

from ..registry import (APPLY, ATOMIC_LATEX, ATOMIC_TEXT, CODEGEN, FUNCTIONS, HADAMARD_FORM, LATEX,
                        NUMPY, ONE_BY_ONE, PRODUCT_FACTORS, REWRITE, TEXT, TRANSPOSE, construct,
                        sympy_notation)
from ..simplify.hadamard_form import HadamardPolynomial

construct(MatrixSymbol, "matrix", leaf=True)
construct(Identity, "matrix", leaf=True)
construct(ZeroMatrix, "matrix", leaf=True)
construct(OneMatrix, "matrix", leaf=True)


# == simplification ==


@ONE_BY_ONE.register(Identity)
@ONE_BY_ONE.register(OneMatrix)
def one_by_one_unit(M):
    """I_1 = 1_{1x1} = 1."""
    return S.One


@ONE_BY_ONE.register(ZeroMatrix)
def one_by_one_zero(M):
    """0_{1x1} = 0."""
    return S.Zero

@HADAMARD_FORM.register(OneMatrix)
def hadamard_form_ones(M, form):
    """1 is the unit of ∘."""
    return HadamardPolynomial.constant(S.One)
@REWRITE.register(MatrixElement)
def entry_of_one_by_one_identity(e):
    """(I_1)_{00} = 1 (a 1x1 product that simplified to I, read as a scalar)."""
    return S.One if isinstance(e.parent, Identity) and e.parent.shape == (1, 1) else e


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

LATEX.register(MatrixSymbol)(sympy_notation)   # X (with SymPy's mat_symbol_style)


@LATEX.register(Identity)
def latex_identity(M, printer):
    """``I_{n}``."""
    return "I_{%s}" % printer._print(M.rows)


@LATEX.register(ZeroMatrix)
def latex_zero(M, printer):
    """``0``: a zero is nearly always a whole result."""
    return "0"


@LATEX.register(OneMatrix)
def latex_ones(M, printer):
    r"""``\mathbf{1}_{n}`` (n x 1), ``\mathbf{1}_{n}^{T}`` (1 x n), ``\mathbf{1}_{m \times n}``."""
    rows, cols = M.shape
    if cols == 1 and rows != 1:
        return r"\mathbf{1}_{%s}" % printer._print(rows)
    if rows == 1 and cols != 1:
        return r"\mathbf{1}_{%s}^{T}" % printer._print(cols)
    return r"\mathbf{1}_{%s \times %s}" % (printer._print(rows), printer._print(cols))


ATOMIC_LATEX.register(MatrixSymbol)(lambda M: True)
ATOMIC_LATEX.register(Identity)(lambda M: True)
ATOMIC_LATEX.register(ZeroMatrix)(lambda M: True)


@ATOMIC_LATEX.register(OneMatrix)
def latex_atomic_ones(M):
    """``\\mathbf{1}_{n}`` is one token; the row ``\\mathbf{1}_{n}^{T}`` is not."""
    return M.shape[0] != 1 or M.shape[1] == 1


TEXT.register(MatrixSymbol)(sympy_notation)   # X: its name


@TEXT.register(Identity)
def text_identity(M, printer):
    """``I(n)``: the size is part of the text, so that it reads back."""
    return printer.call(read_identity.name, M.rows)


@TEXT.register(ZeroMatrix)
def text_zero(M, printer):
    """``zeros(m, n)``."""
    return printer.call(read_zeros.name, *M.shape)


@TEXT.register(OneMatrix)
def text_ones(M, printer):
    """``ones(m, n)``."""
    return printer.call(read_ones.name, *M.shape)


for _leaf in (MatrixSymbol, Identity, ZeroMatrix, OneMatrix):
    ATOMIC_TEXT.register(_leaf)(lambda M: True)   # a name or a call


# == parsing ==

@FUNCTIONS.define("I", "eye", dimensions=True)
def read_identity(call):
    """I(n), eye(n): the n x n identity."""
    return Identity(call.args[0])


@FUNCTIONS.define("zeros", args=(1, 2), dimensions=True)
def read_zeros(call):
    """zeros(m, n): the m x n zero matrix (zeros(n): n x n)."""
    return ZeroMatrix(call.args[0], call.args[-1])


@FUNCTIONS.define("ones", args=(1, 2), dimensions=True)
def read_ones(call):
    """ones(m, n): the m x n matrix of ones (ones(n): n x n)."""
    return OneMatrix(call.args[0], call.args[-1])


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
