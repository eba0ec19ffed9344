r"""Derivations as LaTeX (align*), results and check reports in IPython/Jupyter."""
import shutil
import subprocess

import pytest
from sympy import (Determinant, HadamardProduct, Identity, KroneckerProduct, MatAdd, MatMul,
                   MatrixSymbol, Trace, log, symbols)

import matcalc
from matcalc.differential import RULE_NAMES
from matcalc.printing.display import init_printing, latex_repr, report_html, report_latex
from matcalc.constructs.differentials import Differential, DifferentialSymbol
from matcalc.constructs.functions import sigmoid
from matcalc.constructs.norm import norm
from matcalc.constructs.scalars import scalar
from matcalc.printing.derivation import (PREAMBLE, RULE_NOTES, align_steps, derivation_latex,
                                         rule_note, space_differentials, tidy_step)
from matcalc.numeric import CheckReport
from matcalc.constructs.structured import spd

n, m, k = symbols("n m k", integer=True, positive=True)
X = MatrixSymbol("X", n, n)
A = MatrixSymbol("A", n, n)
Xd = MatrixSymbol("X", n, k)      # data
W = MatrixSymbol("W", k, m)       # weights
Y = MatrixSymbol("Y", n, m)       # targets
x = MatrixSymbol("x", n, 1)
S = spd("S", n)


def derivation_checked(f, V, **options):
    """``derive(f, V)``, its result confirmed by the numeric oracle."""
    derivation = matcalc.derive(f, V, **options)
    assert derivation.result == matcalc.grad(f, V, **options)
    report = matcalc.check(f, V, derivation.result, layout=options.get("layout", "denominator"),
                           structure=options.get("structure"))
    assert report.passed, report
    return derivation


LOGDET_ALIGN = "\n".join([
    r"\begin{align*}",
    r"\mathrm{d}f &= \mathrm{d}\left(\log\det\left(X\right)\right) \\",
    r"&= \operatorname{tr}\left(X^{-1} \,\mathrm{d}X\right) && "
    r"\text{$\mathrm{d}\log\det U = \operatorname{tr}(U^{-1}\,\mathrm{d}U)$} \\",
    r"\nabla_{X} f &= X^{-T} && \text{identify gradient}",
    r"\end{align*}",
])

LEAST_SQUARES_ALIGN = "\n".join([
    r"\begin{align*}",
    r"\mathrm{d}f &= \mathrm{d}\left(\left\|X W - Y\right\|_{F}^{2}\right) \\",
    r"&= 2 \left\|X W - Y\right\|_{F} \,\mathrm{d}\left(\left\|X W - Y\right\|_{F}\right) "
    r"&& \text{power rule} \\",
    r"&= 2 \operatorname{tr}\left(\left(W^{T} X^{T} - Y^{T}\right) "
    r"\,\mathrm{d}\left(X W - Y\right)\right) "
    r"&& \text{$\mathrm{d}\|E\| = \operatorname{tr}(E^{T}\,\mathrm{d}E) / \|E\|$} \\",
    r"&= 2 \operatorname{tr}\left(\left(W^{T} X^{T} - Y^{T}\right) "
    r"\,\mathrm{d}\left(X W\right)\right) && \text{linearity} \\",
    r"&= 2 \operatorname{tr}\left(\left(W^{T} X^{T} - Y^{T}\right) X \,\mathrm{d}W\right) "
    r"&& \text{product rule} \\",
    r"&= \operatorname{tr}\left(2 \left(W^{T} X^{T} - Y^{T}\right) X \,\mathrm{d}W\right) "
    r"&& \text{trace cyclic} \\",
    r"\nabla_{W} f &= 2 X^{T} \left(X W - Y\right) && \text{identify gradient}",
    r"\end{align*}",
])


# --------------------------------------------------------------------------
# derivation_latex
# --------------------------------------------------------------------------

def test_derivation_of_logdet_is_an_align_block():
    derivation = derivation_checked(log(Determinant(X)), X)
    assert derivation_latex(derivation) == LOGDET_ALIGN
    assert derivation.latex() == LOGDET_ALIGN


def test_derivation_of_least_squares_names_every_rule():
    derivation = derivation_checked(norm(Xd * W - Y) ** 2, W)
    assert derivation_latex(derivation) == LEAST_SQUARES_ALIGN


def test_derivation_in_numerator_layout_ends_with_the_row_gradient():
    derivation = derivation_checked(scalar(x.T * A * x), x, layout="numerator")
    lines = derivation_latex(derivation).splitlines()
    assert lines[-3] == r"G &= \left(A + A^{T}\right) x && \text{identify gradient} \\"
    assert lines[-2] == (r"\frac{\partial f}{\partial x} &= x^{T} \left(A + A^{T}\right) "
                         r"&& \text{numerator layout: $G^{T}$}")


def test_derivation_with_structure_ends_with_the_structured_gradient():
    derivation = derivation_checked(log(Determinant(S)), S, structure="symmetric")
    lines = derivation_latex(derivation).splitlines()
    assert lines[-3] == r"G &= S^{-1} && \text{identify gradient} \\"
    assert lines[-2] == (r"\nabla_{S} f &= S^{-1} && "
                         r"\text{symmetric: $\frac{1}{2}(G + G^{T})$}")


def test_every_engine_rule_has_a_note():
    engine_rules = set(RULE_NAMES.values()) | {
        "trace cyclic: df = tr(G^T dX)", "identify gradient: G", "numerator layout: transpose",
        "structure=symmetric", "structure=symmetric-elementwise"}
    assert engine_rules <= set(RULE_NOTES), engine_rules - set(RULE_NOTES)


def test_rule_note_of_an_unknown_rule_is_math_that_compiles():
    assert rule_note("d(U ∘ V ⊗ W) = dU ∘ V") == (
        r"$\mathrm{d}(U \circ V \otimes W) = \mathrm{d}U \circ V$")
    assert rule_note("new rule: d tr(U^{-1}) = -tr(U^{-2} dU)") == (
        r"new rule: $\mathrm{d} \operatorname{tr}(U^{-1}) = "
        r"-\operatorname{tr}(U^{-2} \mathrm{d}U)$")
    assert rule_note("φ smoothing") == "? smoothing"


def test_differentials_get_a_thin_space_between_factors():
    assert space_differentials(r"\operatorname{tr}\left(A \mathrm{d}W_{1} B\right)") == (
        r"\operatorname{tr}\left(A \,\mathrm{d}W_{1}\, B\right)")
    assert space_differentials(r"X \circ \mathrm{d}X + \mathrm{d}\theta \circ B") == (
        r"X \circ \mathrm{d}X + \mathrm{d}\theta \circ B")
    assert space_differentials(r"- \mathrm{d}X^{T} \right)") == r"- \mathrm{d}X^{T} \right)"


def test_tidy_step_drops_unit_factors_and_single_term_sums():
    dX = DifferentialSymbol.of(X)
    messy = MatMul(1, Identity(n), MatAdd(MatMul(1, X, dX)), MatMul(2, A))
    assert tidy_step(messy) == MatMul(2, X, dX, A)
    assert tidy_step(Trace(MatAdd(Differential(X * A)))) == Trace(Differential(X * A))


def test_derivation_repr_latex_is_aligned_in_display_math():
    derivation = derivation_checked(log(Determinant(X)), X)
    expected = ("$$" + LOGDET_ALIGN.replace("align*", "aligned") + "$$")
    assert derivation._repr_latex_() == expected


# --------------------------------------------------------------------------
# check reports
# --------------------------------------------------------------------------

PASSED = CheckReport("gradient", 3.2e-11, True, 3, "richardson", 1e-6)
FAILED = CheckReport("gradient", 0.41, False, 3, "directional+richardson", 1e-6,
                     reason="point 0: relative error 0.41 exceeds rtol 1e-06")


def test_report_latex_is_a_small_table():
    assert report_latex(PASSED) == "\n".join([
        r"$$\begin{array}{ll}",
        r"\text{check} & \text{gradient} \\",
        r"\text{result} & \textbf{passed} \\",
        r"\text{max relative error} & 3.20 \times 10^{-11} \\",
        r"\text{tolerance} & 10^{-6} \\",
        r"\text{points} & 3 \\",
        r"\text{method} & \text{richardson}",
        r"\end{array}$$",
    ])
    failed = report_latex(FAILED)
    assert r"\text{result} & \textbf{FAILED} \\" in failed
    assert r"\text{max relative error} & 4.10 \times 10^{-1} \\" in failed
    assert r"\text{reason} & \text{point 0: relative error 0.41 exceeds rtol 1e-06}" in failed


def test_report_html_is_a_small_table():
    html = report_html(PASSED)
    assert html.startswith("<table>") and html.endswith("</table>")
    assert '<td><b style="color:green">passed</b></td>' in html
    assert "<td>3.20&times;10<sup>-11</sup></td>" in html
    assert '<td><b style="color:red">FAILED</b></td>' in report_html(FAILED)
    assert "exceeds rtol" in report_html(FAILED)


def test_report_of_a_real_check():
    f = log(Determinant(X))
    report = matcalc.check(f, X, matcalc.grad(f, X))
    assert report.passed
    assert r"\textbf{passed}" in report_latex(report)


# --------------------------------------------------------------------------
# init_printing
# --------------------------------------------------------------------------

@pytest.fixture
def shell():
    pytest.importorskip("IPython", reason="IPython is not installed")
    from IPython.core.interactiveshell import InteractiveShell
    return InteractiveShell.instance()


def test_init_printing_renders_results_with_matcalc_latex(shell):
    init_printing(shell)
    f = log(Determinant(X))
    G = matcalc.grad(f, X)
    assert matcalc.check(f, X, G).passed
    data, _ = shell.display_formatter.format(G)
    assert data["text/latex"] == r"$\displaystyle X^{-T}$"
    assert data["text/plain"] == "X.T**(-1)"
    data, _ = shell.display_formatter.format(f)
    assert data["text/latex"] == r"$\displaystyle \log\det\left(X\right)$"
    data, _ = shell.display_formatter.format([G, X.T])
    assert data["text/latex"] == r"$\displaystyle \left[ X^{-T}, \  X^{T}\right]$"


def test_init_printing_shows_reports_and_derivations(shell):
    init_printing(shell)
    data, _ = shell.display_formatter.format(PASSED)
    assert data["text/html"] == report_html(PASSED)
    assert data["text/latex"] == report_latex(PASSED)
    derivation = derivation_checked(log(Determinant(X)), X)
    data, _ = shell.display_formatter.format(derivation)
    assert data["text/latex"] == derivation._repr_latex_()


def test_init_printing_leaves_other_objects_alone(shell):
    init_printing(shell)
    data, _ = shell.display_formatter.format([1, "a"])
    assert "text/latex" not in data
    assert latex_repr({"a": 1}) is None


def test_init_printing_outside_ipython_does_nothing(monkeypatch):
    IPython = pytest.importorskip("IPython", reason="IPython is not installed")
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert init_printing() is None


# --------------------------------------------------------------------------
# pdflatex
# --------------------------------------------------------------------------

def _derivations():
    B = MatrixSymbol("B", m, m)
    return [
        derivation_checked(log(Determinant(X)), X),
        derivation_checked(norm(Xd * W - Y) ** 2, W),
        derivation_checked(scalar(x.T * A * x), x, layout="numerator"),
        derivation_checked(log(Determinant(S)), S, structure="symmetric-elementwise"),
        derivation_checked(Trace(X.applyfunc(sigmoid) * A), X),
        derivation_checked(Trace(HadamardProduct(X, X) * A) + Determinant(X), X),
        derivation_checked(Trace(KroneckerProduct(X, B)), X),
        derivation_checked(scalar(x.T * X.I * x) + Trace(X ** 3), X),
    ]


def test_derivations_compile_with_pdflatex(tmp_path):
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        print("pdflatex not installed (apt-get install texlive-latex-base): compile test skipped")
        pytest.skip("pdflatex not installed: apt-get install texlive-latex-base")
    unknown = rule_note("new rule: d(U ∘ V) = dU ∘ V, d||E|| = tr(E^T dE)/||E|| & 100% φ_1")
    body = [derivation_latex(d) for d in _derivations()]
    body.append(r"\[" + _derivations()[0]._repr_latex_().strip("$") + r"\]")
    body.append(align_steps([("x", "y", unknown)]))
    body.append(report_latex(FAILED))
    document = "\n".join([r"\documentclass{article}", r"\usepackage[margin=1cm,landscape]{geometry}",
                          PREAMBLE, r"\begin{document}", *body, r"\end{document}", ""])
    (tmp_path / "derivations.tex").write_text(document)
    run = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "derivations.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "derivations.pdf").exists()
