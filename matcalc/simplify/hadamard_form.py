"""Elementwise expressions in one normal form: a polynomial in Hadamard products.

An expression built from ``∘``, ``+``, scalar multiples, the ones matrix and functions applied
elementwise to one *base* U is written

    sum_k  a_k ∘ φ_k(U)

where each ``a_k`` is a Hadamard product of the other factors (the *atoms*: y, 1 - y, ...)
and ``φ_k`` one scalar function per atom product, its body in lowest terms.  Like terms
meet there, so the logistic loss's gradient collapses:

    (1 - y) ∘ σ(Xw) - y ∘ (1 - σ(Xw))  =  σ(Xw) - y

Each construct says how it enters the polynomial (its ``HADAMARD_FORM`` rule: a sum adds,
a Hadamard product multiplies, a function of the base is a body); anything else is an atom.
``elementwise_forms`` keeps the normal form where it is shorter (the reader's form);
``canonical_elementwise`` always takes it, with canonical bodies (deciding equality).
"""
from collections import Counter
from functools import lru_cache

from sympy import Dummy, S, default_sort_key
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..algebra import matadd, scaled
from ..registry import ELEMENTWISE_BASE, HADAMARD_FORM, rule_memo
from .monomials import expression_size
from .rewrite import shortest_form

__all__ = ["HadamardPolynomial", "HadamardForm", "elementwise_forms", "canonical_elementwise"]

#: more terms than this and the normal form is not built (it would not be shorter)
MAX_TERMS = 32


class _TooLarge(Exception):
    pass


class HadamardPolynomial:
    """{atoms: body}: atoms a sorted tuple of (atom, power), body a scalar function of the
    base's placeholder (a constant when the term does not involve the base)."""

    def __init__(self, terms):
        self.terms = {k: v for k, v in terms.items() if v != 0}
        if len(self.terms) > MAX_TERMS:
            raise _TooLarge

    @classmethod
    def constant(cls, c):
        return cls({(): c})

    @classmethod
    def atom(cls, M, power=1):
        return cls({((M, power),): S.One})

    def __add__(self, other):
        terms = dict(self.terms)
        for key, body in other.terms.items():
            terms[key] = terms.get(key, S.Zero) + body
        return HadamardPolynomial(terms)

    def __mul__(self, other):
        terms = {}
        for k1, b1 in self.terms.items():
            for k2, b2 in other.terms.items():
                key = _merge_atoms(k1, k2)
                terms[key] = terms.get(key, S.Zero) + b1 * b2
        return HadamardPolynomial(terms)

    def scale(self, c):
        return HadamardPolynomial({k: c * b for k, b in self.terms.items()})

    def power(self, p):
        """The Hadamard power ``P^{∘p}``, when P is one term (else None)."""
        if len(self.terms) != 1:
            return None
        (key, body), = self.terms.items()
        if key and not (p.is_Integer or body == 1):
            return None
        return HadamardPolynomial({tuple((a, e * p) for a, e in key): body ** p})


def _merge_atoms(k1, k2):
    counts = Counter(dict(k1))
    counts.update(dict(k2))
    return tuple(sorted(((a, e) for a, e in counts.items() if e != 0),
                        key=lambda ae: default_sort_key(ae[0])))


class HadamardForm:
    """The polynomial of an expression over one base, and the expression of a polynomial."""

    def __init__(self, base, placeholder, canonical=False):
        self.base, self.u, self.canonical = base, placeholder, canonical

    def of(self, M):
        """The Hadamard polynomial of the matrix expression ``M``."""
        if M == self.base:
            return HadamardPolynomial({(): self.u})
        rule = HADAMARD_FORM.lookup(M)
        found = rule(M, self) if rule is not None else None
        return found if found is not None else HadamardPolynomial.atom(M)

    def body(self, body):
        """A body in lowest terms (the shortest spelling), or canonical (for equality)."""
        if self.canonical:
            return _canonical_body(body)
        return _shortest_body(body.xreplace({self.u: _PLACEHOLDER})).xreplace(
            {_PLACEHOLDER: self.u})

    def rebuild(self, poly, shape, build):
        """The expression of ``poly``: terms with equal bodies share their function,
        ``(a + b) ∘ φ(U)``; ``build(atoms, body)`` makes one term."""
        by_body = {}
        for key, body in sorted(poly.terms.items(), key=lambda kv: default_sort_key(kv[0])):
            body = self.body(body)
            if body != 0:
                by_body.setdefault(body, []).append(key)
        terms = [self._signed(build, keys, body, shape) for body, keys in by_body.items()]
        return matadd(*terms) if terms else None

    def _signed(self, build, keys, body, shape):
        """One term; canonical: the sign of its body outside (φ and -φ are one function
        up to sign, so that t ∘ (σ² - σ³)(U) and -t ∘ (σ³ - σ²)(U) cancel)."""
        if self.canonical and body.could_extract_minus_sign():
            return scaled(S.NegativeOne, build(keys, -body, shape))
        return build(keys, body, shape)


#: the placeholder bodies are memoised over: each form has a placeholder of its own, and
#: the same few bodies (σ(u)(1 - σ(u)) once per layer of a network) recur in every form
_PLACEHOLDER = Dummy("u")


@rule_memo
@lru_cache(maxsize=4096)
def _shortest_body(body):
    """``shortest_form`` of a body over ``_PLACEHOLDER``, once per body (cancel and factor
    cost milliseconds each: 0.9 of the 1.2 s of a K = 16 network's gradient)."""
    return shortest_form(body)


def _canonical_body(body):
    from sympy import cancel, exp
    return cancel(body.rewrite(exp))


def _bases(M):
    """The arguments of the elementwise functions in the region of ``M``, by frequency."""
    counts, stack, seen = Counter(), [M], {M}
    while stack:
        node = stack.pop()
        base = ELEMENTWISE_BASE.lookup(node)
        if base is not None:
            argument = base(node)
            counts[argument] += 1
            if argument not in seen:   # φ(1 - σ(Xw)): Xw is a base too
                seen.add(argument)
                stack.append(argument)
            continue
        if HADAMARD_FORM.lookup(node) is not None:
            for a in node.args:        # a shared subtree is walked once
                if isinstance(a, MatrixExpr) and a not in seen:
                    seen.add(a)
                    stack.append(a)
    return sorted(counts, key=lambda b: (-counts[b], default_sort_key(b)))


def normal_form(M, builder, canonical=False):
    """``M`` as a Hadamard polynomial over its most frequent base, rebuilt; None when M
    has no elementwise function or the polynomial grows too large."""
    bases = _bases(M)
    if not bases:
        return None
    # a placeholder of its own: the bodies' ELEMENT may be bound inside their coefficients
    form = HadamardForm(bases[0], Dummy("u"), canonical)
    try:
        poly = form.of(M)
    except _TooLarge:
        return None
    rebuilt = form.rebuild(poly, M.shape, builder(form))
    return rebuilt


def _region_root(e):
    return isinstance(e, MatrixExpr) and HADAMARD_FORM.lookup(e) is not None


def _walk(expr, replace):
    from .rewrite import bottom_up
    return bottom_up(expr, lambda e: replace(e) if _region_root(e) else e)


def elementwise_forms(expr):
    """``expr`` with every elementwise region in its normal form where that is shorter."""
    from ..constructs.elementwise import elementwise_term

    def replace(e):
        nf = normal_form(e, elementwise_term)
        if nf is not None and expression_size(nf) < expression_size(e):
            return nf
        return e
    return _walk(expr, replace)


def canonical_elementwise(expr):
    """``expr`` with every elementwise region in its normal form, canonical bodies."""
    from ..constructs.elementwise import elementwise_term

    def replace(e):
        nf = normal_form(e, elementwise_term, canonical=True)
        return e if nf is None else nf
    return _walk(expr, replace)
