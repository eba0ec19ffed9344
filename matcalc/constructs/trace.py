"""The trace ``tr(U)``.

    d tr(U) = tr(dU)               <c, tr(L)> = <c I, L>          (c a scalar cotangent)
    tr(M^T) = tr(M)                tr(A + B) = tr A + tr B,  tr(c A) = c tr A   (equality only)
"""
from sympy import default_sort_key
from sympy import Add, Identity, MatAdd, MatMul, OneMatrix, S, Trace, Transpose, ZeroMatrix

from ..algebra import scaled, transpose_of
from ..registry import (ATOMIC_TEXT, CANONICAL, CODEGEN, COTANGENT, DIFFERENTIAL, FUNCTIONS, LATEX,
                        NUMPY, REWRITE, TEXT, VALIDATE, construct)
from ..shapes import require_square
from .scalars import scalar_value

__all__ = ["trace"]


def trace(M):
    """tr(M) (SymPy's ``Trace``)."""
    return Trace(M)


construct(Trace, "scalar", linear=True)


# == differential ==

@DIFFERENTIAL.register(Trace, "d tr(U) = tr(dU)",
                       note=r"$\mathrm{d}\operatorname{tr}(U) = \operatorname{tr}(\mathrm{d}U)$")
def d_trace(s, d):
    """d tr(U) = tr(dU)."""
    return Trace(d(s.arg))


# == identification ==

@COTANGENT.register(Trace)
def cotangent_trace(s, c, walk):
    """<c, tr(L)> = <c I, L>."""
    yield from walk(s.arg, scaled(c, Identity(s.arg.shape[0])))



# == simplification ==


@REWRITE.register(Trace)
def trace_of_transpose(e):
    """tr(M^T) = tr(M)."""
    if isinstance(e.arg, Transpose):
        return Trace(e.arg.arg)
    return e


@REWRITE.register(Trace)
def trace_of_zero(e):
    """tr(0) = 0."""
    return S.Zero if isinstance(e.arg, ZeroMatrix) else e


@CANONICAL.register(Trace)
def trace_linear(e):
    """tr(A + B) = tr A + tr B;  tr(c A) = c tr A (canonical form only)."""
    if isinstance(e.arg, MatAdd):
        return Add(*[Trace(a) for a in e.arg.args])
    if isinstance(e.arg, MatMul):
        coeff, mats = e.arg.as_coeff_matrices()
        if coeff != 1:
            return coeff * Trace(MatMul(*mats))
    return e

@CANONICAL.register(Trace)
def trace_cyclic(e):
    """tr(F_1 ... F_k) = tr(F_i ... F_k F_1 ... F_{i-1}) = tr(F_k^T ... F_1^T): the first
    rotation in SymPy's sort order, of the product or of its transpose (canonical form only)."""
    if not isinstance(e.arg, MatMul):
        return e
    coeff, mats = e.arg.as_coeff_matrices()
    if len(mats) < 2:
        return e
    flipped = [transpose_of(m) for m in reversed(mats)]
    rotations = [seq[i:] + seq[:i] for seq in (mats, flipped) for i in range(len(seq))]
    best = min(rotations, key=lambda seq: [default_sort_key(m) for m in seq])
    if best == mats:
        return e
    return coeff * Trace(MatMul(*best))


@REWRITE.register(Trace)
def trace_of_one_by_one(e):
    """tr(m) = m for a 1x1 m (x^T A x as the scalar it is)."""
    if tuple(e.arg.shape) == (1, 1):
        return scalar_value(e.arg)
    return e


@REWRITE.register(Trace)
def trace_of_constant(e):
    """tr(I_n) = n, tr(1_{n x n}) = n, tr(c I_n) = c n (SymPy's own evaluation, which knows
    these special matrices only)."""
    coeff, mats = e.arg.as_coeff_matrices() if isinstance(e.arg, MatMul) else (1, [e.arg])
    if len(mats) == 1 and isinstance(mats[0], (Identity, OneMatrix)):
        return coeff * mats[0].rows
    return e


# == structure ==

VALIDATE.register(Trace)(require_square)


# == printing ==


@LATEX.register(Trace)
def latex_trace(s, printer):
    r"""``\operatorname{tr}\left(M\right)``."""
    return printer.operator("tr", s.arg)


@TEXT.register(Trace)
def text_trace(s, printer):
    """``tr(M)``."""
    return printer.call(read_trace.name, s.arg)


ATOMIC_TEXT.register(Trace)(lambda s: True)   # tr(M) is a call


# == parsing ==


@FUNCTIONS.define("tr", "trace")
def read_trace(call):
    """tr(M), trace(M): the trace of a square matrix."""
    return trace(call.square_matrix(0))


# == numeric ==

@NUMPY.register(Trace)
def numpy_trace(s, printer):
    """tr(U) -> ``numpy.trace(U)``."""
    return "%s(%s)" % (printer.np("trace"), printer._print(s.arg))


# == codegen ==

@CODEGEN.register(Trace)
def codegen_trace(s, emit, env):
    """tr(F1 ... Fk) = sum((F1..Fm) ∘ (Fm+1..Fk)^T) at the cheapest split: the product is
    never formed; ``B.trace(M)`` otherwise."""
    M = s.arg
    if isinstance(M, MatMul):
        coeff, mats = M.as_coeff_matrices()
        factors = emit.factors(mats, env)
        if len(factors) >= 2:
            plan = emit.plan(factors)
            split = plan.best_trace_split()
            if split is not None:
                left = emit.build(plan, factors, 0, split, env)
                right = emit.build(plan, factors, split + 1, len(factors) - 1, env)
                return emit.scaled(coeff, emit.emit(f"B.trace_of_product({left}, {right})"),
                                   env)
    return emit.emit(f"B.trace({emit.value(M, env)})")
