"""Safety: no text from a user or a catalogue is ever evaluated as Python.

Two checks. Statically, every call in the package that can evaluate code or text
(``eval``, ``exec``, ``compile``, ``sympify``, ``parse_expr``, ``__import__``,
``S(...)``, ``lambdify``) must be listed in ``ALLOWED`` with the reason it is safe
-- a new one fails this test until someone justifies it here. At run time, a
canary string that sets a flag if it is ever evaluated is handed to every entry
point that takes user input; the flag must stay down.

SymPy's default ``sympify`` parses a string with ``eval``; ``sympify(x,
strict=True)`` (``_sympify``) refuses strings; the package uses only the strict
form, and a canary test hands text to every public entry point (this was a bug:
``matcalc.grad("<python code>", X)`` ran the code).
"""
import builtins
import io
import re
from pathlib import Path

import pytest
from sympy import MatrixSymbol, Trace, symbols

import matcalc
from matcalc import numeric
from matcalc.catalogue import load_catalogue
from matcalc.cli import main
from matcalc.errors import ParseError
from matcalc.parse import parse

PACKAGE = Path(matcalc.__file__).parent
CALL = re.compile(r"(?<![\w.])(?:sympy\.)?(eval|exec|compile|sympify|_sympy_sympify|parse_expr|"
                  r"__import__|lambdify|S)\(")

SYMPY_OBJECT = "the argument is a SymPy object built by the engine (a shape, index or node)"
#: (file, call text) -> why it is safe
ALLOWED = {
    ("codegen/functions.py", 'exec(compile(source, filename, "exec"), namespace)'):
        "runs source that codegen.Emitter generates from the SymPy tree; arguments are renamed "
        "_a0, _a1, ... so no symbol name (let alone user text) appears in it",
    ("codegen/functions.py", 'compile(source, filename, "exec")'): "the same generated source",
    ("commutation.py", "sympify(i)"): SYMPY_OBJECT,
    ("commutation.py", "sympify(j)"): SYMPY_OBJECT,
    ("jacobian.py", "sympify(d)"): SYMPY_OBJECT,
    ("vec.py", "sympify(i)"): SYMPY_OBJECT,
    ("vec.py", "sympify(rows)"): SYMPY_OBJECT,
    ("vec.py", "sympify(a)"): SYMPY_OBJECT + " (_same compares two engine results)",
    ("vec.py", "sympify(b)"): SYMPY_OBJECT + " (_same compares two engine results)",
    ("numeric/points.py", "_sympy_sympify(value, strict=True)"):
        "strict mode converts numbers and SymPy objects only; numeric.sympify refuses text",
    ("numeric/evaluate.py", 'sympy.lambdify(args, expr, modules="numpy", printer=_printer(), '
                            'docstring_limit=0)'):
        "generates code from a SymPy expression whose symbols _rename has replaced by "
        "_mc_m0, _mc_s0, ...; the printer is strict (unknown functions refused)",
}
#: every other call in the oracle is numeric.points.sympify, the strict wrapper
STRICT_WRAPPER_FILES = {f"numeric/{name}.py" for name in
                        ("points", "evaluate", "differences", "judge", "check")}
#: public entry points that pass their arguments to SymPy's default sympify: none any more
#: (the package calls ``_sympify``, SymPy's strict form, which refuses strings)
REACHES_TEXT = {}


def _calls(path):
    """(call text, line number) of every evaluating call in one source file."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split("#", 1)[0]
        if re.match(r"\s*(def|class)\s", code):
            continue
        for match in CALL.finditer(code):
            depth, end = 0, match.end() - 1
            while end < len(code):
                depth += {"(": 1, ")": -1}.get(code[end], 0)
                if depth == 0:
                    break
                end += 1
            found.append((code[match.start():end + 1], number))
    return found


def test_every_evaluating_call_in_the_package_is_justified():
    unjustified = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()   # subpackages too: numeric/, codegen/ ...
        for call, number in _calls(path):
            key = (name, call)
            if key in ALLOWED or key in REACHES_TEXT:
                continue
            if name in STRICT_WRAPPER_FILES and call.startswith("sympify("):
                continue
            unjustified.append(f"{name}:{number}: {call}")
    assert not unjustified, ("calls that can evaluate text, not justified in "
                             "tests/test_safety.py ALLOWED:\n  " + "\n  ".join(unjustified))


def test_no_builtin_eval_or_parse_expr_anywhere():
    for path in sorted(PACKAGE.rglob("*.py")):
        for call, number in _calls(path):
            assert not call.startswith(("eval(", "parse_expr(", "__import__(", "S(")), \
                f"{path.name}:{number}: {call}"


# -- run time: a canary that would raise a flag if evaluated ---------------------------------
CANARY = "__import__('builtins').__setattr__('MATCALC_CANARY', True) or 1"
n = symbols("n", integer=True, positive=True)
X = MatrixSymbol("X", n, n)


@pytest.fixture
def canary():
    builtins.__dict__.pop("MATCALC_CANARY", None)
    yield CANARY
    evaluated = builtins.__dict__.pop("MATCALC_CANARY", False)
    assert not evaluated, "the canary text was evaluated as Python"


@pytest.fixture
def engine_canary():
    builtins.__dict__.pop("MATCALC_CANARY", None)
    yield CANARY
    builtins.__dict__.pop("MATCALC_CANARY", None)


def _swallow(call):
    try:
        call()
    except Exception:  # refusing is the point; only evaluation is a failure
        pass


@pytest.mark.parametrize("entry", [
    lambda c: parse(c),
    lambda c: parse("tr(X)", shapes={"X": c}),
    lambda c: parse("tr(X)", structures={"X": c}),
    lambda c: numeric.check(c, X, X),
    lambda c: numeric.check(Trace(X), X, c),
    lambda c: numeric.check_jacobian(c, X, X),
    lambda c: numeric.check_hessian(c, X, X),
    lambda c: numeric.evaluate(c, numeric.random_point(Trace(X))),
    lambda c: numeric.lambdify([X], c),
    lambda c: numeric.random_point(c),
    lambda c: numeric.point_at({X: [[1.0]]}, c),
], ids=["parse", "parse-shapes", "parse-structures", "check-f", "check-claim", "check-jacobian",
        "check-hessian", "evaluate", "lambdify", "random-point", "point-at"])
def test_text_is_never_evaluated_by_the_parser_or_the_oracle(canary, entry):
    _swallow(lambda: entry(canary))


def test_text_is_refused_by_the_oracle_with_a_clear_error():
    with pytest.raises(TypeError, match="does not evaluate text"):
        numeric.check("tr(X)", X, X)
    with pytest.raises(ParseError):
        parse(CANARY)


def test_text_is_never_evaluated_by_the_cli(canary):
    for argv in (["grad", canary, "--wrt", "X"], ["grad", "tr(X)", "--wrt", canary],
                 ["grad", "tr(X)", "--wrt", "X", "--shape", f"X={canary}"],
                 ["grad", "tr(X)", "--wrt", "X", "--assume", f"X={canary}"],
                 ["jacobian", canary, "--wrt", "X"], ["hessian", canary, "--wrt", "X"]):
        code = main(argv, stdout=io.StringIO(), stderr=io.StringIO())
        assert code == 2


def test_text_is_never_evaluated_by_the_catalogue(canary, tmp_path):
    body = ('section = "t"\ntitle = "T"\n[[identity]]\nid = "a"\nsource = "s"\n'
            f'expression = "{canary}"\nwrt = "X"\nkind = "gradient"\nresult = "{canary}"\n'
            f'shapes = {{ X = "{canary}" }}\nwhere = {{ Z = "{canary}" }}\n')
    body = body.replace("'", "\\u0027")  # TOML basic strings: keep the quotes inside
    path = tmp_path / "canary.toml"
    path.write_text(body, encoding="utf-8")
    identities, errors = load_catalogue(path, strict=False)
    assert errors and not identities


@pytest.mark.parametrize("entry", [
    lambda c: matcalc.grad(c, X),
    lambda c: matcalc.derive(c, X),
    lambda c: matcalc.jacobian(c, X),
    lambda c: matcalc.hessian(c, X),
    lambda c: matcalc.symmetric("S", c),
    lambda c: matcalc.norm(c),
    lambda c: matcalc.scalar(c),
], ids=["grad", "derive", "jacobian", "hessian", "symmetric", "norm", "scalar"])
def test_text_is_never_evaluated_by_the_engine(engine_canary, entry):
    _swallow(lambda: entry(engine_canary))
    assert not builtins.__dict__.get("MATCALC_CANARY", False), "evaluated"
