"""One workaround for a SymPy 1.14 bug that matcalc's results would otherwise trip.

Asking an assumption of a scalar such as ``tanh(log(det(3 I + X X^T)))`` (printing
does, through ``could_extract_minus_sign``) makes SymPy call ``factor_terms`` on
the determinant's matrix argument, which reaches ``Add.as_content_primitive`` of a
``MatAdd`` and raises ``TypeError: Mix of Matrix and Scalar symbols``.  A matrix
expression has no scalar content to pull out, so matcalc registers the trivial
answer, ``(1, M)``, on ``MatrixExpr`` (it comes before ``Add`` in ``MatAdd``'s MRO).
"""
from sympy import S
from sympy.matrices.expressions.matexpr import MatrixExpr


def _matrix_content_primitive(self, radical=False, clear=True):
    """A matrix expression is its own primitive part: (1, M)."""
    return S.One, self


if "as_content_primitive" not in MatrixExpr.__dict__:
    MatrixExpr.as_content_primitive = _matrix_content_primitive
