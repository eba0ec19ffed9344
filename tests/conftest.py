"""Shared fixtures: symbols with symbolic sizes and the gradient assertion used everywhere.

Every derivative a test asserts goes through ``assert_gradient``: the symbolic
result is compared with the Cookbook form (exactly, or on the canonical form),
and both are checked numerically against finite differences by the evaluator.
"""
import os

# The tests evaluate thousands of tiny matrices: BLAS threads only contend for the (shared)
# cores -- SciPy's expm of a 5 x 5 matrix took 5 ms with them on a loaded 2-core machine,
# 0.1 ms without.  Set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402

import matcalc  # noqa: E402  (first: it sizes SymPy's cache before SymPy is imported)
from sympy import MatrixSymbol, symbols  # noqa: E402
from matcalc.simplify import equal_forms  # noqa: E402

n, m, k, p = symbols("n m k p", integer=True, positive=True)


def assert_gradient(f, X, expected=None, *, text=None, layout="denominator", structure=None,
                    rtol=1e-6, symbolic=True):
    """grad(f, X) equals ``expected`` (symbolically when ``symbolic``), and both pass the
    finite-difference check; ``text`` pins the exact printed form."""
    G = matcalc.grad(f, X, layout=layout, structure=structure)
    report = matcalc.check(f, X, G, layout=layout, structure=structure, rtol=rtol)
    assert report.passed, f"numeric check failed for grad = {G}: {report}"
    if expected is not None:
        ref = matcalc.check(f, X, expected, layout=layout, structure=structure, rtol=rtol)
        assert ref.passed, f"the reference form {expected} itself fails: {ref}"
        if symbolic:
            assert equal_forms(G, expected), f"grad = {G} is not symbolically {expected}"
    if text is not None:
        assert str(G) == text, f"printed {G}, expected {text}"
    return G


def assert_derived(f, wrt, text, kind="gradient"):
    """The gradient / Jacobian / Hessian of ``f`` prints as ``text`` in the language
    (``text_form``) and passes the finite-difference check; returns it."""
    from matcalc.derivatives import hessian, jacobian
    from matcalc.numeric import check_hessian, check_jacobian
    from matcalc.printing.text import text_form
    derive, check = {"gradient": (matcalc.grad, matcalc.check),
                     "jacobian": (jacobian, check_jacobian),
                     "hessian": (hessian, check_hessian)}[kind]
    result = derive(f, wrt)
    assert text_form(result) == text
    report = check(f, wrt, result)
    assert report.passed, report
    return result


@pytest.fixture
def dims():
    return n, m, k, p


def mats(names, rows, cols=None):
    cols = rows if cols is None else cols
    return [MatrixSymbol(s, rows, cols) for s in names.split()]
