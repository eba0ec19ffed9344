"""The Hadamard (elementwise) product ``U ∘ V`` and power ``U^{∘p}``.

    d(U ∘ V) = dU ∘ V + U ∘ dV             d(U^{∘p}) = p U^{∘(p-1)} ∘ dU    (constant p)
    <G, A ∘ L> = <A ∘ G, L>                vec(A ∘ L) = diag(vec A) vec(L)
    (A ∘ B)^T = A^T ∘ B^T                  (A^{∘p})^T = (A^T)^{∘p}
"""
from collections import Counter

from sympy import Identity, MatAdd, MatMul, Mul, S, Transpose, default_sort_key, log
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import OneMatrix
from sympy.printing.precedence import PRECEDENCE

from ..algebra import (canonical_product, flat_matmul, is_matrix, matadd, scaled, split_coeff,
                       transpose_of)
from ..errors import ShapeError, UnsupportedError
from ..registry import (CANONICAL, CODEGEN, COTANGENT, DIFFERENTIAL, ENTRY, FUNCTIONS,
                        HADAMARD_FORM, LATEX, NUMPY, REWRITE, TEXT, TRANSPOSE, VALIDATE, VEC,
                        construct, sympy_notation)
from ..shapes import require_equal_shapes
from ..simplify.rewrite import absorbed, tidied
from .vec import Vec, vec

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
    """d(U^{∘p}) = p U^{∘(p-1)} ∘ dU  (constant p);  + U^{∘p} ∘ log(U) dp  (scalar p)."""
    base, p = U.args
    if not is_matrix(base) or is_matrix(p):
        raise UnsupportedError(f"the Hadamard power {U} with a matrix exponent or scalar base")
    terms = []
    if d.depends(p):
        from .elementwise import elementwise   # it imports this module
        terms.append(MatMul(d(p), HadamardProduct(U, elementwise(log, base))))
    if d.depends(base):
        power = base if p - 1 == 1 else HadamardPower(base, p - 1)
        terms.append(d(base) if p == 1 else MatMul(p, HadamardProduct(power, d(base))))
    return MatAdd(*terms) if len(terms) > 1 else terms[0]


# == identification ==

def one_linear_factor(L, walk):
    """(the factor of the product L linear in dX, the other factors)."""
    inner = [a for a in L.args if walk.has(a)]
    if len(inner) != 1:
        raise walk.nonlinear(L)
    return inner[0], [a for a in L.args if a is not inner[0]]


@COTANGENT.register(HadamardProduct)
def cotangent_hadamard(L, G, walk):
    """<G, A ∘ L> = <A ∘ G, L>."""
    inner, others = one_linear_factor(L, walk)
    yield from walk(inner, HadamardProduct(*others, G))

@VEC.register(HadamardProduct)
def vec_hadamard(L, walk):
    """vec(A ∘ L) = diag(vec A) vec(L)."""
    inner, others = one_linear_factor(L, walk)
    A = others[0] if len(others) == 1 else HadamardProduct(*others)
    D = DiagMatrix(vec(A))
    for J in walk(inner):
        yield MatMul(D, J)


# == simplification ==


@REWRITE.register(HadamardPower)
def hadamard_power_one(e):
    """A^{∘1} = A."""
    return e.base if e.exp == 1 else e


@REWRITE.register(HadamardProduct)
def hadamard_scalars(e):
    """(c A) ∘ B = c (A ∘ B)."""
    coeffs, parts = [], []
    for a in e.args:
        c, mats = a.as_coeff_matrices() if isinstance(a, MatMul) else (S.One, [a])
        coeffs.append(c)
        parts.append(mats[0] if len(mats) == 1 else MatMul(*mats))
    c = Mul(*coeffs)
    if c != 1:
        return canonical_product(c, [HadamardProduct(*parts)])
    return e


@REWRITE.register(HadamardProduct)
def hadamard_ones(e):
    """1 ∘ U = U."""
    rest = [a for a in e.args if not isinstance(a, OneMatrix)]
    if len(rest) < len(e.args):
        return rest[0] if len(rest) == 1 else (HadamardProduct(*rest) if rest else e.args[0])
    return e


@REWRITE.register(HadamardProduct)
def diagonal_part_ignores_transpose(e):
    """M^T ∘ I = M ∘ I;  I ∘ I = I."""
    if len(e.args) == 2 and any(isinstance(a, Identity) for a in e.args):
        others = [a for a in e.args if not isinstance(a, Identity)]
        if not others:
            return e.args[0]
        if isinstance(others[0], Transpose):
            return HadamardProduct(others[0].arg, Identity(others[0].shape[0]))
    return e


def _oriented(M):
    """(sign, M') with M = sign M' for a sum M whose leading term -- the least by
    ``default_sort_key`` of its terms without their coefficients -- has a negative
    coefficient: M and -M get the same M'."""
    if not isinstance(M, MatAdd):
        return S.One, M
    parts = [split_coeff(t) for t in M.args]
    c, _ = min(parts, key=lambda p: default_sort_key(p[1]))
    if not c.could_extract_minus_sign():
        return S.One, M
    return S.NegativeOne, matadd(*[scaled(-c, body) for c, body in parts])


@CANONICAL.register(HadamardProduct)
def hadamard_factor_signs(e):
    """(b - a) ∘ U = -((a - b) ∘ U): a sum as a Hadamard factor in one orientation, so that
    A^T(c - b) ∘ U and -A^T(b - c) ∘ U compare equal (∘ does not distribute in the
    canonical form)."""
    sign, args = S.One, []
    for a in e.args:
        c, body = split_coeff(a)
        mats = list(body.args) if isinstance(body, MatMul) else [body]
        for k, F in enumerate(mats):
            s, F = _oriented(F)
            sign, mats[k] = sign * s, F
        args.append(scaled(c, mats[0] if len(mats) == 1 else MatMul(*mats)))
    return e if sign == 1 else scaled(sign, HadamardProduct(*args))


@REWRITE.register(HadamardProduct)
def diagonal_part_of_scaled_rows(e):
    """(diag(v) M) ∘ I = diag(v ∘ diagvec(M)) = (M diag(v)) ∘ I: scaling rows or columns
    scales the diagonal."""
    from .diagonal import diagonal_entries, diagvec   # diagonal.py builds on this module
    if len(e.args) != 2 or not any(a.is_Identity for a in e.args):
        return e
    M = next(a for a in e.args if not a.is_Identity)
    coeff, mats = flat_matmul(M)
    for k in (0, len(mats) - 1):
        v = diagonal_entries(mats[k]) if len(mats) > 1 else None
        if v is not None:
            rest = mats[1:] if k == 0 else mats[:-1]
            inner = rest[0] if len(rest) == 1 else MatMul(*rest)
            return scaled(coeff, DiagMatrix(hadamard_collected(v, diagvec(inner))))
    return e


@REWRITE.register(HadamardProduct, order=100)
def hadamard_order(e):
    """Hadamard factors in a fixed order (∘ commutes)."""
    ordered = sorted(e.args, key=default_sort_key)
    return e if list(e.args) == ordered else HadamardProduct(*ordered)

def hadamard_collected(*factors):
    """u ∘ v ∘ ... with nested products flattened, scalars pulled out, ones dropped,
    vec(U) ∘ vec(V) = vec(U ∘ V), and c φ(U) = (c φ)(U) for one elementwise function."""
    coeff, flat = S.One, []
    for f in factors:
        for g in (f.args if isinstance(f, HadamardProduct) else (f,)):
            c, g = split_coeff(g)
            coeff = coeff * c
            if not isinstance(g, OneMatrix):
                flat.append(g)
    flat = _quotients_cancelled(flat)
    if not flat:
        return scaled(coeff, OneMatrix(*factors[0].shape))
    vecs = [g for g in flat if isinstance(g, Vec)]
    if len(vecs) > 1 and all(g.arg.shape == vecs[0].arg.shape for g in vecs):
        inner = HadamardProduct(*sorted((g.arg for g in vecs), key=default_sort_key))
        flat = [g for g in flat if not isinstance(g, Vec)] + [Vec(inner)]
    if len(flat) == 1:
        one = absorbed(coeff, flat[0])
        if one is not None:
            return one
    body = flat[0] if len(flat) == 1 else HadamardProduct(*sorted(flat, key=default_sort_key))
    return scaled(coeff, body)


def _quotients_cancelled(flat):
    """u^{∘p} ∘ u^{∘q} = u^{∘(p+q)} when p or q is negative (a quotient), u^{∘0} = 1: so
    u^{∘-1} ∘ u = 1 (u is nonzero wherever u^{∘-1} is defined). Products of positive
    powers are left as they are written."""
    exponents = {}
    for g in flat:
        base, p = (g.base, g.exp) if isinstance(g, HadamardPower) else (g, S.One)
        exponents.setdefault(base, []).append(p)
    if not any(len(ps) > 1 and any(p.is_negative for p in ps) for ps in exponents.values()):
        return flat
    out, done = [], set()
    for g in flat:
        base = g.base if isinstance(g, HadamardPower) else g
        ps = exponents[base]
        if len(ps) == 1 or not any(p.is_negative for p in ps):
            out.append(g)
        elif base not in done:
            done.add(base)
            total = sum(ps, S.Zero)
            if total != 0:
                out.append(base if total == 1 else HadamardPower(base, total))
    return out


def collect_hadamard(terms, form):
    """sum_i c_i (u_i ∘ f) = (sum_i c_i u_i) ∘ f for a factor f common to every term."""
    split = []
    terms = [tidied(t) for t in terms]
    for t in terms:
        c, body = split_coeff(t)
        split.append((c, list(body.args) if isinstance(body, HadamardProduct) else [body]))
    # a multiset: u ∘ u ∘ v and u ∘ w share one u, not two
    common = Counter(split[0][1])
    for _, fs in split[1:]:
        common &= Counter(fs)
    if not common:
        return form.simplified(matadd(*terms))
    rest = []
    for c, fs in split:
        left = list((Counter(fs) - common).elements())
        rest.append(scaled(c, hadamard_collected(*left) if left else OneMatrix(*terms[0].shape)))
    return hadamard_collected(form.simplified(matadd(*rest)), *common.elements())

@HADAMARD_FORM.register(HadamardProduct)
def hadamard_form_product(M, form):
    """A ∘ B: the product of the polynomials."""
    total = form.of(M.args[0])
    for a in M.args[1:]:
        total = total * form.of(a)
    return total


@HADAMARD_FORM.register(HadamardPower)
def hadamard_form_power(M, form):
    """A^{∘p}: the power of A's polynomial when it has one term."""
    if isinstance(M.exp, MatrixExpr):
        return None
    return form.of(M.base).power(M.exp)


@ENTRY.register(HadamardProduct)
def entry_hadamard(M, m, n, element):
    """(A ∘ B)_{mn} = A_{mn} B_{mn}."""
    return Mul(*[element(a, m, n) for a in M.args])


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
