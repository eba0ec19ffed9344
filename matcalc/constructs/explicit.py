r"""Explicit matrices (SymPy's ``Matrix``/``ImmutableMatrix``), with symbolic entries, mixed with
matrix symbols: ``Matrix([t*cos(t), t*sin(t)])``, ``v.T*Matrix([[1, 1], [0, 1]])*v``.

    d [a_{ij}] = [d a_{ij}]                     (entry by entry)
    <G, [l_{ij}]> = Σ_{ij} G_{ij} l_{ij}        vec([l_{ij}]) = Σ_{ij} e_{i + j r} vec(∂l_{ij})^T vec(dX)
    [a_{ij}]^T = [a_{ji}]                       A + B, A B, c A of explicit matrices: explicit

An entry is a scalar expression (``v[0]``, ``t*cos(t)``, ``tr(X)``); E_{ij} with concrete
indices and sizes is explicit too, so that the Jacobian of ``Matrix([v[0]**2 + v[1]**2,
v[0]*v[1]])`` with respect to a 2 x 1 ``v`` is the explicit 2 x 2 matrix of MML (5.58).
"""
from sympy import Basic, MatAdd, MatMul, S, Transpose
from sympy.matrices.immutable import ImmutableDenseMatrix

from ..algebra import matmul
from ..dag import distinct_nodes
from ..registry import (COTANGENT, DIFFERENTIAL, LATEX, NUMPY, REWRITE, TEXT, TRANSPOSE, VEC,
                        construct, sympy_notation)
from ..simplify.rewrite import normalize
from .scalars import as_scalar
from .unit_matrix import element, unit_matrix

__all__ = ["is_explicit", "explicit_parts_merged"]


def is_explicit(M):
    """Is M an explicit matrix (entries given)?"""
    return isinstance(M, ImmutableDenseMatrix)


construct(ImmutableDenseMatrix, "matrix", linear=True, refuses={
    "codegen": "an explicit matrix has no generated code yet (NumPy code: matcalc.numeric)"})


def _entries(M):
    """(i, j, entry) of M, row by row."""
    rows, cols = M.shape
    return [(i, j, M[i, j]) for i in range(rows) for j in range(cols)]


# == differential ==

@DIFFERENTIAL.register(ImmutableDenseMatrix, "d [a_ij] = [d a_ij]",
                       note=r"entry by entry")
def d_explicit(M, d):
    """d [a_{ij}] = [d a_{ij}] (each entry a scalar; a 1x1 matrix entry as its scalar)."""
    return ImmutableDenseMatrix(M.shape[0], M.shape[1],
                                [d(as_scalar(a)) if d.depends(a) else S.Zero
                                 for _, _, a in _entries(M)])


# == identification ==

@COTANGENT.register(ImmutableDenseMatrix)
def cotangent_explicit(L, G, walk):
    """<G, [l_{ij}]> = Σ_{ij} <G_{ij}, l_{ij}>."""
    for i, j, a in _entries(L):
        if walk.has(a):
            yield from walk(a, element(G, i, j))


@VEC.register(ImmutableDenseMatrix)
def vec_explicit(L, walk):
    """vec([l_{ij}]) = Σ_{ij} e_{i + j r} vec(G_{ij})^T vec(dX), with l_{ij} = <G_{ij}, dX>."""
    rows, cols = L.shape
    for i, j, a in _entries(L):
        if walk.has(a):
            yield MatMul(unit_matrix(rows * cols, 1, i + j * rows, 0), walk.scalar_row(a))


# == simplification ==

def _evaluated(M):
    return ImmutableDenseMatrix(M.doit(deep=False))


@REWRITE.register(MatAdd, order=50)
def add_explicit(e):
    """A + B = [a_{ij} + b_{ij}] for the explicit terms of a sum."""
    explicit = [t for t in e.args if is_explicit(t)]
    if len(explicit) < 2:
        return e
    total = _evaluated(MatAdd(*explicit))
    rest = [t for t in e.args if not is_explicit(t)]
    return MatAdd(total, *rest) if rest else total


@REWRITE.register(MatMul, order=50)
def multiply_explicit(e):
    """A B = [Σ_k a_{ik} b_{kj}] for adjacent explicit factors; c A = [c a_{ij}] when the
    whole product is explicit."""
    coeff, mats = e.as_coeff_matrices()
    merged, changed = [], False
    for F in mats:
        if merged and is_explicit(merged[-1]) and is_explicit(F):
            merged[-1] = ImmutableDenseMatrix(merged[-1] * F)
            changed = True
        else:
            merged.append(F)
    if len(merged) == 1 and is_explicit(merged[0]):
        return ImmutableDenseMatrix(coeff * merged[0])
    return matmul(coeff, *merged) if changed else e


@REWRITE.register(Transpose)
def transpose_explicit(e):
    """[a_{ij}]^T = [a_{ji}]."""
    return ImmutableDenseMatrix(e.arg.T) if is_explicit(e.arg) else e


def explicit_parts_merged(M):
    """M with its explicit parts combined (sums, products, transposes of explicit matrices),
    when it has any: ``(M + M^T) v`` with ``M + M^T`` one explicit matrix."""
    if not isinstance(M, Basic) or not any(is_explicit(e) for e in distinct_nodes(M)):
        return M
    return normalize(M)


# == structure ==

@TRANSPOSE.register(ImmutableDenseMatrix)
def transpose_explicit_matrix(M):
    """[a_{ij}]^T = [a_{ji}]."""
    return ImmutableDenseMatrix(M.T)


# == printing ==

LATEX.register(ImmutableDenseMatrix)(sympy_notation)   # \left[\begin{matrix}...\end{matrix}\right]
TEXT.register(ImmutableDenseMatrix)(sympy_notation)    # Matrix([[1, 1], [0, 1]]) (printed only)


# == numeric ==

@NUMPY.register(ImmutableDenseMatrix)
def numpy_explicit(M, printer):
    """[a_{ij}] -> ``numpy.array([[...]])`` (SymPy's own NumPy printing)."""
    return printer.print_natively(M)
