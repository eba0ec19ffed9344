r"""Sums over an index, ``Σ_{i=a}^{b} T(i)``: the closed form of d(U^k) for large or symbolic k.

    d(U^k) = Σ_{i=0}^{k-1} U^i dU U^{k-1-i}        (constructs/inverse.py builds it)
    d Σ_i T(i) = Σ_i dT(i)        <G, Σ_i T_i(L)> = Σ_i <G_i, L>      vec(Σ_i T_i(L)) = Σ_i J_i vec(L)
    (Σ_i T(i))^T = Σ_i T(i)^T

``matrix_sum`` builds a sum in closed form whenever one exists, so the cost of a power rule
never grows with the exponent:

    Σ_{i=a}^{b} T = (b - a + 1) T                        T free of i
    Σ_i F_1(i) ... F_r(i) = (b - a + 1) P                when the product has a closed form P
                                                         free of i (``PRODUCT_CLOSED_FORMS``:
                                                         U^{i} U^{k-1-i} = U^{k-1}, so
                                                         tr X^k has the gradient k X^{k-1}^T)
    Σ_i c L T(i) R = c L (Σ_i T(i)) R                    c, L, R free of i

The index is a ``Dummy`` (an integer >= 0) chosen from ``INDEX_NAMES`` so that two sums built
alike compare equal.
"""
from sympy import Basic, Dummy, MatAdd, MatMul, Mul, S, Tuple
from sympy.core.sympify import _sympify  # strict: never evaluates a string
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.special import ZeroMatrix
from sympy.printing.precedence import PRECEDENCE, PRECEDENCE_FUNCTIONS

from ..algebra import canonical_product, flat_matmul, matadd, scaled, transpose_of
from ..errors import ResourceLimitError
from ..errors import UnsupportedError
from ..registry import (ATOMIC_TEXT, CANONICAL, COTANGENT, DIFFERENTIAL, JACOBIAN_FACTOR, LATEX, NUMPY,
                        REWRITE, TEXT, TRANSPOSE, VEC, construct)

__all__ = ["MatrixSum", "matrix_sum", "summation_index", "PRODUCT_CLOSED_FORMS",
           "MAX_NUMERIC_TERMS"]

#: the names of the summation indices, outermost free one first
INDEX_NAMES = ("i", "j", "l", "r", "s", "t", "u", "v")
_INDICES = tuple(Dummy(name, integer=True, nonnegative=True) for name in INDEX_NAMES)
#: the NumPy code of a sum with more terms is refused (bounded evaluation)
MAX_NUMERIC_TERMS = 10_000
#: ... or whose terms hold more entries together (they are summed at once)
MAX_NUMERIC_ENTRIES = 10_000_000


def summation_index(*avoid, rebinding=None):
    """A fresh summation index: the first of ``INDEX_NAMES`` not occurring in ``avoid``
    (``rebinding``, the index being replaced, counts as free)."""
    taken = set()
    for expr in avoid:
        taken |= _sympify(expr).atoms(Dummy)
    taken.discard(rebinding)
    for index in _INDICES:
        if index not in taken:
            return index
    return Dummy("k", integer=True, nonnegative=True)


class MatrixSum(MatrixExpr):
    r"""``Σ_{i=a}^{b} T(i)`` for a matrix term T of fixed shape (``\sum_{i=a}^{b} T``)."""

    def __new__(cls, term, limits):
        term = _sympify(term)
        index, lower, upper = (_sympify(a) for a in limits)
        return Basic.__new__(cls, term, Tuple(index, lower, upper))

    @property
    def term(self):
        return self.args[0]

    @property
    def index(self):
        return self.args[1][0]

    @property
    def lower(self):
        return self.args[1][1]

    @property
    def upper(self):
        return self.args[1][2]

    @property
    def count(self):
        """The number of terms, b - a + 1."""
        return self.upper - self.lower + 1

    @property
    def shape(self):
        return self.term.shape

    @property
    def free_symbols(self):
        return ((self.term.free_symbols - {self.index}) | self.lower.free_symbols
                | self.upper.free_symbols)

    def doit(self, **hints):
        term = self.term.doit(**hints) if hints.get("deep", True) else self.term
        return matrix_sum(term, self.index, self.lower, self.upper)

    def _sympystr(self, printer):   # str() prints the registered notation
        return TEXT(self, printer)

    def _latex(self, printer):
        return LATEX(self, printer)


construct(MatrixSum, "matrix", linear=True, refuses={
    "codegen": "a sum over an index has no generated code yet (evaluate it with "
               "matcalc.numeric, or give a concrete small exponent)"})


#: closed forms of a product of factors, tried by ``matrix_sum`` on its term:
#: rule(factors) -> one matrix equal to their product, or None (constructs/inverse.py adds
#: U^a U^b = U^{a+b})
PRODUCT_CLOSED_FORMS = []


def _closed_product(mats):
    for rule in PRODUCT_CLOSED_FORMS:
        merged = rule(mats)
        if merged is not None:
            return merged
    return None


def _depends(expr, index):
    return index in expr.free_symbols


def matrix_sum(term, index, lower, upper):
    """Σ_{index=lower}^{upper} term, in closed form where one exists (see the module)."""
    lower, upper = _sympify(lower), _sympify(upper)
    count = upper - lower + 1
    if count.is_nonpositive:
        return ZeroMatrix(*term.shape)
    if isinstance(term, MatAdd):
        return matadd(*[matrix_sum(t, index, lower, upper) for t in term.args])
    if isinstance(term, ZeroMatrix):
        return term
    if not _depends(term, index):
        return scaled(count, term)
    coeff, mats = flat_matmul(term)
    merged = _closed_product(mats)
    if merged is not None and not _depends(merged, index):
        return canonical_product(summed_coefficient(coeff, index, lower, upper), [merged])
    inside, outside = S.One, S.One
    for factor in Mul.make_args(coeff):
        if _depends(factor, index):
            inside *= factor
        else:
            outside *= factor
    if not any(_depends(F, index) for F in mats):    # only the coefficient varies
        return canonical_product(summed_coefficient(coeff, index, lower, upper), mats)
    first = next(k for k, F in enumerate(mats) if _depends(F, index))
    last = max(k for k, F in enumerate(mats) if _depends(F, index))
    core = canonical_product(inside, mats[first:last + 1])
    fresh = summation_index(core, rebinding=index)
    if fresh != index:
        core = core.xreplace({index: fresh})
    total = MatrixSum(core, (fresh, lower, upper))
    return canonical_product(outside, [*mats[:first], total, *mats[last + 1:]])


def summed_coefficient(coeff, index, lower, upper):
    """Σ_{index=lower}^{upper} coeff for a scalar coefficient: (b - a + 1) c when c is
    free of the index (SymPy's own summation otherwise)."""
    if not _depends(coeff, index):
        return (upper - lower + 1) * coeff
    from sympy import Sum, summation
    try:
        return summation(coeff, (index, lower, upper))
    except RecursionError:      # SymPy's summation of some symbolic powers never ends
        raise UnsupportedError(f"the sum over {index} of {coeff}",
                               "SymPy's summation does not terminate on it") from None
    except (ValueError, TypeError, AttributeError, NotImplementedError):
        # SymPy's algorithms ask questions a matrix-bearing coefficient cannot answer (its
        # Heaviside asked whether tr(...)-like terms are real): the sum stays a sum
        return Sum(coeff, (index, lower, upper))


# == differential ==

@DIFFERENTIAL.register(MatrixSum, "d Σ_i T(i) = Σ_i dT(i)",
                       note=r"$\mathrm{d}\sum_i T_i = \sum_i \mathrm{d}T_i$")
def d_matrix_sum(U, d):
    """d Σ_i T(i) = Σ_i dT(i).

    Inside the sum the exponent b - i of a power sum is >= 0: it is differentiated as a
    nonnegative symbol (d(U^{b-i}) is then a sum itself) and put back.  The index is held
    by a private symbol meanwhile, so that the sums dT(i) holds bind indices of their own."""
    outer = Dummy("outer", integer=True, nonnegative=True)
    complement = Dummy("complement", integer=True, nonnegative=True)
    upper = U.upper
    body = U.term.xreplace({U.index: outer}).xreplace({upper - outer: complement})
    dT = d(body).xreplace({complement: upper - outer})
    index = summation_index(dT, rebinding=outer)
    return matrix_sum(dT.xreplace({outer: index}), index, U.lower, upper)


# == identification ==

@COTANGENT.register(MatrixSum)
def cotangent_matrix_sum(L, G, walk):
    """<G, Σ_i T_i(L)> = Σ_i <G_i, L>: the cotangent of each term, summed."""
    for part in walk(L.term, G):
        yield matrix_sum(part, L.index, L.lower, L.upper)


@VEC.register(MatrixSum)
def vec_matrix_sum(L, walk):
    """vec(Σ_i T_i(L)) = Σ_i J_i vec(L)."""
    for J in walk(L.term):
        yield matrix_sum(J, L.index, L.lower, L.upper)


# == simplification ==

@REWRITE.register(MatrixSum)
def closed_form(e):
    """A sum in closed form where its term allows one (see ``matrix_sum``)."""
    out = matrix_sum(e.term, e.index, e.lower, e.upper)
    return e if out == e else out


#: a sum of at most this many terms is written out to decide equality
EXPANDED_FOR_EQUALITY = 16


@CANONICAL.register(MatrixSum)
def written_out(e):
    """Σ_{i=a}^{b} T(i) = T(a) + ... + T(b) for a few concrete terms (equality only)."""
    count = e.count
    if not (count.is_Integer and count <= EXPANDED_FOR_EQUALITY):
        return e
    return matadd(*[e.term.xreplace({e.index: e.lower + value}) for value in range(int(count))])


@JACOBIAN_FACTOR.register(MatrixSum)
def canonical_sum_factor(F, form):
    """Σ_i J_i with each J_i in Kronecker form (constant factors out of the sum)."""
    from ..simplify.kronecker_form import simplify_jacobian
    term = simplify_jacobian(F.term)
    out = matrix_sum(term, F.index, F.lower, F.upper)
    coeff, mats = flat_matmul(out)
    return coeff, (mats[0] if len(mats) == 1 else MatMul(*mats))


# == structure ==

@TRANSPOSE.register(MatrixSum)
def transpose_matrix_sum(M):
    """(Σ_i T(i))^T = Σ_i T(i)^T."""
    return MatrixSum(transpose_of(M.term), M.args[1])


# == printing ==

def _named_term(M):
    """The term with its index as a plain symbol of the index's name (for printing: any
    printer, also SymPy's own, prints it as ``i``)."""
    from sympy import Symbol
    return M.term.xreplace({M.index: Symbol(M.index.name, integer=True)})


@LATEX.register(MatrixSum)
def latex_matrix_sum(M, printer):
    r"""``\sum_{i=0}^{k - 1} X^{i} A X^{k - i - 1}``."""
    term = printer._print(_named_term(M))
    if isinstance(M.term, MatAdd):
        term = r"\left(%s\right)" % term
    return r"\sum_{%s=%s}^{%s} %s" % (M.index.name, printer._print(M.lower),
                                      printer._print(M.upper), term)


@TEXT.register(MatrixSum)
def text_matrix_sum(M, printer):
    """``sum(i, 0, k - 1, X^i*A*X^(k - i - 1))``: index, bounds, term (printed only)."""
    return "sum(%s, %s, %s, %s)" % (M.index.name, printer._print(M.lower),
                                    printer._print(M.upper), printer._print(_named_term(M)))


ATOMIC_TEXT.register(MatrixSum)(lambda M: True)   # sum(...) is a call
# a sum binds like a sum: a product parenthesizes it, \left(\sum_i ...\right) B
PRECEDENCE_FUNCTIONS.setdefault("MatrixSum", lambda M: PRECEDENCE["Add"])


# == numeric ==

@NUMPY.register(MatrixSum)
def numpy_matrix_sum(M, printer):
    """Σ_{i=a}^{b} T(i) -> ``numpy.sum([T(i) for i in range(a, b + 1)] + [zeros], axis=0)``;
    refused up front beyond ``MAX_NUMERIC_TERMS`` terms or ``MAX_NUMERIC_ENTRIES`` entries
    held at once."""
    count = M.count
    if count.is_Integer:
        entries = count * M.shape[0] * M.shape[1]
        if count > MAX_NUMERIC_TERMS or (entries.is_Integer and entries > MAX_NUMERIC_ENTRIES):
            raise ResourceLimitError(
                f"a sum of {count} terms ({describe_sum(M)}); the evaluator evaluates sums of "
                f"at most {MAX_NUMERIC_TERMS:,} terms and {MAX_NUMERIC_ENTRIES:,} entries")
    from sympy import Symbol
    name = printer.fresh_name("i")
    term = printer._print(M.term.xreplace({M.index: Symbol(name, integer=True)}))
    rows, cols = (printer._print(d) for d in M.shape)
    return ("%s([%s for %s in range(int(%s), int(%s) + 1)] + [%s((%s, %s))], axis=0)"
            % (printer.np("sum"), term, name, printer._print(M.lower), printer._print(M.upper),
               printer.np("zeros"), rows, cols))


def describe_sum(M):
    return f"Σ_{{{M.index.name}={M.lower}}}^{{{M.upper}}} of a {M.shape[0]} x {M.shape[1]} term"
