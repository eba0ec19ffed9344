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
from ..registry import CODEGEN, NUMPY

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


# == parsing ==


# == numeric ==

@NUMPY.register(HadamardProduct)
def numpy_hadamard(M, printer):
    """A ∘ B ∘ ... -> ``numpy.multiply(numpy.multiply(A, B), ...)``."""
    return printer.nested("multiply", M.args)


@NUMPY.register(HadamardPower)
def numpy_hadamard_power(M, printer):
    """A^{∘p} -> ``numpy.power(A, p)`` (p a float, or a matrix of exponents)."""
    base, exp = M.args
    exp_code = printer._print(exp) if is_matrix(exp) else printer.float_exponent(exp)
    return "%s(%s, %s)" % (printer.np("power"), printer._print(base), exp_code)


# == codegen ==

@CODEGEN.register(HadamardProduct)
def codegen_hadamard(M, emit, env):
    """A ∘ B -> ``A * B``."""
    return emit.emit(" * ".join(emit.value(a, env) for a in M.args))


@CODEGEN.register(HadamardPower)
def codegen_hadamard_power(M, emit, env):
    """A^{∘p} -> ``A ** p``."""
    return emit.emit(f"{emit.value(M.base, env)} ** {emit.value(M.exp, env)}")
