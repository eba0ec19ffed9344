"""The expression language: matrixcalculus.org's examples, operators and functions verbatim,
its naming convention, shapes the expression fixes, the derivative spelling f'(X), the
messages for unknown names, and ``str()`` of results without ``Lambda(_u, ...)``.

Every derivative asserted here is also checked against finite differences.
"""
import io
import pathlib
import re

import pytest
from sympy import MatrixSymbol, Symbol, Trace, symbols, tanh

import matcalc
from matcalc.catalogue import check_for
from matcalc.cli import main
from matcalc.derivatives import hessian, jacobian
from matcalc.errors import ParseError, ShapeError
from matcalc.parse import parse
from matcalc.parse.reference import function_names, language_help
from matcalc.printing.text import text_form

n, m, k = symbols("n m k", integer=True, positive=True)

#: matrixcalculus.org's documented examples, verbatim: (text, variable, kind, matcalc's result)
MATRIXCALCULUS_EXAMPLES = [
    ("0.5*x'*A*x", "x", "gradient", "(1/2)*(A + A')*x"),
    ("A*exp(x)", "x", "jacobian", "A*diagm(exp(x))"),
    ("(y.*v)'*x", "x", "gradient", "v .* y"),
    ("norm1(A*x-y)", "x", "gradient", "A'*sign(A*x - y)"),
    ("norm2(A*x-y)^2", "x", "gradient", "2*A'*(A*x - y)"),
    ("sum(log(exp(-y.*(X*w)) + vector(1)))", "w", "gradient",
     "-X'*(sigmoid(-((X*w) .* y)) .* y)"),
    ("tr(A*X'*B*X*C)", "X", "gradient", "B*X*C*A + B'*X*A'*C'"),
    ("log(det(inv(X)))", "X", "gradient", "-X^-T"),
]


def derive(kind, f, X):
    return {"gradient": matcalc.grad, "jacobian": jacobian, "hessian": hessian}[kind](f, X)


@pytest.mark.parametrize("convention", ["matcalc", "matrixcalculus"])
@pytest.mark.parametrize("text, wrt, kind, expected", MATRIXCALCULUS_EXAMPLES,
                         ids=[e[0] for e in MATRIXCALCULUS_EXAMPLES])
def test_matrixcalculus_examples_work_verbatim(text, wrt, kind, expected, convention):
    p = parse(text, convention=convention)
    X = p.symbols[wrt]
    result = derive(kind, p.expr, X)
    assert text_form(result) == expected
    assert check_for(kind, p.expr, X, result).passed


def test_a_to_the_b_with_scalars():
    for p in (parse("a^b", scalars=("a", "b")), parse("a^b", convention="matrixcalculus")):
        a, b = p.symbols["a"], p.symbols["b"]
        assert p.expr == a ** b and a == Symbol("a", real=True)
    out, err = io.StringIO(), io.StringIO()
    code = main(["grad", "a^b", "--wrt", "a", "--scalar", "a", "--scalar", "b", "--check"],
                out, err)
    assert code == 0 and out.getvalue().startswith("b*a^(-1 + b)\ncheck passed")
    G = matcalc.grad(a ** b, a)
    assert (G - b * a ** (b - 1)).simplify() == 0 and matcalc.check(a ** b, a, G).passed


@pytest.mark.parametrize("text, wrt, kind, expected", [
    ("x ./ y", "x", "jacobian", "diagm(y.^-1)"),
    ("sum(x .^ 3)", "x", "gradient", "3*x.^2"),
    ("sum(X)", "X", "gradient", "ones(n, n)"),
    ("norm2(X)", "X", "gradient", "lsingvec(X, 1)*singvec(X, 1)'"),   # spectral norm
    ("norm2(x)", "x", "gradient", "1/norm(x)*x"),                       # 2-norm
    ("sum(relu(A*x))", "x", "gradient", "A'*heaviside(A*x)"),
    ("sum(abs(x) .* sign(x))", "x", "gradient", "map(u -> sign(u)^2, x)"),   # 1 away from 0
    ("sum(arcsin(x/2))", "x", "gradient", "(1/2)*map(u -> 1/sqrt(1 - u^2), (1/2)*x)"),
    ("sum(arccos(x/2))", "x", "gradient", "-(1/2)*map(u -> 1/sqrt(1 - u^2), (1/2)*x)"),
    ("sum(arctan(x))", "x", "gradient", "map(u -> 1/(1 + u^2), x)"),
    ("x'*(X + eye)*x", "X", "gradient", "x*x'"),
    ("sum(matrix(2) .* X)", "X", "gradient", "2*ones(n, n)"),
    ("logdet(X)", "X", "gradient", "X^-T"),
    ("sum(tanh'(x))", "x", "gradient", "map(u -> -2*tanh(u) + 2*tanh(u)^3, x)"),
])
def test_operators_and_functions_of_the_language(text, wrt, kind, expected):
    p = parse(text)
    X = p.symbols[wrt]
    result = derive(kind, p.expr, X)
    assert text_form(result) == expected
    assert check_for(kind, p.expr, X, result).passed


def test_vector_and_matrix_constants_take_the_size_they_meet():
    p = parse("exp(x) + vector(1)", shapes={"x": "k"})
    assert p.expr.shape == (k, 1)
    assert text_form(p.expr) == "exp(x) + ones(k, 1)"
    assert parse("A*vector(2)", shapes={"A": "m,k"}).expr.shape == (m, 1)
    assert parse("vector(1)'*A", shapes={"A": "m,k"}).expr.shape == (1, k)
    assert text_form(parse("X + eye", shapes={"X": "k,k"}).expr) == "I(k) + X"
    assert parse("sum(vector(3))").expr.free_symbols == {n}          # alone: n x 1
    with pytest.raises(ShapeError):
        parse("vector(x)")


def test_the_matrixcalculus_naming_convention():
    p = parse("a*x'*B*y + g", convention="matrixcalculus")
    assert {name: getattr(s, "shape", None) for name, s in p.symbols.items()} == \
        {"a": None, "x": (n, 1), "B": (n, n), "y": (n, 1), "g": None}
    assert parse("h", convention="matrixcalculus").expr.shape == (n, 1)
    with pytest.raises(ParseError, match="unknown naming convention"):
        parse("x", convention="matlab")


def test_shapes_the_declarations_fix_are_inferred():
    def shapes(text, **declared):
        p = parse(text, shapes=declared)
        return {name: tuple(s.shape) for name, s in p.symbols.items()}
    assert shapes("A*x", A="m,k")["x"] == (k, 1)
    assert shapes("x'*A*x", A="m,m")["x"] == (m, 1)
    assert shapes("norm(A*x - y)", A="m,k") == {"A": (m, k), "x": (k, 1), "y": (m, 1)}
    assert shapes("det(A*B)", A="m,k")["B"] == (k, m)
    assert shapes("X + B", B="m,k")["X"] == (m, k)
    with pytest.raises(ShapeError, match="cannot add"):
        parse("A + x")                       # defaults on both sides: nothing is fixed
    with pytest.raises(ShapeError, match="cannot multiply"):
        parse("x*A", shapes={"A": "m,k", "x": "n"})   # declared both: still an error
    G = matcalc.grad(parse("norm(A*x - y)^2", shapes={"A": "m,k"}).expr,
                     MatrixSymbol("x", k, 1))
    assert text_form(G) == "2*A'*(A*x - y)"


def test_derivative_of_a_scalar_function_reads_and_prints():
    p = parse("tanh'(A*X)")
    assert text_form(p.expr) == "tanh'(A*X)"
    assert str(p.expr) == "tanh'(A*X)"
    assert parse("sigmoid'(tr(X))").expr == parse("sigmoid(tr(X))*(1 - sigmoid(tr(X)))").expr
    with pytest.raises(ParseError, match="derivative of a scalar function"):
        parse("tr'(X)")


def test_unknown_functions_get_the_closest_name():
    with pytest.raises(ParseError, match="did you mean 'tr'\\?"):
        parse("trac(X)")
    with pytest.raises(ParseError, match="did you mean 'sigmoid'\\?"):
        parse("sigmod(x)")
    with pytest.raises(ParseError, match="known functions: .*implicit multiplication"):
        parse("qqq(x)")


def test_str_of_results_has_no_lambda():
    X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
    G = matcalc.grad(Trace(A * X.applyfunc(tanh)), X)
    assert str(G) == "HadamardProduct(tanh'(X), A.T)"
    G = matcalc.grad(Trace(A * X.applyfunc(lambda t: t ** 3 / 3 + t)), X)
    assert "Lambda" not in str(G) and "_u" not in str(G)
    assert str(G) == "HadamardProduct(map(u -> u**2 + 1, X), A.T)"


def test_the_cli_help_lists_every_function_and_the_names_flag(capsys):
    assert main(["grad", "--help"]) == 0
    text = capsys.readouterr().out
    for name in function_names():
        assert re.search(rf"\b{re.escape(name)}\b", text), name
    assert "--names" in text and "matrixcalculus" in text
    assert language_help() in text.replace("\r", "")


def test_the_readme_language_section_names_every_function():
    readme = pathlib.Path(__file__).resolve().parent.parent / "README.md"
    section = readme.read_text(encoding="utf-8").split("### The expression language", 1)[1]
    section = section.split("\n## ", 1)[0]
    missing = [name for name in function_names() if f"`{name}" not in section
               and not re.search(rf"\b{re.escape(name)}\b", section)]
    assert not missing, f"README's language section does not mention {missing}"


def test_cli_names_flag_and_a_matrixcalculus_example():
    out, err = io.StringIO(), io.StringIO()
    code = main(["grad", "sum(log(exp(-y.*(X*w)) + vector(1)))", "--wrt", "w", "--names",
                 "matrixcalculus", "--check"], out, err)
    assert code == 0, err.getvalue()
    assert out.getvalue().startswith("-X'*(")
    assert "check passed" in out.getvalue()
