"""Matrix products and sums: ``MatMul`` (c U V ...) and ``MatAdd`` (U + V + ...).

    d(U + V) = dU + dV                       d(c U V) = dc U V + c dU V + c U dV
    <G, A L B> = <A^T G B^T, L>              <G, s A> = s tr(G^T A)     (s a scalar differential)
    vec(c A L B) = c (B^T ⊗ A) vec(L)        vec(s M) = vec(M) vec(G)^T vec(dX)  (s = <G, dX>)
    (c A B)^T = c B^T A^T                    (A + B)^T = A^T + B^T
"""
from sympy import MatAdd, MatMul

from ..algebra import is_matrix, matadd, matmul, transpose_of
from ..errors import ShapeError
from ..registry import DIFFERENTIAL, TRANSPOSE, VALIDATE, construct
from ..shapes import require_equal_shapes, same_size, shape_text
from ..registry import LATEX, TEXT
from sympy import Mul
from sympy.printing.precedence import PRECEDENCE, precedence_traditional
from .scalars import is_compound_scalar

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


# == simplification ==


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

@LATEX.register(MatMul)
def latex_matmul(expr, printer):
    r"""c A B -> ``c A B``; ``- 2 A``; a sum factor in parentheses: ``A \left(B + C\right)``."""
    coeff, matrices = expr.as_coeff_matrices()
    tex = ""
    if coeff.could_extract_minus_sign():
        tex, coeff = "- ", -coeff
    if coeff != 1:
        if (is_compound_scalar(coeff)
                or printer._needs_mul_brackets(coeff, first=True, last=not matrices)):
            tex += printer._add_parens(printer._print(coeff))
        else:
            with printer.before_matrix():
                tex += printer._print(coeff)
        if matrices:
            tex += " "
    level = PRECEDENCE["Mul"]
    return tex + " ".join(printer._add_parens(printer._print(M))
                          if precedence_traditional(M) <= level else printer._print(M)
                          for M in matrices)


@LATEX.register(MatAdd)
def latex_matadd(expr, printer):
    """A + B - C, a positive term first."""
    return printer.signed_sum(expr)


@TEXT.register(MatMul)
def text_matmul(expr, printer):
    """c*A*B: numbers first (``-2*A*B``, ``(1/2)*A``), then the other factors."""
    factors = []
    for arg in expr.args:
        scalar_product = isinstance(arg, Mul) and not is_matrix(arg)
        factors.extend(Mul.make_args(arg) if scalar_product else [arg])
    coeff = Mul(*[f for f in factors if f.is_number])
    rest = [f for f in factors if not f.is_number]
    sign = ""
    if coeff.is_extended_negative:
        sign, coeff = "-", -coeff
    parts = [] if coeff == 1 else [printer._print(coeff) if coeff.is_Integer
                                   else f"({printer._print(coeff)})"]
    parts += [printer.parenthesize(f, PRECEDENCE["Mul"]) for f in rest]
    return sign + "*".join(parts)


@TEXT.register(MatAdd)
def text_matadd(expr, printer):
    """A + B - C: the positive terms first, then the negative ones after ``-``."""
    terms = [t for t in expr.args if not printer.is_negative(t)] + \
            [t for t in expr.args if printer.is_negative(t)]
    text = ""
    for k, term in enumerate(terms):
        if printer.is_negative(term):
            negated = printer.negative(term)
            body = printer._print(negated)
            if isinstance(negated, MatAdd):   # (twice: as the printer always did)
                body = f"(({body}))"
            text += ("-" if k == 0 else " - ") + body
        else:
            text += ("" if k == 0 else " + ") + printer._print(term)
    return text


# == parsing ==


# == numeric ==


# == codegen ==
