"""The matcalc command line: results, exit codes, and one-line errors (never a traceback)."""
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matcalc import cli
from matcalc.cli import main
from matcalc.printing.text import text_form

ROOT = Path(__file__).resolve().parent.parent

SMALL = '''section = "small"
title = "A small catalogue"

[[identity]]
id = "small-logdet"
source = "Matrix Cookbook (2012) eq. 57 & co."
expression = "log(abs(det(X)))"
wrt = "X"
kind = "gradient"
result = "inv(X)'"
assumptions = { X = "invertible" }

[[identity]]
id = "small-erratum"
source = "a transposed result"
expression = "a'*X*b"
wrt = "X"
kind = "gradient"
result = "b*a'"
shapes = { a = "m", X = "m,n", b = "n" }
status = "erratum"
corrected = "a*b'"
note = "printed transposed; 50% of readers notice_it"

[[identity]]
id = "small-unsupported"
source = "Matrix Cookbook (2012) eq. 66"
expression = "sum(eig(X))"
wrt = "X"
kind = "gradient"
result = "eye(n)"
status = "unsupported"
reason = "eigenvalues are not in the language"

[[identity]]
id = "small-jacobian"
source = "vec(AXB)"
expression = "A*X*B"
wrt = "X"
kind = "jacobian"
result = "kron(B', A)"
'''

FAILING = SMALL + '''
[[identity]]
id = "small-wrong"
source = "a wrong identity"
expression = "tr(A*X)"
wrt = "X"
kind = "gradient"
result = "A"
'''


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


# --------------------------------------------------------------------------
# grad / jacobian / hessian
# --------------------------------------------------------------------------

def test_grad_of_log_det_prints_the_inverse_transpose():
    assert run("grad", "log(det(X))", "--wrt", "X") == (0, "X^-T\n", "")


def test_grad_latex_of_least_squares():
    code, out, err = run("grad", "norm(X*W - Y)**2", "--wrt", "W", "--shape", "X=m,k",
                         "--shape", "W=k,n", "--shape", "Y=m,n", "--latex")
    assert code == 0 and out == "2 X^{T} \\left(X W - Y\\right)\n" and err == ""


def test_grad_text_form_reads_like_the_input_language():
    code, out, _ = run("grad", "norm(X*W - Y)^2", "--wrt", "W", "--shape", "X=m,k",
                       "--shape", "W=k,n", "--shape", "Y=m,n")
    assert out == "2*X'*(X*W - Y)\n"


def test_grad_json_with_check():
    code, out, _ = run("grad", "x'*A*x", "--wrt", "x", "--json", "--check")
    data = json.loads(out)
    assert code == 0
    assert data["result"] == "(A + A')*x" and data["latex"] == "\\left(A + A^{T}\\right) x"
    assert data["check"]["passed"] is True and data["check"]["max_rel_error"] < 1e-8


def test_grad_check_prints_the_error():
    code, out, _ = run("grad", "tr(A*inv(X)*B)", "--wrt", "X", "--assume", "X=invertible",
                       "--check")
    first, second = out.splitlines()
    assert code == 0 and first == "-X^-T*A'*B'*X^-T"
    assert second.startswith("check passed: max relative error")


def test_grad_steps_show_the_derivation():
    code, out, _ = run("grad", "tr(X'*A*X)", "--wrt", "X", "--steps")
    assert code == 0
    assert "product rule" in out and "identify gradient" in out
    assert out.splitlines()[-1] == "result: (A + A')*X"


def test_grad_steps_latex_is_an_align_environment():
    code, out, _ = run("grad", "tr(X'*A*X)", "--wrt", "X", "--steps", "--latex")
    assert code == 0 and out.startswith("\\begin{align*}") and "\\end{align*}" in out


def test_grad_layout_and_structure_options():
    assert run("grad", "x'*a", "--wrt", "x", "--layout", "numerator")[1] == "a'\n"
    code, out, _ = run("grad", "tr(A*X)", "--wrt", "X", "--assume", "X=symmetric",
                       "--structure", "symmetric-elementwise", "--check")
    assert code == 0 and out.splitlines()[0] == "A + A' - I(n) .* A"
    assert run("grad", "tr(A*X)", "--wrt", "X", "--assume", "X=symmetric", "--structure",
               "symmetric")[1] == "(1/2)*(A + A')\n"


def test_scalar_declaration():
    code, out, _ = run("grad", "c*tr(X)", "--wrt", "X", "--scalar", "c")
    assert code == 0 and out == "c*I(n)\n"


def test_expression_starting_with_a_minus_sign_is_not_an_option():
    assert run("grad", "-tr(X)", "--wrt", "X") == (0, "-I(n)\n", "")


def test_jacobian_and_hessian():
    assert run("jacobian", "A*X*B", "--wrt", "X") == (0, "kron(B', A)\n", "")
    assert run("hessian", "x'*A*x", "--wrt", "x") == (0, "A + A'\n", "")
    code, out, _ = run("jacobian", "inv(X)", "--wrt", "X", "--assume", "X=invertible", "--check")
    assert code == 0 and out.splitlines()[0] == "-kron(X^-T, X^-1)"
    assert "check passed" in out


def test_jacobian_denominator_layout_is_the_transpose():
    code, out, _ = run("jacobian", "A*X", "--wrt", "X", "--shape", "A=m,n", "--shape", "X=n,k",
                       "--layout", "denominator", "--check")
    assert code == 0 and out.splitlines()[0] == "kron(I(k), A')" and "check passed" in out


def test_text_form_of_common_constructs():
    from matcalc.parse import parse
    cases = {"inv(X)'": "X^-T", "inv(X')": "X^-T", "inv(A*B)": "(A*B)^-1",
             "hadamard(A, B)": "A .* B", "kron(A, B)": "kron(A, B)", "exp(X)": "exp(X)",
             "A .^ 2": "A.^2", "diagm(x)": "diagm(x)", "diag(A)": "diag(A)",
             "tr(A)*det(B)*X": "det(B)*tr(A)*X", "(x'*A*x)*B": "(x'*A*x)*B",
             "X^2": "X^2", "(A + B)'": "A' + B'", "ones(m, n)": "ones(m, n)"}
    for source, expected in cases.items():
        assert text_form(parse(source).expr) == expected, source


# --------------------------------------------------------------------------
# verify / latex
# --------------------------------------------------------------------------

def test_verify_small_catalogue_table_and_summary(small):
    code, out, err = run("verify", str(small))
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0].split() == ["small", "A", "small", "catalogue", "2", "pass", "0", "fail",
                                "1", "erratum", "1", "unsupported"]
    assert lines[-1].startswith("4 identities: 2 pass, 0 fail, 1 erratum, 1 unsupported")
    assert lines[-1].endswith(" s)")


def test_verify_failure_exits_1_and_names_the_identity(tmp_path):
    (tmp_path / "f.toml").write_text(FAILING, encoding="utf-8")
    code, out, _ = run("verify", str(tmp_path))
    assert code == 1
    assert "fail: small-wrong" in out and "stated result fails" in out


def test_verify_writes_a_json_report(small, tmp_path):
    target = tmp_path / "report.json"
    code, out, _ = run("verify", str(small), "--json", str(target), "--verbose")
    data = json.loads(target.read_text(encoding="utf-8"))
    assert code == 0
    assert data["counts"] == {"pass": 2, "fail": 0, "erratum": 1, "unsupported": 1, "error": 0}
    assert {r["id"] for r in data["identities"]} == {"small-logdet", "small-erratum",
                                                     "small-unsupported", "small-jacobian"}
    assert "small-erratum" in out  # --verbose lists every identity


def test_verify_only_selected_ids(small):
    code, out, _ = run("verify", str(small), "--id", "small-jacobian")
    assert code == 0 and out.splitlines()[-1].startswith("1 identity: 1 pass")


def test_verify_progress_goes_to_stderr_only_when_asked(small):
    code, out, err = run("verify", str(small), "--progress")
    assert code == 0 and "[4/4] small-jacobian" in err and "[" not in out


def test_verify_reports_malformed_entries_and_exits_1(tmp_path):
    (tmp_path / "m.toml").write_text(SMALL + '\n[[identity]]\nid = "x"\n', encoding="utf-8")
    code, out, _ = run("verify", str(tmp_path))
    assert code == 1 and "malformed" in out and "'x'" in out


def test_latex_document_is_written(small, tmp_path):
    target = tmp_path / "catalogue.tex"
    code, out, err = run("latex", str(small), "-o", str(target))
    text = target.read_text(encoding="utf-8")
    assert code == 0 and out == ""
    assert "\\section{A small catalogue}" in text and "small-erratum" in text
    assert "erratum confirmed" in text and "(as printed)" in text and "(corrected)" in text
    assert "Why unsupported" in text and "50\\% of readers notice\\_it" in text


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize("catalogue", ["small", "full"])
def test_latex_document_compiles_with_pdflatex(small, tmp_path, catalogue):
    source = small if catalogue == "small" else ROOT / "identities"
    target = tmp_path / "catalogue.tex"
    options = [] if catalogue == "small" else ["--no-verify"]
    assert run("latex", str(source), "-o", str(target), *options)[0] == 0
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           target.name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "catalogue.pdf").exists()


# --------------------------------------------------------------------------
# bad input: one line on stderr, exit 2, never a traceback
# --------------------------------------------------------------------------

BAD_INPUTS = [
    (["grad", "tr(X", "--wrt", "X"], "unbalanced '('"),
    (["grad", "x@@y", "--wrt", "x"], "expected an operand"),
    (["grad", "A*B", "--wrt", "A", "--shape", "A=m,n", "--shape", "B=k,p"],
     "shape mismatch: cannot multiply"),
    (["grad", "det(X)", "--wrt", "X", "--shape", "X=m,n"], "needs a square matrix"),
    (["grad", "tr(X)", "--wrt", "Z"], "unknown variable 'Z' in --wrt"),
    (["grad", "alpha*tr(X)", "--wrt", "alpha", "--structure", "symmetric"],
     "needs a square variable; alpha is a scalar"),
    (["grad", "A*X", "--wrt", "X"], "grad needs a scalar expression"),
    (["hessian", "A*x", "--wrt", "x"], "hessian needs a scalar expression"),
    (["grad", "tr(X)", "--wrt", "X", "--shape", "X"], "--shape expects NAME=DIMS"),
    (["grad", "tr(X)", "--wrt", "X", "--shape", "X=0,3"], "not a positive integer"),
    (["grad", "tr(X)", "--wrt", "X", "--assume", "X=weird"], "unknown structure 'weird'"),
    (["grad", "tr(X)", "--wrt", "X", "--structure", "hermitian"], "invalid choice"),
    (["grad", "x'*a", "--wrt", "x", "--structure", "symmetric"], "needs a square variable"),
    (["grad", "tr(X)"], "required: --wrt"),
    (["grad", "tr(X)", "--wrt", "X", "--check", "--points", "0"], "expected a positive integer"),
    (["verify", "identities", "--timeout", "-1"], "expected a positive number"),
    (["grad", "vec(X)", "--wrt", "X"], "grad needs a scalar expression"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "required: COMMAND"),
    (["verify", "/nonexistent/catalogue"], "no such file or directory"),
    (["verify", "identities", "--id", "no-such-id"], "no identity with id no-such-id"),
    (["latex", "/nonexistent/catalogue"], "no such file or directory"),
]


@pytest.mark.parametrize("argv, words", BAD_INPUTS, ids=[" ".join(a) or "(none)"
                                                          for a, _ in BAD_INPUTS])
def test_bad_input_gets_a_one_line_error_and_exit_2(argv, words):
    argv = [str(ROOT / a) if a == "identities" else a for a in argv]
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    first, *rest = err.splitlines()
    assert first.startswith("matcalc: error: ") and words in first, err
    # only a parse error adds lines: the text and a caret under the offending column
    assert rest == [] or (len(rest) == 2 and rest[1].strip() == "^"), err


def test_parse_error_shows_the_caret_under_the_column():
    code, _, err = run("grad", "tr(X) + * Y", "--wrt", "X")
    first, text, caret = err.splitlines()
    assert code == 2 and "(at column" in first
    assert text.strip() == "tr(X) + * Y" and caret.index("^") == text.index("* Y")


def test_unwritable_outputs_fail_before_any_work(small, tmp_path):
    code, out, err = run("verify", str(small), "--json", str(tmp_path / "no" / "r.json"))
    assert code == 2 and out == "" and err.startswith("matcalc: error: cannot write")
    code, out, err = run("latex", str(small), "-o", str(tmp_path / "no" / "c.tex"))
    assert code == 2 and err.startswith("matcalc: error: cannot write")


# -- issue 11: exact one-line errors, exit 2 ---------------------------------------------------
EXACT_ERRORS = [
    (["verify", "/dev/zero"], "/dev/zero: not a regular file or a directory (a character "
                              "device); expected a catalogue .toml file or a directory of them"),
    (["grad", "tr(X)", "--wrt", "X", "--check", "--seed", "-1"],
     "argument --seed: expected a seed from 0 to 4294967295, got -1 (see 'matcalc grad --help')"),
    (["verify", "identities", "--seed", "4294967296"], "argument --seed: expected a seed from 0 "
                                                       "to 4294967295, got 4294967296 (see "
                                                       "'matcalc verify --help')"),
    (["grad", "tr(X)", "--wrt", "X", "--check", "--points", "1000000000"],
     "argument --points: expected a positive integer (at most 1,000 points), got 1000000000 "
     "(see 'matcalc grad --help')"),
    (["verify", "identities", "--points", "1001"], "argument --points: expected a positive "
                                                   "integer (at most 1,000 points), got 1001 "
                                                   "(see 'matcalc verify --help')"),
]


@pytest.mark.parametrize("argv, message", EXACT_ERRORS, ids=[" ".join(a) for a, _ in EXACT_ERRORS])
def test_bad_paths_seeds_and_points_are_one_line_errors(argv, message):
    if not Path("/dev/zero").exists() and "/dev/zero" in argv:
        pytest.skip("no /dev/zero")
    argv = [str(ROOT / a) if a == "identities" else a for a in argv]
    assert run(*argv) == (2, "", f"matcalc: error: {message}\n")


def test_an_empty_catalogue_is_an_error_not_zero_identities(tmp_path):
    assert run("verify", str(tmp_path)) == (
        2, "", f"matcalc: error: no identities found in {tmp_path} (no .toml files in it)\n")
    header = tmp_path / "header.toml"
    header.write_text('section = "s"\ntitle = "t"\n', encoding="utf-8")
    for command in ("verify", "latex"):
        assert run(command, str(header)) == (
            2, "", f"matcalc: error: no identities found in {header}\n")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_disk_is_a_one_line_error(small):
    full = "matcalc: error: cannot write /dev/full: No space left on device\n"
    assert run("latex", str(small), "--no-verify", "-o", "/dev/full") == (2, "", full)
    code, out, err = run("verify", str(small), "--id", "small-jacobian", "--json", "/dev/full")
    assert (code, err) == (2, full) and out.endswith(" s)\n")  # the report, then the error


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_standard_output_on_a_full_disk_is_a_one_line_error(small):
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "matcalc", "latex", str(small),
                               "--no-verify"], cwd=ROOT, stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr == "matcalc: error: cannot write standard output: No space left on device\n"


def test_unsupported_construct_is_a_one_line_error(monkeypatch):
    from matcalc import derivatives as gradient
    from matcalc.errors import UnsupportedError

    def refuse(*args, **kwargs):
        raise UnsupportedError("Toeplitz", "no rule")
    monkeypatch.setattr(gradient, "grad", refuse)
    code, out, err = run("grad", "tr(X)", "--wrt", "X")
    assert code == 2 and err == "matcalc: error: matcalc has no rule for Toeplitz: no rule\n"


def test_internal_error_shows_a_traceback_and_exits_3(monkeypatch):
    from matcalc import derivatives as gradient

    def crash(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(gradient, "grad", crash)
    code, out, err = run("grad", "tr(X)", "--wrt", "X")
    assert code == 3
    assert "Traceback" in err and "RuntimeError: boom" in err
    assert err.rstrip().splitlines()[-1].startswith("matcalc: internal error:")
    assert "please report" in err


def test_help_exits_0(capsys):
    for argv in (["--help"], ["grad", "--help"], ["verify", "--help"], ["latex", "--help"],
                 ["jacobian", "--help"], ["hessian", "--help"]):
        assert main(argv) == 0
    assert "expression language" in capsys.readouterr().out


# --------------------------------------------------------------------------
# python -m matcalc
# --------------------------------------------------------------------------

def _module(*argv):
    return subprocess.run([sys.executable, "-m", "matcalc", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_python_dash_m_matcalc_derives():
    done = _module("grad", "log(det(X))", "--wrt", "X")
    assert done.returncode == 0 and done.stdout == "X^-T\n" and done.stderr == ""


def test_python_dash_m_matcalc_bad_input_is_one_line():
    done = _module("grad", "A*B", "--wrt", "A", "--shape", "A=m,n", "--shape", "B=k,p")
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("matcalc: error: ")


def test_cli_module_exports_main():
    assert cli.main is main


# --------------------------------------------------------------------------
# --check refuses what has no value or too much work, in one line (issue 11)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("argv,message", [
    (["grad", "tr(X)/0", "--wrt", "X", "--check"], "contains zoo (complex infinity"),
    (["grad", "tr(X)", "--wrt", "X", "--check", "--points", "1000000000"],
     "at most 1,000 points"),
    (["grad", "tr(X)", "--wrt", "X", "--shape", "X=100000,100000", "--check"],
     "at most 10,000,000 entries"),
    (["jacobian", "kron(X,X)", "--wrt", "X", "--shape", "X=40,40", "--check"],
     "at most 10,000,000 entries"),
], ids=["zoo", "points", "shape", "kron-jacobian"])
def test_check_refuses_undefined_values_and_unbounded_work_in_one_line(argv, message):
    code, out, err = run(*argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("matcalc: error: ") and message in err


@pytest.mark.parametrize("chosen, expected", [(None, "1"), ("3", "3")])
def test_the_command_line_runs_blas_on_one_thread_unless_told(chosen, expected):
    """The checks evaluate small matrices; a spinning multi-threaded BLAS on a loaded machine
    made `verify` give up on an identity (60 s) that takes 6 s on one thread."""
    import os
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS",
                                                            "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    if chosen is not None:
        env["OPENBLAS_NUM_THREADS"] = chosen
    probe = ("import os; from matcalc.cli import main; "
             "code = main(['grad', 'tr(A*X)', '--wrt', 'X']); "
             "print(code, os.environ['OPENBLAS_NUM_THREADS'])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    assert out.stdout.splitlines()[-1] == f"0 {expected}"
