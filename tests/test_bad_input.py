"""Bad input everywhere: every kind of wrong input gets a specific error type and a
message that says what is wrong -- from the Python API, the parser, the catalogue
loader, and the command line (one ``matcalc: error:`` line, exit 2, no traceback).

A bug found here that belongs to another module is pinned by a strict xfail
whose reason holds the reproducer.
"""
import io
import os
import subprocess
import sys
import time

import pytest
from sympy import (Derivative, Determinant, HadamardProduct, Identity, Integer, Inverse,
                   MatAdd, MatMul, MatPow, Matrix, MatrixSymbol, Mod, Piecewise, Rational,
                   Symbol, Trace, ZeroMatrix, log, sin, symbols)

import matcalc
from matcalc import NonSquareMatrixError, ParseError, ShapeError, UnsupportedError
from matcalc.catalogue import load_catalogue
from matcalc.cli import main
from matcalc.errors import CatalogueError
from matcalc.parse import MAX_DEPTH, MAX_LENGTH, parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
n, m = symbols("n m", integer=True, positive=True)
X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
Y, B = MatrixSymbol("Y", n, m), MatrixSymbol("B", n, m)
x = MatrixSymbol("x", n, 1)


# ============================================================================================
# the Python API
# ============================================================================================
@pytest.mark.parametrize("call,error,message", [
    (lambda: matcalc.grad(MatMul(X, A), X), ValueError,
     r"grad needs a scalar function; X\*A has shape n x n \(use matcalc.jacobian"),
    (lambda: matcalc.grad(MatMul(x, x.T), x), ValueError, r"has shape n x n"),
    (lambda: matcalc.grad(Trace(X), "X"), TypeError, r"must be a MatrixSymbol.*got str"),
    (lambda: matcalc.grad(Trace(X), Trace(X)), TypeError, r"a scalar Symbol or an entry.*got Trace"),
    (lambda: matcalc.grad(Trace(X), MatMul(X, A)), TypeError, r"got MatMul"),
    (lambda: matcalc.grad(Trace(X), Matrix([[1, 2], [3, 4]])), TypeError, r"MutableDenseMatrix"),
    (lambda: matcalc.grad(Trace(X), X, layout="rows"), ValueError, r"layout must be one of"),
    (lambda: matcalc.grad(Trace(X), X, structure="hermitian"), ValueError,
     r"structure must be one of"),
    (lambda: matcalc.grad(Trace(Y.T * Y), Y, structure="symmetric"), ValueError,
     r"needs a square variable, Y is n x m"),
    (lambda: matcalc.grad(Derivative(Trace(X), Symbol("t")), X), ValueError,
     r"unevaluated Derivative"),
    (lambda: matcalc.jacobian(X, 3), TypeError, r"MatrixSymbol .*a scalar Symbol or an entry.*got int"),
    (lambda: matcalc.jacobian(X, X, layout="rows"), ValueError, r"layout must be one of"),
    (lambda: matcalc.hessian(MatMul(X, A), X), ValueError,
     r"hessian needs a scalar function; X\*A has shape n x n \(use jacobian\)"),
    (lambda: matcalc.hessian(Trace(X), 3), TypeError, r"got int"),
    (lambda: matcalc.symmetric("S", n, m), NonSquareMatrixError, r"must be square, got n x m"),
    (lambda: matcalc.spd("S", 2, 3), NonSquareMatrixError, r"must be square"),
    (lambda: matcalc.scalar(X), ValueError, r"1x1 matrix expression"),
], ids=["grad-of-matrix", "grad-of-outer-product", "variable-string", "variable-trace",
        "variable-expression", "variable-explicit-matrix", "bad-layout", "bad-structure",
        "structure-on-rectangular", "unevaluated-derivative", "jacobian-variable-int",
        "jacobian-bad-layout", "hessian-of-matrix", "hessian-variable-int",
        "symmetric-rectangular", "spd-rectangular", "scalar-of-matrix"])
def test_api_rejects_bad_arguments_with_a_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("f,names", [
    (Trace(MatPow(X, Symbol("k"))), "symbolic exponent"),
    (Trace(MatPow(X, Rational(1, 2))), "non-integer or symbolic exponent"),
    (Trace(HadamardProduct(X, X).applyfunc(lambda t: t)) * Mod(Trace(X), 1), "Mod"),
    (Piecewise((Trace(X), Trace(X) > 0), (0, True)), "Piecewise"),
    (sin(X), "matrix function sin(X)"),
], ids=["symbolic-power", "fractional-power", "mod", "piecewise", "matrix-sine"])
def test_unsupported_constructs_name_themselves(f, names):
    with pytest.raises(UnsupportedError, match="no rule for") as info:
        matcalc.grad(f, X)
    assert names in str(info.value)


@pytest.mark.parametrize("f,var", [
    (Trace(A), X), (log(Determinant(A)), X), (Trace(A), Y), (Integer(3), x), (Symbol("s"), X),
], ids=["trace-of-constant", "logdet-of-constant", "rectangular", "number", "scalar-symbol"])
def test_variable_not_in_the_expression_has_a_zero_gradient_of_its_shape(f, var):
    G = matcalc.grad(f, var)
    assert isinstance(G, ZeroMatrix) and G.shape == var.shape
    Gt = matcalc.grad(f, var, layout="numerator")
    assert isinstance(Gt, ZeroMatrix) and Gt.shape == (var.shape[1], var.shape[0])
    assert matcalc.check(f, var, G).passed


def test_variable_not_in_the_expression_has_zero_jacobian_and_hessian():
    J = matcalc.jacobian(MatMul(A, B), Y)
    assert J.is_ZeroMatrix and J.shape == (n * m, n * m)
    H = matcalc.hessian(Trace(A), Y)
    assert H.is_ZeroMatrix and H.shape == (n * m, n * m)


def test_check_rejects_wrong_claims_and_points():
    with pytest.raises(ShapeError, match="claimed gradient has shape n x n, expected n x m"):
        matcalc.check(Trace(Y.T * Y), Y, Identity(n))
    with pytest.raises(ShapeError, match="1x1"):
        matcalc.check(MatMul(X, A), X, A)
    with pytest.raises(ShapeError, match="claimed Jacobian"):
        matcalc.check_jacobian(MatMul(A, X), X, A)
    import numpy as np
    with pytest.raises(ShapeError, match="has shape"):
        matcalc.check(Trace(X), X, Identity(n), at={X: np.ones((2, 3))})
    report = matcalc.check(Trace(X), X, Identity(n), points=0)
    assert not report.passed and "no points" in report.reason


# -- non-square and mismatched shapes the engine refuses --------------------------------------
# SymPy validates shapes only when they are concrete: Trace(Y) of a symbolic n x m Y and
# X + Y of n x n and n x m are built without complaint; matcalc.shapes refuses them (this was
# a bug: the engine answered I).
def test_trace_of_a_non_square_variable_is_refused():
    with pytest.raises((NonSquareMatrixError, ShapeError), match="square"):
        matcalc.grad(Trace(Y), Y)


def test_sum_of_mismatched_shapes_is_refused():
    with pytest.raises(ShapeError):
        matcalc.grad(Trace(MatAdd(X, Y)), X)


def test_sympy_refuses_concrete_shape_mismatches_before_the_engine():
    P, Q = MatrixSymbol("P", 2, 3), MatrixSymbol("Q", 2, 3)
    with pytest.raises(ShapeError):
        P * Q
    with pytest.raises(NonSquareMatrixError):
        Trace(P)
    with pytest.raises(NonSquareMatrixError):
        Inverse(P)


# -- deep expressions given directly as SymPy objects -----------------------------------------
def test_deep_expressions_as_deep_as_the_parser_allows_are_differentiated():
    f = Trace(X)
    for _ in range(MAX_DEPTH - 2):
        f = sin(f)
    G = matcalc.grad(f, X)
    assert matcalc.check(f, X, G, points=1).passed


# ============================================================================================
# the parser: bounded time, ParseError / ShapeError / NonSquareMatrixError only
# ============================================================================================
def parse_error(text, error=ParseError, **kwargs):
    started = time.perf_counter()
    with pytest.raises(error) as info:
        parse(text, **kwargs)
    assert time.perf_counter() - started < 5.0, f"parse took too long on {text[:40]!r}..."
    return str(info.value)


@pytest.mark.parametrize("text,message", [
    ("", "empty input"),
    ("   \t\n", "empty input"),
    ("tr(X", "unbalanced '\\(': missing '\\)'"),
    ("tr(X))", "unbalanced '\\)'"),
    ("X +", "expected an operand"),
    ("* X", "expected an operand"),
    ("foo(X)", "unknown function 'foo'"),
    ("X[0, 1]", "indexing with \\[...\\] is not supported"),
    ("map(X, Y)", "map\\(\\) takes a variable, '->' and a scalar body"),
    ("X ? Y", "unexpected character '\\?'"),
    ("tr(X) é", "unexpected character 'é'"),
    ("tr(X)\x00", "unexpected character"),
    ("__import__('os').system('ls')", "unexpected character"),
    ("9^9^9^9", "too large"),
    ("1" * 200, "literal"),
    ("1e99999", "exponent"),
    ("tr(" * 300 + "X" + ")" * 300, "too deeply nested"),
    ("(" * 100_000, "too deeply nested|unbalanced"),
    ("X" + "'" * 5000, "too deeply nested"),
], ids=["empty", "blank", "unclosed", "unopened", "dangling-operator", "leading-operator",
        "unknown-function", "indexing", "map-without-variable", "question-mark", "non-ascii", "nul",
        "python-injection", "tower-of-powers", "long-literal", "huge-exponent",
        "nested-calls", "nested-parentheses-100k", "transpose-chain"])
def test_parser_errors_are_parse_errors_with_a_position(text, message):
    import re
    text_of_error = parse_error(text)
    assert re.search(message, text_of_error), text_of_error


def test_parser_refuses_input_over_the_length_limit():
    message = parse_error("X+" * (MAX_LENGTH // 2) + "X")
    assert "input too long" in message and str(MAX_LENGTH) in message


def test_parser_long_flat_input_is_linear_time():
    text = "tr(" + "+".join(["X"] * 20_000) + ")"
    started = time.perf_counter()
    parse(text)
    assert time.perf_counter() - started < 20.0
    assert MAX_DEPTH == 200


@pytest.mark.parametrize("text,shapes,error,message", [
    ("X*B", {"X": "n,m", "B": "n,m"}, ShapeError, "cannot multiply"),
    ("X + B", {"X": "n,n", "B": "n,m"}, ShapeError, "X.*B"),
    ("det(B)", {"B": "n,m"}, (ShapeError, NonSquareMatrixError), "square"),
    ("tr(B)", {"B": "n,m"}, (ShapeError, NonSquareMatrixError), "square"),
    ("inv(B)", {"B": "n,m"}, (ShapeError, NonSquareMatrixError), "square"),
    ("B^2", {"B": "n,m"}, (ShapeError, NonSquareMatrixError), "square"),
], ids=["product", "sum", "det", "trace", "inverse", "power"])
def test_parser_shape_errors_name_the_operands(text, shapes, error, message):
    assert message in parse_error(text, error, shapes=shapes) or True
    import re
    assert re.search(message, parse_error(text, error, shapes=shapes))


def test_parser_bad_shape_specifications():
    assert "invalid shape" in parse_error("tr(X)", (ParseError, ValueError), shapes={"X": "n,"})
    with pytest.raises(TypeError, match="needs a string"):
        parse(b"tr(X)")


# ============================================================================================
# the catalogue loader
# ============================================================================================
HEADER = 'section = "t"\ntitle = "T"\n'
GOOD = ('[[identity]]\nid = "{id}"\nsource = "s"\nexpression = "tr(X)"\nwrt = "X"\n'
        'kind = "gradient"\nresult = "eye(n)"\n')


def catalogue(tmp_path, body, name="c.toml", header=HEADER):
    path = tmp_path / name
    path.write_bytes((header + body).encode("utf-8") if isinstance(body, str) else
                     header.encode() + body)
    return path


MALFORMED = {
    "missing-key": ('[[identity]]\nid = "a"\nsource = "s"\nexpression = "tr(X)"\nwrt = "X"\n'
                    'kind = "gradient"\n', "missing required key result"),
    "wrong-type": (GOOD.format(id="a").replace('result = "eye(n)"', "result = 3"),
                   "'result' must be a string, got an integer"),
    "duplicate-id": (GOOD.format(id="a") + GOOD.format(id="a"), "duplicate id"),
    "unknown-kind": (GOOD.format(id="a").replace('"gradient"', '"laplacian"'),
                     "unknown kind 'laplacian'"),
    "unknown-key": (GOOD.format(id="a") + 'colour = "red"\n', "unknown key colour"),
    "bad-id": (GOOD.format(id="a b"), "must be letters, digits"),
    "unparsable-expression": (GOOD.format(id="a").replace('"tr(X)"', '"tr(X"'),
                              "cannot parse expression: unbalanced"),
    "python-in-expression": (GOOD.format(id="a").replace('"tr(X)"',
                                                         '"__import__(\\"os\\").getcwd()"'),
                             "cannot parse expression: unexpected character"),
    "shape-mismatch": (GOOD.format(id="a").replace('"tr(X)"', '"tr(X*B)"')
                       + 'shapes = { X = "n,m", B = "n,m" }\n', "cannot multiply"),
    "toml-syntax": ('[[identity]]\nid = "a"\nsource = "s\n', "TOML syntax error"),
    "identity-not-array": ("identity = 5\n", "must be an array of tables"),
    "erratum-without-correction": (GOOD.format(id="a") + 'status = "erratum"\n',
                                   "an erratum needs 'corrected'"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_catalogue_entries_are_named(tmp_path, case):
    body, message = MALFORMED[case]
    path = catalogue(tmp_path, body)
    identities, errors = load_catalogue(path, strict=False)
    assert errors, f"{case} loaded without an error"
    assert any(message in str(e) for e in errors), [str(e) for e in errors]
    assert all(str(path) in str(e) for e in errors)
    with pytest.raises(CatalogueError, match="malformed catalogue entr"):
        load_catalogue(path)


def test_non_utf8_catalogue_is_reported_with_its_line(tmp_path):
    path = catalogue(tmp_path, GOOD.format(id="a").replace('source = "s"', "source = \"s\xff\"")
                     .encode("latin-1"))
    _, errors = load_catalogue(path, strict=False)
    assert len(errors) == 1 and "invalid UTF-8 bytes on line" in str(errors[0])


def test_empty_and_missing_catalogues(tmp_path):
    path = catalogue(tmp_path, "", header="")
    _, errors = load_catalogue(path, strict=False)
    assert any("missing or empty top-level 'section'" in str(e) for e in errors)
    with pytest.raises(CatalogueError, match="no such file or directory"):
        load_catalogue(tmp_path / "absent.toml")


def test_one_bad_entry_does_not_hide_the_good_ones(tmp_path):
    path = catalogue(tmp_path, GOOD.format(id="good") + MALFORMED["wrong-type"][0])
    identities, errors = load_catalogue(path, strict=False)
    assert [i.id for i in identities] == ["good"] and len(errors) == 1


# -- paths that are not catalogues (issue 11): the right message, bounded time -------------
def _catalogue_error(path):
    started = time.perf_counter()
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert time.perf_counter() - started < 2.0
    return str(info.value)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_is_not_a_catalogue():
    # it was "no such file or directory"; reading it would never end
    assert _catalogue_error("/dev/zero") == (
        "/dev/zero: not a regular file or a directory (a character device); expected a "
        "catalogue .toml file or a directory of them")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    assert _catalogue_error(fifo) == (
        f"{fifo}: not a regular file or a directory (a named pipe); expected a catalogue "
        f".toml file or a directory of them")
    catalogue(tmp_path, GOOD.format(id="a"))  # a directory: the pipe is not read
    assert [i.id for i in load_catalogue(tmp_path)] == ["a"]


def test_an_unreadable_catalogue_file_says_so(tmp_path, monkeypatch):
    from matcalc.catalogue import load as loader
    path = catalogue(tmp_path, GOOD.format(id="a"))

    def refuse(*args, **kwargs):  # the tests run as root, whom chmod does not stop
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(loader.os, "open", refuse)
    assert _catalogue_error(path) == f"{path}: cannot read: Permission denied"


def test_an_oversized_catalogue_file_is_not_read_whole(tmp_path, monkeypatch):
    from matcalc.catalogue import load as loader
    path = catalogue(tmp_path, GOOD.format(id="a"))
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 100)
    assert [str(e) for e in load_catalogue(path, strict=False)[1]] == [
        f"{path}: larger than 100 bytes, the limit for a catalogue file (split it into "
        f"several files)"]


def test_a_directory_without_catalogue_files(tmp_path):
    (tmp_path / "notes.txt").write_text("not a catalogue", encoding="utf-8")
    assert _catalogue_error(tmp_path) == f"no identities found in {tmp_path} (no .toml files in it)"


# ============================================================================================
# the command line: one ``matcalc: error:`` line (a parse error adds its caret display),
# a non-zero exit, never a traceback
# ============================================================================================
def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


CLI_CASES = {
    "matrix-valued-grad": (["grad", "X*A", "--wrt", "X"],
                           "grad needs a scalar expression; 'X*A' is n x n (use 'matcalc jacobian')"),
    "matrix-valued-hessian": (["hessian", "X*A", "--wrt", "X"], "hessian needs a scalar"),
    "shape-mismatch": (["grad", "tr(X*B)", "--wrt", "X", "--shape", "X=n,m", "--shape", "B=n,m"],
                       "shape mismatch: cannot multiply"),
    "non-square-det": (["grad", "det(B)", "--wrt", "B", "--shape", "B=n,m"],
                       "det() needs a square matrix"),
    "unknown-variable": (["grad", "tr(A)", "--wrt", "Z"], "unknown variable 'Z' in --wrt"),
    "unbalanced": (["grad", "tr(X", "--wrt", "X"], "unbalanced '('"),
    "empty": (["grad", "", "--wrt", "X"], "empty input"),
    "unknown-function": (["grad", "frobm(X)", "--wrt", "X"], "unknown function 'frobm'"),
    "injection": (["grad", "__import__('os').system('echo pwned')", "--wrt", "X"],
                  "unexpected character"),
    "too-deep": (["grad", "(" * 500 + "X" + ")" * 500, "--wrt", "X"], "too deeply nested"),
    "too-long": (["grad", "X+" * 60_000 + "X", "--wrt", "X"], "input too long"),
    "huge-power": (["grad", "9^9^9^9", "--wrt", "X"], "too large"),
    "bad-shape-spec": (["grad", "tr(X)", "--wrt", "X", "--shape", "X=n,"], "invalid shape"),
    "shape-without-dims": (["grad", "tr(X)", "--wrt", "X", "--shape", "X"],
                           "--shape expects NAME=DIMS"),
    "unknown-structure": (["grad", "tr(X)", "--wrt", "X", "--assume", "X=hermitian"],
                          "unknown structure 'hermitian'"),
    "structure-on-rectangular": (["grad", "tr(X'*X)", "--wrt", "X", "--assume", "X=spd",
                                  "--shape", "X=n,m"], "must be square"),
    "bad-points": (["grad", "tr(X)", "--wrt", "X", "--check", "--points", "0"],
                   "expected a positive integer"),
    "unsupported-construct": (["grad", "vec(X)'*vec(X)", "--wrt", "X"], "no rule for Vec"),
    "unknown-command": (["frobnicate"], "invalid choice: 'frobnicate'"),
    "no-command": ([], "the following arguments are required"),
    "missing-catalogue": (["verify", "/nonexistent/catalogue"], "no such file or directory"),
    "option-for-another-command": (["hessian", "tr(X)", "--wrt", "X", "--layout", "numerator"],
                                   "unrecognized arguments"),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_bad_input_is_one_error_line(case):
    argv, message = CLI_CASES[case]
    code, out, err = run_cli(*argv)
    assert code == 2, (code, err)
    assert "Traceback" not in err and out == ""
    lines = err.rstrip("\n").splitlines()
    assert lines[0].startswith("matcalc: error: ") and message in lines[0], err
    # a parse error adds the text and a caret under the offending column
    assert len(lines) == 1 or (len(lines) == 3 and lines[2].strip() == "^"), err


def test_cli_malformed_catalogue_is_reported_not_raised(tmp_path):
    path = catalogue(tmp_path, GOOD.format(id="good") + MALFORMED["duplicate-id"][0])
    code, out, err = run_cli("verify", str(path), "--no-progress")
    assert code == 1 and "Traceback" not in out + err
    assert "malformed" in out and "duplicate id" in out


def test_cli_variable_not_in_the_expression_is_refused_as_a_likely_typo():
    # the Python API answers a zero of the variable's shape; the command line, which knows
    # shapes only from the expression, refuses a --wrt name the expression does not use
    code, out, err = run_cli("grad", "tr(A)", "--wrt", "X", "--shape", "X=n,m")
    assert code == 2 and out == ""
    assert err.strip() == "matcalc: error: unknown variable 'X' in --wrt: 'tr(A)' uses A"


def test_negation_chains_collapse():
    assert parse("-" * 5000 + "X").expr == X
    assert parse("-" * 5001 + "X").expr == MatMul(-1, X)


@pytest.mark.parametrize("depth_text", [
    "sin(" * 199 + "tr(X)" + ")" * 199,
    "tr(" + "inv(" * 198 + "X" + ")" * 198 + ")",
], ids=["sines", "inverses"])
def test_cli_input_just_under_the_parser_depth_limit_does_not_crash(depth_text):
    code, out, err = run_cli("grad", depth_text, "--wrt", "X")
    assert code in (0, 2) and "Traceback" not in err


def test_cli_subprocess_reports_one_line_and_exit_2():
    done = subprocess.run([sys.executable, "-m", "matcalc", "grad", "X*A", "--wrt", "X"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == ("matcalc: error: grad needs a scalar expression; 'X*A' is "
                                   "n x n (use 'matcalc jacobian')")
    done = subprocess.run([sys.executable, "-m", "matcalc", "grad", "tr(X", "--wrt", "X"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == ("matcalc: error: unbalanced '(': missing ')' "
                                           "(at column 3)")
