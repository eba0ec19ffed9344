"""Matrix products and sums: ``MatMul`` (c U V ...) and ``MatAdd`` (U + V + ...).

    d(U + V) = dU + dV                       d(c U V) = dc U V + c dU V + c U dV
    <G, A L B> = <A^T G B^T, L>              <G, s A> = s tr(G^T A)     (s a scalar differential)
    vec(c A L B) = c (B^T ⊗ A) vec(L)        vec(s M) = vec(M) vec(G)^T vec(dX)  (s = <G, dX>)
    (c A B)^T = c B^T A^T                    (A + B)^T = A^T + B^T
"""
from sympy import Identity, MatAdd, MatMul
from sympy.matrices.expressions.special import ZeroMatrix

from ..algebra import (canonical_product, flat_matmul, is_matrix, matadd, matmul, product,
                       scaled, split_coeff, transpose_of)
from ..errors import ShapeError
from ..registry import (COTANGENT, DIFFERENTIAL, JACOBIAN_FACTOR, REWRITE, TRANSPOSE, VALIDATE,
                        VEC, construct)
from ..simplify.rewrite import negated
from ..shapes import require_equal_shapes, same_size, shape_text
from .kronecker import kron
from .trace import trace
from .vec import vec

construct(MatMul, "matrix", linear=True)
construct(MatAdd, "matrix", linear=True)


# == differential ==

@DIFFERENTIAL.register(MatAdd, "linearity: d(U + V) = dU + dV",
                       note="linearity")
def d_sum(U, d):
    """Linearity: d(U + V) = dU + dV."""
    return MatAdd(*[d(a) for a in U.args if d.depends(a)])


@DIFFERENTIAL.register(MatMul, "product rule: d(UV) = dU V + U dV",
                       note="product rule")
def d_matmul(U, d):
    """Product rule: d(c U V) = dc U V + c dU V + c U dV."""
    coeff, mats = U.as_coeff_matrices()
    terms = []
    if d.depends(coeff):
        terms.append(MatMul(d(coeff), *mats))
    lead = [] if coeff == 1 else [coeff]
    for i, factor in enumerate(mats):
        if d.depends(factor):
            terms.append(MatMul(*lead, *mats[:i], d(factor), *mats[i + 1:]))
    return MatAdd(*terms)


# == identification ==

@COTANGENT.register(MatAdd)
def cotangent_sum(L, G, walk):
    """<G, A + B> = <G, A> + <G, B>."""
    for a in L.args:
        yield from walk(a, G)


@COTANGENT.register(MatMul)
def cotangent_product(L, G, walk):
    """<G, c A L B> = <c A^T G B^T, L>;  <G, s A> = s tr(G^T A) for a scalar differential s."""
    coeff, mats = L.as_coeff_matrices()
    if walk.has(coeff):
        if any(walk.has(m) for m in mats):
            raise walk.nonlinear(L)
        M = MatMul(*mats) if len(mats) > 1 else mats[0]
        yield from walk(coeff, trace(MatMul(transpose_of(G), M)))
        return
    i = next(k for k, m in enumerate(mats) if walk.has(m))
    left, right = mats[:i], mats[i + 1:]
    parts = [transpose_of(m) for m in reversed(left)] + [G] + [transpose_of(m) for m in reversed(right)]
    cot = MatMul(coeff, *parts) if coeff != 1 else MatMul(*parts)
    if len(parts) == 1 and coeff == 1:
        cot = G
    yield from walk(mats[i], cot)

@VEC.register(MatAdd)
def vec_sum(L, walk):
    """vec(A + B) = vec(A) + vec(B)."""
    for a in L.args:
        yield from walk(a)


@VEC.register(MatMul)
def vec_product(L, walk):
    """vec(c A L B) = c (B^T ⊗ A) vec(L);  vec(s M) = vec(M) vec(G)^T  (s = <G, dX> scalar)."""
    coeff, mats = flat_matmul(L)
    linear = [k for k, m in enumerate(mats) if walk.has(m)]
    if walk.has(coeff):
        if linear:
            raise walk.nonlinear(L)
        row = walk.scalar_row(coeff)
        if not isinstance(row, ZeroMatrix):
            yield MatMul(vec(product(mats)), row)
        return
    if len(linear) != 1:
        raise walk.nonlinear(L)
    i = linear[0]
    inner = mats[i]
    A = product(mats[:i]) if i > 0 else Identity(inner.shape[0])
    B = product(mats[i + 1:]) if i + 1 < len(mats) else Identity(inner.shape[1])
    left = kron(transpose_of(B), A)
    for J in walk(inner):
        yield scaled(coeff, MatMul(left, J))


# == simplification ==


@REWRITE.register(MatMul, order=50)
def absorb_sign(e):
    """-A diag(σ² - σ) B = A diag(σ - σ²) B: a negative coefficient absorbed by a factor
    that can take the sign (``NEGATE`` rules)."""
    if not isinstance(e, MatMul):
        return e
    coeff, mats = e.as_coeff_matrices()
    if coeff.is_Number and coeff < 0:
        for i, m in enumerate(mats):
            flipped = negated(m)
            if flipped is not None:
                return canonical_product(-coeff, [*mats[:i], flipped, *mats[i + 1:]])
    return e


@REWRITE.register(MatMul, order=100)
def canonical_matmul(e):
    """SymPy's own canonical product: identities out, powers merged, U U^{-1} = I
    (a scaled sum c (A + B) kept factored)."""
    coeff, mats = e.as_coeff_matrices()
    if len(mats) == 1 and isinstance(mats[0], MatAdd):
        return e
    return matmul(coeff, *mats)


@REWRITE.register(MatAdd, order=100)
def canonical_matadd(e):
    """A flat sum in a fixed order."""
    return matadd(*e.args)

@JACOBIAN_FACTOR.register(MatMul)
def split_product_factor(F, form):
    """c A B -> (c, A B)."""
    return split_coeff(F)


# == structure ==

@TRANSPOSE.register(MatMul)
def transpose_matmul(M):
    """(c A B)^T = c B^T A^T."""
    coeff, mats = M.as_coeff_matrices()
    return matmul(coeff, *[transpose_of(m) for m in reversed(mats)])


@TRANSPOSE.register(MatAdd)
def transpose_matadd(M):
    """(A + B)^T = A^T + B^T."""
    return matadd(*[transpose_of(a) for a in M.args])


VALIDATE.register(MatAdd)(require_equal_shapes)


@VALIDATE.register(MatMul)
def validate_product(node):
    """The factors of a product are conformable."""
    mats = [a for a in node.args if is_matrix(a)]
    for left, right in zip(mats, mats[1:]):
        if not same_size(left.shape[1], right.shape[0]):
            raise ShapeError(f"the product {node} is not conformable: {left} is "
                             f"{shape_text(left)}, {right} is {shape_text(right)}")


# == printing ==


# == parsing ==


# == numeric ==


# == codegen ==
