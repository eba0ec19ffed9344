"""log1p, the README's worked example of a construct added as one module
(matcalc/constructs/log1p.py): it differentiates, prints, reads back and generates code."""
import numpy as np
from sympy import MatrixSymbol, symbols
from sympy.codegen.cfunctions import log1p

import matcalc
from matcalc.codegen import codegen
from matcalc.constructs.elementwise import elementwise
from matcalc.parse import parse
from matcalc.printing.text import text_form
from conftest import assert_gradient

n = symbols("n", integer=True, positive=True)
x = MatrixSymbol("x", n, 1)


def test_grad_of_log1p_of_a_quadratic_form_is_2x_over_one_plus_it():
    f = parse("log1p(x'*x)").expr
    G = assert_gradient(f, x, text="(2/((x.T*x)[0, 0] + 1))*x")
    assert matcalc.latex(G) == r"\frac{2}{x^{T} x + 1} x"


def test_elementwise_log1p_reads_prints_and_generates_code():
    f = parse("ones(n,1)'*log1p(x)").expr
    G = assert_gradient(f, x)
    assert text_form(G) == "map(u -> 1/(1 + u), x)"
    assert matcalc.latex(f) == r"\mathbf{1}_{n}^{T} \log\left(1 + x\right)"
    assert text_form(elementwise(log1p, x)) == "log1p(x)"
    assert parse("log1p(x)").expr == elementwise(log1p, x)
    values = np.array([0.0, 1e-12, 3.0])
    np.testing.assert_allclose(codegen(elementwise(log1p, x))(x=values).ravel(), np.log1p(values),
                               rtol=1e-15)
    np.testing.assert_allclose(codegen(G)(x=values).ravel(), 1 / (1 + values))
