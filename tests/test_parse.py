"""The safe expression parser: text -> the exact SymPy expression, or a precise error."""
import pathlib
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import (Abs, Dummy, HadamardPower, HadamardProduct, Identity, Integer,
                   KroneckerProduct, Lambda, MatAdd, MatMul, MatPow, MatrixSymbol, OneMatrix,
                   Pow, Rational, Symbol, Trace, ZeroMatrix, cos, exp, log, sin, sqrt, tanh)
from sympy.matrices.expressions import DiagMatrix, DiagonalOf, Determinant, Inverse
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from matcalc.errors import NonSquareMatrixError, ParseError, ShapeError
from matcalc.constructs.functions import sigmoid
from matcalc.constructs.norm import Norm
from matcalc.constructs.scalars import scalar
from matcalc.parse import (FUNCTIONS, MAX_DEPTH, MAX_LENGTH, Parsed, parse, parse_shape,
                           symbol_table)
from matcalc.constructs.structured import StructuredMatrixSymbol

n = Symbol("n", integer=True, positive=True)
m = Symbol("m", integer=True, positive=True)
k = Symbol("k", integer=True, positive=True)
A, B, C, X, Y = (MatrixSymbol(name, n, n) for name in "ABCXY")
x, y, z = (MatrixSymbol(name, n, 1) for name in "xyz")
lam = Symbol("lam", real=True)
alpha = Symbol("alpha", real=True)


def elementwise(function, M):
    d = Dummy("d")
    return ElementwiseApplyFunction(Lambda(d, function(d)), M)


# --------------------------------------------------------------------------
# Each construct parses to the SymPy expression built directly
# --------------------------------------------------------------------------

CONSTRUCTS = [
    ("X", X),
    ("x", x),
    ("lam", lam),
    ("2", Integer(2)),
    ("0.5", Rational(1, 2)),
    (".25", Rational(1, 4)),
    ("1e-3", Rational(1, 1000)),
    ("2.5E2", Integer(250)),
    ("A + B", A + B),
    ("A - B + C", A - B + C),
    ("A - (B - C)", A - (B - C)),
    ("A*B", A * B),
    ("A @ B", A * B),
    ("A*B*C", A * B * C),
    ("2*A", 2 * A),
    ("lam*A*x", lam * A * x),
    ("A/lam", A / lam),
    ("A/2", A / 2),
    ("lam/alpha", lam / alpha),
    ("x'*A*x", x.T * A * x),
    ("x.T*A*x", x.T * A * x),
    ("X'", X.T),
    ("X.T", X.T),
    ("X''", X),
    ("(A*B)'", (A * B).T),
    ("inv(X)'", Inverse(X).T),
    ("-X", -X),
    ("--X", X),
    ("+X", X),
    ("-lam", -lam),
    ("-X**2", -(X ** 2)),
    ("-X*A", (-X) * A),
    ("X**2", MatPow(X, 2)),
    ("X^2", MatPow(X, 2)),
    ("X^-1", Inverse(X)),
    ("X**-1", Inverse(X)),
    ("X^-2", MatPow(X, -2)),
    ("X^0", Identity(n)),
    ("X^1", X),
    ("X'^2", MatPow(X.T, 2)),
    ("lam^2", lam ** 2),
    ("2**-1", Rational(1, 2)),
    ("2^3^2", Integer(512)),
    ("lam^alpha^2", lam ** (alpha ** 2)),
    ("A .* B", HadamardProduct(A, B)),
    ("A .* B .* C", HadamardProduct(A, B, C)),
    ("hadamard(A, B, C)", HadamardProduct(A, B, C)),
    ("A .^ 2", HadamardPower(A, 2)),
    ("A.^lam", HadamardPower(A, lam)),
    ("lam .* A", lam * A),
    ("tr(X)", Trace(X)),
    ("trace(A*B)", Trace(A * B)),
    ("tr(A + B)", Trace(A + B)),
    ("det(X)", Determinant(X)),
    ("log(det(X))", log(Determinant(X))),
    ("logdet(X)", log(Determinant(X))),
    ("inv(X)", Inverse(X)),
    ("kron(A, B)", KroneckerProduct(A, B)),
    ("kron(A, B, C)", KroneckerProduct(A, B, C)),
    ("norm(x)", Norm(x)),
    ("norm(X - A)^2", Norm(X - A) ** 2),
    ("diag(x)", DiagMatrix(x)),
    ("diagm(x)", DiagMatrix(x)),
    ("diag(X)", DiagonalOf(X)),
    ("diagonal(X)", DiagonalOf(X)),
    ("eye(n)", Identity(n)),
    ("I(3)", Identity(3)),
    ("zeros(m, n)", ZeroMatrix(m, n)),
    ("zeros(n)", ZeroMatrix(n, n)),
    ("ones(n, 1)", OneMatrix(n, 1)),
    ("X + eye(n)", X + Identity(n)),
    ("scalar(x'*A*x)", scalar(x.T * A * x)),
    ("exp(lam)", exp(lam)),
    ("abs(lam)", Abs(lam)),
    ("sigmoid(lam)", sigmoid(lam)),
    ("sqrt(lam)", sqrt(lam)),
    ("exp(x'*y)", exp(scalar(x.T * y))),
    ("log(x'*A*x)", log(scalar(x.T * A * x))),
    ("tanh(scalar(x'*x))", tanh(scalar(x.T * x))),
    ("(x'*y)*A", MatMul(scalar(x.T * y), A)),
    ("x'*y*z", scalar(x.T * y) * z),
    ("A*x*x'", A * x * x.T),
    ("x'*A*x + 1", scalar(x.T * A * x) + 1),
    ("1 + x'*x", 1 + scalar(x.T * x)),
    ("x'*x + x'*y", x.T * x + x.T * y),
    ("A/(x'*x)", A * Pow(scalar(x.T * x), -1)),
    ("(x'*x)^0.5", sqrt(scalar(x.T * x))),
    ("(x'*x)^2", MatPow(x.T * x, 2)),
    ("lam^(x'*x)", lam ** scalar(x.T * x)),
    ("tr(X)*A", Trace(X) * A),
    ("det(X)^-1", Determinant(X) ** -1),
    ("2*tr(X'*A*X) - logdet(X)", 2 * Trace(X.T * A * X) - log(Determinant(X))),
    ("(A + B)*x", (A + B) * x),
    ("A*(B + C)", A * (B + C)),
    ("(((X)))", X),
    ("  X\t+\nA ", X + A),
]


@pytest.mark.parametrize("text, expected", CONSTRUCTS, ids=[t for t, _ in CONSTRUCTS])
def test_construct_parses_to_the_sympy_expression(text, expected):
    assert parse(text).expr == expected


@pytest.mark.parametrize("text, function, argument", [
    ("exp(X)", exp, X), ("log(A)", log, A), ("sqrt(X)", sqrt, X), ("abs(x)", Abs, x),
    ("sigmoid(A*x)", sigmoid, A * x), ("sin(X')", sin, X.T), ("cos(A + B)", cos, A + B),
])
def test_elementwise_function_of_a_matrix_is_applyfunc(text, function, argument):
    expr = parse(text).expr
    assert isinstance(expr, ElementwiseApplyFunction)
    assert expr.expr == argument
    assert expr.dummy_eq(elementwise(function, argument))
    assert expr == parse(text).expr, "two parses of the same text must be equal"


def test_elementwise_nested():
    expr = parse("exp(log(X))").expr
    assert expr.expr.dummy_eq(elementwise(log, X))


def test_parse_returns_symbols_and_dims():
    p = parse("log(det(X))", shapes={"X": "n,n"}, structures={"X": "spd"}, scalars=("lam",))
    assert isinstance(p, Parsed)
    assert p.expr == log(Determinant(StructuredMatrixSymbol("X", n, n, "spd")))
    assert set(p.symbols) == {"X"}
    assert isinstance(p.symbols["X"], StructuredMatrixSymbol)
    assert p.symbols["X"].structure == "spd"
    assert p.dims == {"n": n}


def test_orthogonal_structure_inverse_is_transpose():
    p = parse("Q^-1", structures={"Q": "orthogonal"})
    Q = p.symbols["Q"]
    assert p.expr == Q.T


# --------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------

def test_default_shapes_upper_is_square_lower_is_column_greek_is_scalar():
    p = parse("lam*A*x + mu*B*y + theta*z", scalars=())
    assert p.symbols["A"] == MatrixSymbol("A", n, n)
    assert p.symbols["x"] == MatrixSymbol("x", n, 1)
    for name in ("lam", "mu", "theta"):
        assert p.symbols[name] == Symbol(name, real=True)
    assert p.dims == {"n": n}


def test_names_in_scalars_are_real_scalars():
    p = parse("c*X + t*Y", scalars=("c", "t"))
    assert p.expr == Symbol("c", real=True) * X + Symbol("t", real=True) * Y


def test_upper_case_greek_name_is_a_matrix():
    assert parse("Sigma").expr == MatrixSymbol("Sigma", n, n)


def test_declared_shapes_share_dimension_symbols():
    p = parse("A*B*x", shapes={"A": "m,k", "B": ("k", "n"), "x": "n"})
    assert p.expr == MatrixSymbol("A", m, k) * MatrixSymbol("B", k, n) * MatrixSymbol("x", n, 1)
    assert p.dims == {"m": m, "k": k, "n": n}
    assert p.symbols["A"].shape[1] == p.symbols["B"].shape[0] == k


def test_eye_dimension_is_the_same_symbol_as_in_shapes():
    p = parse("A + eye(m)", shapes={"A": "m,m"})
    assert p.expr == MatrixSymbol("A", m, m) + Identity(m)


def test_numeric_and_scalar_declared_shapes():
    p = parse("w*A + v", shapes={"A": "3,2", "v": (3, 2), "w": "scalar"})
    assert p.expr == Symbol("w", real=True) * MatrixSymbol("A", 3, 2) + MatrixSymbol("v", 3, 2)
    assert parse("s*X", shapes={"s": "1"}).expr == Symbol("s", real=True) * X


def test_general_structure_is_a_plain_matrix_symbol():
    assert type(parse("X", structures={"X": "general"}).symbols["X"]) is MatrixSymbol


@pytest.mark.parametrize("spec, expected", [
    ("m,k", (m, k)), (" m , k ", (m, k)), ("3,4", (3, 4)), ("n", (n, 1)), ("1", ()),
    ("scalar", ()), ((), ()), ((3,), (3, 1)), ((m, 2), (m, 2)), (("m", "k"), (m, k)),
    ("1,1", (1, 1)), (4, (4, 1)),
])
def test_parse_shape(spec, expected):
    assert parse_shape(spec) == expected


@pytest.mark.parametrize("spec", ["n x m", "m,", "0,3", "-1", "2.5", "m,k,l", "n+1", "α"])
def test_parse_shape_rejects_bad_dimension_naming_the_shape_and_symbol(spec):
    with pytest.raises(ParseError) as info:
        parse("A", shapes={"A": spec})
    assert repr(spec) in str(info.value) and "'A'" in str(info.value)


@pytest.mark.parametrize("shapes, needle", [
    ({"2x": "n"}, "'2x' is not an identifier"),
    ({"a b": "n"}, "'a b' is not an identifier"),
    ({"tr": "n"}, "'tr' is a function name"),
])
def test_shape_keys_must_be_identifiers(shapes, needle):
    with pytest.raises(ParseError, match=re.escape(needle)):
        parse("A", shapes=shapes)


def test_unknown_structure_and_structure_of_a_scalar():
    with pytest.raises(ParseError, match="unknown structure 'sdp' for 'X'"):
        parse("X", structures={"X": "sdp"})
    with pytest.raises(ParseError, match="'lam' is a scalar"):
        parse("lam", structures={"lam": "spd"})
    with pytest.raises(NonSquareMatrixError, match="must be square"):
        parse("X", shapes={"X": "m,n"}, structures={"X": "spd"})


def test_symbol_table_resolves_names_like_parse():
    table = symbol_table(shapes={"A": "m,k"}, scalars=("c",))
    assert table.variable("A") == MatrixSymbol("A", m, k)
    assert table.variable("c") == Symbol("c", real=True)
    assert table.variable("v") == MatrixSymbol("v", n, 1)


# --------------------------------------------------------------------------
# Shape errors name both operands and their shapes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text, error, needles", [
    ("A + x", ShapeError, ['"A" (n x n)', '"x" (n x 1)', "add"]),
    ("A - x'", ShapeError, ['"A" (n x n)', "\"x'\" (1 x n)", "subtract"]),
    ("A + lam", ShapeError, ['"A" (n x n)', '"lam" (scalar)']),
    ("1 + x", ShapeError, ['"1" (scalar)', '"x" (n x 1)']),
    ("x*x", ShapeError, ["cannot multiply", '"x" (n x 1)', "inner dimensions 1 and n"]),
    ("A*B*x*A", ShapeError, ['"A*B*x" (n x 1)', '"A" (n x n)']),
    ("A @ lam", ShapeError, ["'@' multiplies matrices", '"lam"']),
    ("x @ x", ShapeError, ["cannot multiply"]),
    ("A .* x", ShapeError, ["Hadamard", '"A" (n x n)', '"x" (n x 1)']),
    ("hadamard(A, x)", ShapeError, ['"A" (n x n)', '"x" (n x 1)']),
    ("lam / A", ShapeError, ["cannot divide", '"A" (n x n)']),
    ("A ^ x", ShapeError, ["exponent", '"x" (n x 1)']),
    ("tr(x)", NonSquareMatrixError, ["tr()", '"x" (n x 1)']),
    ("det(x')", NonSquareMatrixError, ["det()", "\"x'\" (1 x n)"]),
    ("inv(x)", NonSquareMatrixError, ["inv()", '"x"']),
    ("logdet(x)", NonSquareMatrixError, ["logdet()", '"x"']),
    ("x^2", NonSquareMatrixError, ['"x" (n x 1)', "not square"]),
    ("tr(lam)", ShapeError, ["tr()", "scalar"]),
    ("norm(lam)", ShapeError, ["norm()", "scalar"]),
    ("scalar(A)", ShapeError, ["scalar()", '"A" (n x n)']),
    ("diagm(A)", ShapeError, ["diagm()", '"A" (n x n)']),
])
def test_shape_errors_name_the_operands(text, error, needles):
    with pytest.raises(error) as info:
        parse(text)
    assert type(info.value) is error
    for needle in needles:
        assert needle in str(info.value)


def test_declared_shape_mismatch():
    with pytest.raises(ShapeError, match=r'"A" \(m x k\).*"B" \(m x k\)'):
        parse("A*B", shapes={"A": "m,k", "B": "m,k"})


def test_matrix_power_needs_integer_exponent():
    with pytest.raises(ParseError, match="integer exponent") as info:
        parse("X^0.5")
    assert info.value.position == 1


# --------------------------------------------------------------------------
# Malformed input: exact type, the problem named, the position
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text, needle, position", [
    ("", "empty input", 0),
    ("   \t\n", "empty input", 0),
    ("(X + A", "unbalanced '('", 0),
    ("tr(X", "unbalanced '('", 2),
    ("X + A)", "unbalanced ')'", 5),
    ("X $ A", "unexpected character '$'", 2),
    ("X + λ", "unexpected character 'λ'", 4),
    ("X +", "expected an operand after '+'", 3),
    ("X * ", "expected an operand after '*'", 4),
    ("(X + )", "expected an operand after '+', found ')'", 5),
    ("* X", "expected an operand, found '*'", 0),
    ("()", "empty parentheses", 0),
    ("foo(X)", "unknown function 'foo'", 0),
    ("A(X)", "unknown function 'A'", 0),
    ("tr(A, B)", "tr() takes 1 argument, got 2", 0),
    ("tr()", "tr() takes 1 argument, got 0", 0),
    ("kron(A)", "kron() takes at least 2 arguments, got 1", 0),
    ("zeros(m, n, k)", "zeros() takes 1 to 2 arguments, got 3", 0),
    ("eye(n + 1)", "eye() takes dimension names or positive integers", 6),
    ("eye(0)", "eye() takes dimension names or positive integers", 4),
    ("X + tr", "'tr' is a function, used here without a call", 4),
    ("I + X", "'I' is a function, used here without a call; write I(n)", 0),
    ("X Y", "unexpected 'Y' after \"X\": missing an operator", 2),
    ("2x", "unexpected 'x' after \"2\"", 1),
    ("X + A, B", "unexpected ',' outside a function call", 5),
    ("X[0, 0]", "use scalar(M)", 1),
    ("map(X, Y)", "map() takes a variable, '->' and a scalar body", 4),
    ("X.t", "unexpected character '.'", 1),
    ("X^0.5", "integer exponent", 1),
    ("tr(, X)", "expected an operand after '(', found ','", 3),
    ("9^9^9", "too large", 1),
])
def test_malformed_input_raises_parse_error_with_position(text, needle, position):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert needle in str(info.value)
    assert info.value.position == position
    assert info.value.text == text


def test_unknown_function_lists_the_known_ones():
    with pytest.raises(ParseError) as info:
        parse("foo(x)")
    for name in ("tr", "logdet", "kron", "sigmoid"):
        assert name in str(info.value)


def test_reserved_names_cannot_be_variables():
    from matcalc.parse.spellings import CONSTANTS
    for name in FUNCTIONS:
        if name in CONSTANTS:   # eye: the identity sized by what it meets
            continue
        if not FUNCTIONS.reserves(name):   # d(U), the differential: d may be a variable too
            assert parse(f"{name} + x").expr.shape == (n, 1)
            continue
        with pytest.raises(ParseError, match="is a function"):
            parse(f"{name} + X")


def test_too_long_input_is_refused_at_once():
    text = "X+" * (MAX_LENGTH // 2) + "X"
    start = time.perf_counter()
    with pytest.raises(ParseError, match="input too long"):
        parse(text)
    assert time.perf_counter() - start < 0.5


def test_ten_thousand_parentheses_are_refused_quickly():
    text = "(" * 10_000 + "X" + ")" * 10_000
    start = time.perf_counter()
    with pytest.raises(ParseError, match="too deeply nested") as info:
        parse(text)
    assert time.perf_counter() - start < 0.5
    assert info.value.position == MAX_DEPTH


@pytest.mark.parametrize("text", [
    "exp(" * 10_000 + "lam" + ")" * 10_000,
    "^".join(["lam"] * 5_000),
    " * ".join(["A .* B"] * 2_000),
    "-(" * 300 + "X" + ")" * 300,
], ids=["nested-calls", "power-tower", "alternating-products", "nested-negations"])
def test_deep_expressions_are_refused(text):
    with pytest.raises(ParseError, match="too deeply nested"):
        parse(text)


def test_nesting_up_to_the_limit_is_accepted():
    assert parse("(" * MAX_DEPTH + "X" + ")" * MAX_DEPTH).expr == X
    assert parse("inv(" * 100 + "X" + ")" * 100).expr.has(Inverse)


@pytest.mark.parametrize("text, expected", [
    ("+".join(["X"] * 10_000), 10_000 * X),
    ("-".join(["lam"] * 10_000), -9_998 * lam),
    ("*".join(["X"] * 10_000), MatPow(X, 10_000)),
    ("+".join(f"A{i}*x" for i in range(3_000)), None),
], ids=["sum", "difference", "product", "sum-of-products"])
def test_long_flat_chains_parse_in_linear_time(text, expected):
    start = time.perf_counter()
    expr = parse(text).expr
    # loose: about 3 s on a busy 2-core machine; a quadratic parser takes minutes
    assert time.perf_counter() - start < 20
    if expected is not None:
        assert expr == expected
    else:
        assert isinstance(expr, MatAdd) and len(expr.args) == 3_000


def test_parse_rejects_non_string():
    with pytest.raises(TypeError):
        parse(42)


# --------------------------------------------------------------------------
# Arbitrary text: only ParseError / ShapeError / NonSquareMatrixError
# --------------------------------------------------------------------------

TOKENS = ["X", "A", "x", "y", "lam", "mu", "n", "2", "0.5", "1e-3", "0", "3", "+", "-", "*",
          "@", "/", ".*", "**", "^", ".^", "'", ".T", "(", ")", ",", " ", "[", "]", "tr(",
          "det(", "inv(", "logdet(", "kron(", "hadamard(", "norm(", "diag(", "diagm(",
          "diagonal(", "scalar(", "eye(", "I(", "zeros(", "ones(", "exp(", "log(", "sqrt(",
          "abs(", "sigmoid(", "sin(", "vec(", "foo(", "I", "tr", "T", ".", "$"]

ALLOWED = (ParseError, ShapeError, NonSquareMatrixError)


def parse_or_allowed_error(text):
    try:
        parse(text, shapes={"Y": "n,m", "v": "3"}, structures={"A": "spd"})
    except ALLOWED:
        pass


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_random_text_raises_only_parse_or_shape_errors(text):
    parse_or_allowed_error(text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25))
def test_random_token_sequences_raise_only_parse_or_shape_errors(tokens):
    parse_or_allowed_error("".join(tokens))


# --------------------------------------------------------------------------
# No evaluator anywhere in the parser
# --------------------------------------------------------------------------

def test_parser_source_uses_no_evaluator():
    package = pathlib.Path(__file__).resolve().parents[1].joinpath("matcalc", "parse")
    for module in sorted(package.glob("*.py")):
        source = module.read_text()
        for forbidden in ("eval(", "exec(", "sympify(", "parse_expr", "import ast", "from ast"):
            assert forbidden not in source, (module.name, forbidden)


def test_transpose_after_a_number_is_an_error_not_silently_dropped():
    with pytest.raises(ParseError, match="transpose after the number 1") as info:
        parse("X^-1'")
    assert info.value.position == 4
    assert str(parse("(X^-1)'").expr) == "X.T**(-1)"


# --------------------------------------------------------------------------
# The spellings the printer writes (one language)
# --------------------------------------------------------------------------

def test_inverse_transpose_is_postfix_unless_T_is_declared():
    assert parse("X^-T").expr == Inverse(X.T)
    assert parse("2*X^-T*A").expr == 2 * Inverse(X.T) * A
    T = Symbol("T", real=True)
    assert parse("lam^-T", scalars=("T",)).expr == lam ** -T
    with pytest.raises(ShapeError, match="inverse transpose of a matrix"):
        parse("lam^-T")


def test_map_binds_a_scalar_for_its_body_only():
    from matcalc.constructs.elementwise import ELEMENT
    expr = parse("map(u -> 1 - tanh(u)^2, A*X) + u*u'").expr
    E, outer = sorted(expr.args, key=lambda a: isinstance(a, ElementwiseApplyFunction))[::-1]
    assert E == ElementwiseApplyFunction(Lambda(ELEMENT, 1 - tanh(ELEMENT) ** 2), A * X)
    assert outer == MatrixSymbol("u", n, 1) * MatrixSymbol("u", n, 1).T
    with pytest.raises(ShapeError, match="map\\(\\) needs a scalar body"):
        parse("map(u -> u*X, Y)")
    with pytest.raises(ParseError, match="cannot use the outer variable"):
        parse("map(u -> tr(map(v -> v*u, X))*u, Y)")


def test_functions_of_dimensions_and_dimensions_as_scalars():
    from matcalc.constructs.commutation import CommutationMatrix
    from matcalc.constructs.vec import Vec
    assert parse("commutation(m, n)").expr == CommutationMatrix(m, n)
    assert parse("I(m*n) + zeros(m*n, n*m)").expr == Identity(m * n)
    assert parse("vec(X)").expr == Vec(X) and parse("vec(x)").expr == x
    assert parse("tr(X)/n", shapes={"X": "n,n"}).expr == Trace(X) / n
    assert parse("sign(lam)").expr == __import__("sympy").sign(lam)
