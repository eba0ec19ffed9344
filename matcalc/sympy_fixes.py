"""Workarounds for two SymPy 1.14 behaviours that matcalc's results would otherwise trip.

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
"""
from sympy import MatAdd, MatMul, S
from sympy.matrices.expressions.matexpr import MatrixExpr


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
