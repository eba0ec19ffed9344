"""The Hadamard (elementwise) product ``U ∘ V`` and power ``U^{∘p}``.

    d(U ∘ V) = dU ∘ V + U ∘ dV             d(U^{∘p}) = p U^{∘(p-1)} ∘ dU    (constant p)
    <G, A ∘ L> = <A ∘ G, L>                vec(A ∘ L) = diag(vec A) vec(L)
    (A ∘ B)^T = A^T ∘ B^T                  (A^{∘p})^T = (A^T)^{∘p}
"""
from sympy import MatAdd, MatMul
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

from ..algebra import is_matrix, transpose_of
from ..errors import UnsupportedError
from ..registry import DIFFERENTIAL, TRANSPOSE, VALIDATE, construct
from ..shapes import require_equal_shapes
from ..registry import FUNCTIONS, LATEX, TEXT, sympy_notation
from sympy.printing.precedence import PRECEDENCE
from ..errors import ShapeError

__all__ = ["hadamard"]


def hadamard(*factors):
    """U ∘ V ∘ ... (SymPy's ``HadamardProduct``)."""
    return HadamardProduct(*factors)


construct(HadamardProduct, "matrix", linear=True)
construct(HadamardPower, "matrix")


# == differential ==

@DIFFERENTIAL.register(HadamardProduct, "product rule: d(U ∘ V) = dU ∘ V + U ∘ dV",
                       note=r"product rule for $\circ$")
def d_hadamard(U, d):
    """d(U ∘ V) = dU ∘ V + U ∘ dV."""
    args = list(U.args)
    return MatAdd(*[HadamardProduct(*args[:i], d(a), *args[i + 1:])
                    for i, a in enumerate(args) if d.depends(a)])


@DIFFERENTIAL.register(HadamardPower, "d(U^{∘p}) = p U^{∘(p-1)} ∘ dU",
                       note=r"$\mathrm{d}(U^{\circ p}) = p\,U^{\circ (p-1)} \circ \mathrm{d}U$")
def d_hadamard_power(U, d):
    """d(U^{∘p}) = p U^{∘(p-1)} ∘ dU  (constant p)."""
    base, p = U.args
    if not is_matrix(base) or d.depends(p):
        raise UnsupportedError(f"the Hadamard power {U} with a variable exponent or scalar base")
    if p == 1:
        return d(base)
    power = base if p - 1 == 1 else HadamardPower(base, p - 1)
    return MatMul(p, HadamardProduct(power, d(base)))


# == identification ==


# == simplification ==


# == structure ==

@TRANSPOSE.register(HadamardProduct)
def transpose_hadamard(M):
    """(A ∘ B)^T = A^T ∘ B^T."""
    return HadamardProduct(*[transpose_of(a) for a in M.args])


@TRANSPOSE.register(HadamardPower)
def transpose_hadamard_power(M):
    """(A^{∘p})^T = (A^T)^{∘p}."""
    return HadamardPower(transpose_of(M.base), M.exp)


VALIDATE.register(HadamardProduct)(require_equal_shapes)


# == printing ==


LATEX.register(HadamardProduct)(sympy_notation)   # A \circ \left(B + X\right)


@LATEX.register(HadamardPower)
def latex_hadamard_power(M, printer):
    r"""``A^{\circ 2}``, ``\left(A B\right)^{\circ 1/2}``."""
    return printer.power(M.base, r"\circ " + printer.exponent(M.exp))


@TEXT.register(HadamardProduct)
def text_hadamard(M, printer):
    """``A .* B .* C``; a product, a sum or a Hadamard product factor in parentheses,
    ``(X*C) .* B``, ``(A .* B) .* C`` (``.*`` binds like ``*``, left to right; the parser
    keeps a parenthesized Hadamard product whole)."""
    return " .* ".join(printer.parenthesize(a, PRECEDENCE["Mul"]) for a in M.args)


@TEXT.register(HadamardPower)
def text_hadamard_power(M, printer):
    """``A.^2``, ``(A*B).^(1/2)``."""
    exponent = printer._print(M.exp)
    if not (M.exp.is_Integer or M.exp.is_Symbol):
        exponent = f"({exponent})"
    return f"{printer.postfix_base(M.base)}.^{exponent}"


# == parsing ==


@FUNCTIONS.define("hadamard", args=(2, None))
def read_hadamard(call):
    """hadamard(A, B, ...): the Hadamard product of matrices of equal shapes."""
    factors = [call.matrix(i) for i in range(len(call.args))]
    for i in range(1, len(factors)):
        if call.shape(i) != call.shape(0):
            raise ShapeError(f"hadamard() needs operands of equal shapes, got "
                             f"{call.describe(0)} and {call.describe(i)}")
    return hadamard(*factors)


def hadamard_power(M, p):
    """M^{∘p}: every entry of M raised to p (``A .^ p``)."""
    return HadamardPower(M, p)


# == numeric ==


# == codegen ==
