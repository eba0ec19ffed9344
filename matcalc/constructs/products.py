"""Matrix products and sums: ``MatMul`` (c U V ...) and ``MatAdd`` (U + V + ...).

    d(U + V) = dU + dV                       d(c U V) = dc U V + c dU V + c U dV
    <G, A L B> = <A^T G B^T, L>              <G, s A> = s tr(G^T A)     (s a scalar differential)
    vec(c A L B) = c (B^T ⊗ A) vec(L)        vec(s M) = vec(M) vec(G)^T vec(dX)  (s = <G, dX>)
    (c A B)^T = c B^T A^T                    (A + B)^T = A^T + B^T
"""
from sympy import Add, Identity, MatAdd, MatMul, Mul, S
from sympy.matrices.expressions.special import ZeroMatrix
from sympy.printing.precedence import PRECEDENCE, precedence_traditional

from ..codegen.plan import Computed, StructuredFactor, elementwise_cost
from ..algebra import (canonical_product, flat_matmul, is_matrix, matadd, matmul, product, scaled,
                       split_coeff, transpose_of)
from ..errors import ShapeError
from ..registry import (APPLY, CODEGEN, COTANGENT, DIFFERENTIAL, HADAMARD_FORM, JACOBIAN_FACTOR,
                        LATEX, NUMPY, ONE_BY_ONE, REWRITE, STRUCTURED_FACTOR, TEXT, TRANSPOSE,
                        VALIDATE, VEC, construct)
from ..shapes import require_equal_shapes, same_size, shape_text
from ..simplify.rewrite import negated
from .kronecker import kron
from .scalars import is_compound_scalar, scalar, scalar_value
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


@REWRITE.register(MatAdd)
def one_by_one_sum(e):
    """A 1x1 sum is its scalar times I_1: x1 x2 I_1 + x2 x1 = 2 x1 x2 I_1."""
    if tuple(e.shape) != (1, 1):
        return e
    return scaled(Add(*[scalar_value(t) for t in e.args]), Identity(1))


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

def _one_by_one_runs(mats):
    """(i, j) spans of contiguous factors forming a 1x1 product (a row ... a column),
    leftmost first, never the whole product."""
    runs, i = [], 0
    while i < len(mats):
        if mats[i].shape[0] == 1:
            j = next((k for k in range(i, len(mats)) if mats[k].shape[1] == 1), None)
            if j is not None and (i, j) != (0, len(mats) - 1):
                runs.append((i, j))
                i = j + 1
                continue
        i += 1
    return runs


@REWRITE.register(MatMul)
def one_by_one_factors(e):
    """A 1x1 factor or run of factors inside a longer product is a scalar coefficient:
    A x (x^T A x)^{-1} = (x^T A x)^{-1} A x,   x x^T x = (x^T x) x."""
    coeff, mats = flat_matmul(e)
    runs = _one_by_one_runs(mats) if len(mats) > 1 else []
    if not runs:
        return e
    if sum(j - i + 1 for i, j in runs) == len(mats):     # a product of 1x1 runs: c I_1
        values = [scalar_value(product(mats[i:j + 1])) for i, j in runs]
        return scaled(coeff * Mul(*values), Identity(1))
    kept, start = [], 0
    for i, j in runs:
        kept.extend(mats[start:i])
        run = mats[i:j + 1]
        coeff = coeff * scalar_value(run[0] if len(run) == 1 else MatMul(*run))
        start = j + 1
    kept.extend(mats[start:])
    return canonical_product(coeff, kept)

@HADAMARD_FORM.register(MatAdd)
def hadamard_form_sum(M, form):
    """A + B: the sum of the polynomials."""
    total = form.of(M.args[0])
    for a in M.args[1:]:
        total = total + form.of(a)
    return total


@HADAMARD_FORM.register(MatMul, when=lambda M: len(flat_matmul(M)[1]) == 1)
def hadamard_form_scaled(M, form):
    """c A: c times A's polynomial (a product of matrices is an atom: no rule, so the normal
    form neither looks inside W tanh(Z) nor counts a deep network's layers as one region)."""
    coeff, mats = flat_matmul(M)
    return form.of(mats[0]).scale(coeff)

@ONE_BY_ONE.register(MatMul)
def one_by_one_product(M):
    """A 1x1 c F_1 ... F_k of 1x1 factors is c f_1 ... f_k (x^T A x stays whole)."""
    coeff, mats = flat_matmul(M)
    if all(tuple(m.shape) == (1, 1) for m in mats):
        return coeff * Mul(*[scalar_value(m) for m in mats])
    return coeff * scalar(product(mats))


@ONE_BY_ONE.register(MatAdd)
def one_by_one_sum_value(M):
    """A 1x1 A + B is a + b."""
    return Add(*[scalar_value(t) for t in M.args])


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
    if matrices == [Identity(1)]:       # a 1x1 result c I_1 is written as the scalar c
        return printer._print(coeff)
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

@NUMPY.register(MatMul)
def numpy_product(M, printer):
    """c A B ... -> ``c*(A @ B @ ...)``: the scalar coefficient times the matrix chain."""
    coeff, matrices = M.as_coeff_matrices()
    if not matrices:
        return printer._print(coeff)
    chain = " @ ".join(printer.operand(m) for m in matrices)
    if coeff == 1:
        return "(%s)" % chain
    if coeff == -1:
        return "(-(%s))" % chain
    return "(%s*(%s))" % (printer.operand(coeff), chain)


@NUMPY.register(MatAdd)
def numpy_sum(M, printer):
    """A + B + ... -> ``(A + B + ...)``."""
    return "(%s)" % " + ".join(printer._print(a) for a in M.args)


# == codegen ==

@CODEGEN.register(MatMul)
def codegen_product(M, emit, env):
    """c A B ...: the chain multiplied in the cheapest order for the concrete sizes."""
    coeff, mats = M.as_coeff_matrices()
    return emit.chain(mats, env, coeff)


@CODEGEN.register(MatAdd)
def codegen_sum(M, emit, env):
    """A + B - c C: a term with a negative numeric coefficient is subtracted."""
    parts = []
    for t in M.args:
        if isinstance(t, ZeroMatrix):
            continue
        negative, name = False, None
        if isinstance(t, MatMul):
            coeff, mats = t.as_coeff_matrices()
            c, rest = coeff.as_coeff_Mul()
            if c.is_negative:
                negative, name = True, emit.chain(mats, env, -c * rest)
        parts.append((negative, name or emit.value(t, env)))
    if not parts:
        raise AssertionError("a sum of zeros reaches the emitter")
    return emit.signed_sum(parts)


@STRUCTURED_FACTOR.register(MatAdd)
class SumFactor(StructuredFactor):
    """A + B - C in a product: formed and multiplied, ``(A + B) W``, or distributed,
    ``A W + B W`` with each term's own chain in its cheapest order -- whichever the chain
    plan finds cheaper at the concrete sizes (``form_cost`` against ``apply_cost``).  At
    n = 1000, ``(A + A^T) x`` is distributed (the n^2 sum costs more than a second
    matrix-vector product); with 30 columns instead of x, or A bound as a constant (the sum
    formed once), it is formed."""

    def __init__(self, M, emit):
        self.expr, self.emitter, self.shape = M, emit, emit.shape(M)
        self.terms = []
        for t in M.args:
            if not isinstance(t, ZeroMatrix):
                coeff, mats = t.as_coeff_matrices() if isinstance(t, MatMul) else (S.One, [t])
                self.terms.append((coeff, list(mats)))
        self.constant = emit.is_constant(M)

    def form(self, emit, env):
        return emit.value(self.expr, env)

    def form_cost(self):
        return self.emitter.cost(self.expr, self.env)

    def apply_cost(self, columns, side="left", constant=False):
        emit = self.emitter
        if side == "left":
            W = Computed("_cost_w", (self.shape[1], columns), constant)
            rows, cols = self.shape[0], columns
            costs = [emit.chain_cost(mats + [W], self.env) for _, mats in self.terms]
        else:
            W = Computed("_cost_w", (columns, self.shape[0]), constant)
            rows, cols = columns, self.shape[1]
            costs = [emit.chain_cost([W] + mats, self.env) for _, mats in self.terms]
        return sum(costs) + elementwise_cost(rows * cols, len(self.terms))

    def apply_left(self, emit, W, env):
        return self.distributed(emit, env, lambda mats: mats + [emit.computed(W)])

    def apply_right(self, emit, W, env):
        return self.distributed(emit, env, lambda mats: [emit.computed(W)] + mats)

    def distributed(self, emit, env, with_neighbour):
        """The sum of c_t (term_t with the neighbour), a negative c_t subtracted."""
        parts = []
        for coeff, mats in self.terms:
            negative = bool(coeff.is_Number and coeff.is_negative)
            parts.append((negative, emit.chain(with_neighbour(mats), env,
                                               -coeff if negative else coeff)))
        return emit.signed_sum(parts)


@APPLY.register(MatAdd)
def apply_sum(E, emit, W, env):
    """(A + B - C) W = A W + B W - C W: the sum never formed."""
    parts = []
    for t in E.args:
        if isinstance(t, ZeroMatrix):
            continue
        c, rest = emit.split(t)
        negative = bool(c.is_Number and c.is_negative)
        parts.append((negative, emit.apply(MatMul(-c, rest) if negative else t, W, env)))
    if not parts:
        return emit.emit(f"B.zeros({emit.shape(E)[0]}, {W}.shape[1])")
    return emit.signed_sum(parts)


@APPLY.register(MatMul)
def apply_product(E, emit, W, env):
    """(c A B) W = c (A (B W)): applied right to left."""
    coeff, mats = E.as_coeff_matrices()
    for F in reversed(mats):
        W = emit.apply(F, W, env)
    return emit.scaled(coeff, W, env)
