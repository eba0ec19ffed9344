"""Workarounds for three SymPy 1.14 behaviours that matcalc's results would otherwise trip.

1. Asking an assumption of a scalar such as ``tanh(log(det(3 I + X X^T)))`` (printing
   does, through ``could_extract_minus_sign``) makes SymPy call ``factor_terms`` on the
   determinant's matrix argument, which reaches ``Add.as_content_primitive`` of a
   ``MatAdd`` and raises ``TypeError: Mix of Matrix and Scalar symbols``.  A matrix
   expression has no scalar content to pull out, so matcalc registers the trivial
   answer, ``(1, M)``, on ``MatrixExpr`` (it comes before ``Add`` in ``MatAdd``'s MRO).

2. Printing a product or a sum of matrices asks ``could_extract_minus_sign`` (SymPy's
   printers choose parentheses and signs with it, ``precedence`` of every product does).
   For ``MatMul`` and ``MatAdd`` SymPy answers by building ``-self``, and
   ``MatrixExpr.__neg__`` is ``MatMul(-1, self).doit()``: a *deep* ``doit`` of the whole
   expression, at every node the printer visits -- quadratic at best, and a
   ``DiagMatrix`` inside makes each ``doit`` ask ``Q.diagonal`` of its vector through the
   SAT solver.  ``str`` of a 200-character gradient took minutes (issue 11).  A predicate
   needs no evaluation: a product's sign is its numeric coefficient's, and a sum is
   compared with its negation built one level deep (``doit(deep=False)``, the same
   top-level form as SymPy's for an expression whose arguments are already evaluated,
   which a result's are).

3. SymPy does not cache ``.shape``: ``MatMul.shape`` asks its first and last factors,
   ``HadamardProduct.shape``, ``ElementwiseApplyFunction.shape`` and ``Transpose.shape``
   their argument's, so the shape of a node nested K deep costs O(K) and every node the
   engine builds asks it (SymPy validates shapes on construction): the K = 64 network's
   gradient asked ``MatMul.shape`` 161,811 times for 4,930 distinct nodes (issue 15).
   Expressions are immutable, so each compound matrix expression keeps its shape once
   computed (in its instance dictionary; equality and hashing use ``args`` only).
   Likewise a product's one-level canonical form, ``MatMul(...).doit(deep=False)``: the
   simplifier asks it of the same products again and again (512 calls for 128 products in
   the K = 64 chain tr(A_1 X ... A_K X), each O(factors) with an ``Inverse`` built per factor
   by SymPy's ``combine_powers``).
"""
from sympy import MatAdd, MatMul, S
from sympy.core.cache import cacheit
from sympy.matrices.expressions.matexpr import MatrixExpr, MatrixSymbol


def _matrix_content_primitive(self, radical=False, clear=True):
    """A matrix expression is its own primitive part: (1, M)."""
    return S.One, self


if "as_content_primitive" not in MatrixExpr.__dict__:
    MatrixExpr.as_content_primitive = _matrix_content_primitive


def _product_could_extract_minus_sign(self):
    """c A B ... has a minus sign to extract when its coefficient c is a negative number."""
    coeff = self.args[0]
    return bool(coeff.is_Number and coeff.is_extended_negative)


def _sum_could_extract_minus_sign(self):
    """SymPy's rule for sums (more negative terms than positive ones; a tie is broken by
    comparing sort keys with the negation), the negation built without a deep ``doit``."""
    negative = sum(1 for term in self.args if term.could_extract_minus_sign())
    positive = len(self.args) - negative
    if positive != negative:
        return positive < negative
    return bool(self.sort_key() < MatMul(S.NegativeOne, self).doit(deep=False).sort_key())


if "could_extract_minus_sign" not in MatMul.__dict__:
    MatMul.could_extract_minus_sign = _product_could_extract_minus_sign
if "could_extract_minus_sign" not in MatAdd.__dict__:
    MatAdd.could_extract_minus_sign = _sum_could_extract_minus_sign


def _cached_shape(computed):
    """The ``shape`` property ``computed``, kept on the instance after its first use."""
    def shape(self):
        known = self.__dict__.get("_matcalc_shape")
        if known is None:
            known = self.__dict__["_matcalc_shape"] = computed.fget(self)
        return known
    return property(shape, doc=computed.__doc__)


def _cache_shapes(cls):
    """Cache the computed ``shape`` of ``cls`` and its subclasses (leaves excluded: a
    symbol's shape is its arguments already)."""
    for sub in cls.__subclasses__():
        own = sub.__dict__.get("shape")
        if isinstance(own, property) and not issubclass(sub, MatrixSymbol) \
                and not getattr(own.fget, "__wrapped_shape__", False):
            cached = _cached_shape(own)
            cached.fget.__wrapped_shape__ = True
            sub.shape = cached
        _cache_shapes(sub)


_cache_shapes(MatrixExpr)


_matmul_doit = MatMul.doit


@cacheit     # SymPy's cache: emptied by ``clear_cache()`` like SymPy's own
def _shallow_doit(product):
    return _matmul_doit(product, deep=False)


def _cached_shallow_doit(self, **hints):
    """``MatMul.doit``; the one-level form (``deep=False``) remembered per product."""
    if hints != {"deep": False}:
        return _matmul_doit(self, **hints)
    return _shallow_doit(self)


if getattr(MatMul.doit, "__name__", "") != "_cached_shallow_doit":
    MatMul.doit = _cached_shallow_doit
