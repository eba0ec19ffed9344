r"""matcalc's LaTeX reads like the Matrix Cookbook: X^{-T}, \operatorname{tr}(A X B), \log\det."""
import shutil
import subprocess

import pytest
from sympy import (Determinant, Dummy, HadamardPower, HadamardProduct, Identity, Inverse,
                   KroneckerProduct, Lambda, MatMul, MatPow, MatrixSymbol, OneMatrix, Rational,
                   Trace, Transpose, ZeroMatrix, exp, log, symbols, tanh)
from sympy.matrices.expressions import DiagMatrix, DiagonalOf
from sympy.matrices.expressions.matexpr import MatrixExpr

from matcalc.constructs.differentials import Differential, DifferentialSymbol, ScalarDifferential
from matcalc.constructs.functions import sigmoid
from matcalc.constructs.norm import Norm
from matcalc.constructs.scalars import scalar
from matcalc.printing.derivation import PREAMBLE, align_steps, escape_text
from matcalc.printing.latex import MatcalcLatexPrinter, latex
from matcalc.constructs.structured import symmetric

n, m, k = symbols("n m k")
X = MatrixSymbol("X", n, n)
A = MatrixSymbol("A", n, n)
B = MatrixSymbol("B", n, n)
W = MatrixSymbol("W", m, k)
Y = MatrixSymbol("Y", n, k)
Z = MatrixSymbol("Z", n, m)
x = MatrixSymbol("x", n, 1)
S = symmetric("S", n)
dX = DifferentialSymbol.of(X)
t = Dummy("t")

#: (name, expression, LaTeX): the exact strings, also compiled by pdflatex below
CASES = [
    ("grad_logdet", Inverse(Transpose(X)), r"X^{-T}"),
    ("transpose_of_inverse", Transpose(Inverse(X)), r"X^{-T}"),
    ("inverse", Inverse(X), r"X^{-1}"),
    ("transpose", Transpose(X), r"X^{T}"),
    ("compound_inverse", Inverse(A * B), r"\left(A B\right)^{-1}"),
    ("compound_inverse_transpose", Transpose(Inverse(A * B)), r"\left(A B\right)^{-T}"),
    ("compound_transpose", Transpose(Z * W - Y), r"\left(Z W - Y\right)^{T}"),
    ("matpow", MatPow(X, k), r"X^{k}"),
    ("matpow_of_transpose", MatPow(Transpose(X), 2), r"\left(X^{T}\right)^{2}"),
    ("matpow_of_inverse", MatPow(Inverse(X), 2), r"X^{-2}"),
    ("structured_symbol", Transpose(S), r"S^{T}"),
    ("trace", Trace(A * X * B), r"\operatorname{tr}\left(A X B\right)"),
    ("trace_squared", Trace(X) ** 2, r"\operatorname{tr}\left(X\right)^{2}"),
    ("det", Determinant(X), r"\det\left(X\right)"),
    ("logdet", log(Determinant(X)), r"\log\det\left(X\right)"),
    ("log", log(Trace(X)), r"\log\left(\operatorname{tr}\left(X\right)\right)"),
    ("det_times_inverse_transpose", Determinant(X) * X.T.I,
     r"\det\left(X\right) X^{-T}"),
    ("hadamard", HadamardProduct(A, B + X), r"A \circ \left(B + X\right)"),
    ("hadamard_of_product", HadamardProduct(A * B, X), r"\left(A B\right) \circ X"),
    ("product_of_hadamard", A * HadamardProduct(A, B), r"A \left(A \circ B\right)"),
    ("hadamard_power", HadamardPower(A, 2), r"A^{\circ 2}"),
    ("hadamard_power_compound", HadamardPower(A * B, Rational(1, 2)),
     r"\left(A B\right)^{\circ 1/2}"),
    ("kronecker", KroneckerProduct(Transpose(B), A), r"B^{T} \otimes A"),
    ("kronecker_of_sum", KroneckerProduct(A + B, X), r"\left(A + B\right) \otimes X"),
    ("identity", Identity(n), r"I_{n}"),
    ("identity_numeric", Identity(3), r"I_{3}"),
    ("identity_minus", Identity(n) - A, r"I_{n} - A"),
    ("zero", ZeroMatrix(n, m), r"0"),
    ("ones_matrix", OneMatrix(n, m), r"\mathbf{1}_{n \times m}"),
    ("ones_vector", OneMatrix(n, 1), r"\mathbf{1}_{n}"),
    ("ones_row", Transpose(x) * OneMatrix(n, 1), r"x^{T} \mathbf{1}_{n}"),
    ("diag_matrix", DiagMatrix(x), r"\operatorname{diag}\left(x\right)"),
    ("diag_inverse", Inverse(DiagMatrix(x)), r"\operatorname{diag}\left(x\right)^{-1}"),
    ("diagonal_of", DiagonalOf(X), r"\operatorname{diag}\left(X\right)"),
    ("elementwise_exp", X.applyfunc(exp), r"\exp\left(X\right)"),
    ("elementwise_exp_of_product", (A * B).applyfunc(exp), r"\exp\left(A B\right)"),
    ("elementwise_sigmoid", (A * X).applyfunc(sigmoid), r"\sigma\left(A X\right)"),
    ("elementwise_sigmoid_derivative",
     (A * X).applyfunc(Lambda(t, sigmoid(t) * (1 - sigmoid(t)))),
     r"\sigma\left(A X\right) \circ \left(1 - \sigma\left(A X\right)\right)"),
    ("elementwise_tanh_derivative", X.applyfunc(Lambda(t, 1 - tanh(t) ** 2)),
     r"1 - \tanh\left(X\right)^{\circ 2}"),
    ("elementwise_reciprocal", X.applyfunc(Lambda(t, 1 / t)), r"X^{\circ -1}"),
    ("elementwise_square_of_sum", (A + X).applyfunc(Lambda(t, t ** 2)),
     r"\left(A + X\right)^{\circ 2}"),
    ("scalar_quadratic_form", scalar(x.T * A * x), r"x^{T} A x"),
    ("scalar_squared", scalar(x.T * A * x) ** 2, r"\left(x^{T} A x\right)^{2}"),
    ("scalar_times_number", 2 * scalar(x.T * A * x), r"2 x^{T} A x"),
    ("scalar_times_scalar", scalar(x.T * x) * scalar(x.T * A * x),
     r"\left(x^{T} x\right) \left(x^{T} A x\right)"),
    ("scalar_before_matrix", MatMul(2 * scalar(x.T * A * x), A),
     r"2 \left(x^{T} A x\right) A"),
    ("scalar_over_det", scalar(x.T * A * x) / Determinant(X),
     r"\frac{x^{T} A x}{\det\left(X\right)}"),
    ("norm_frobenius", Norm(Z * W - Y), r"\left\|Z W - Y\right\|_{F}"),
    ("norm_vector", Norm(x), r"\left\|x\right\|_{2}"),
    ("norm_squared", Norm(Z * W - Y) ** 2, r"\left\|Z W - Y\right\|_{F}^{2}"),
    ("norm_gradient", (Z * W - Y) / Norm(Z * W - Y),
     r"\frac{1}{\left\|Z W - Y\right\|_{F}} \left(Z W - Y\right)"),
    ("differential_symbol", dX, r"\mathrm{d}X"),
    ("differential_transposed", Transpose(dX), r"\left(\mathrm{d}X\right)^{T}"),
    ("differential", Differential(A * X), r"\mathrm{d}\left(A X\right)"),
    ("differential_of_symbol", Differential(X), r"\mathrm{d}X"),
    ("differential_in_trace", Trace(X.I * dX),
     r"\operatorname{tr}\left(X^{-1} \mathrm{d}X\right)"),
    ("scalar_differential", ScalarDifferential(log(Determinant(X))),
     r"\mathrm{d}\left(\log\det\left(X\right)\right)"),
    ("coefficient", 2 * Z.T * (Z * W - Y), r"2 Z^{T} \left(Z W - Y\right)"),
    ("negative_coefficient", -2 * Z.T * (Z * W - Y), r"- 2 Z^{T} \left(Z W - Y\right)"),
    ("rational_coefficient", Rational(1, 2) * A, r"\frac{1}{2} A"),
    ("sum_coefficient", (Trace(X) + 1) * A, r"\left(\operatorname{tr}\left(X\right) + 1\right) A"),
    ("subtraction_positive_first", X - A * B, r"X - A B"),
    ("scalar_subtraction_positive_first", 1 - Trace(X), r"1 - \operatorname{tr}\left(X\right)"),
]


@pytest.mark.parametrize("expr, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_latex_reads_like_the_cookbook(expr, expected):
    assert latex(expr) == expected


def test_latex_passes_sympy_settings():
    assert latex(Trace(X), mode="inline") == r"$\operatorname{tr}\left(X\right)$"
    assert latex(Transpose(X), mat_symbol_style="bold") == r"\mathbf{X}^{T}"


def test_printer_style_wins_over_the_class_own_latex():
    from matcalc.constructs.commutation import CommutationMatrix

    class OwnLatex(CommutationMatrix):
        """A CommutationMatrix whose class prints itself differently: the registered
        notation of its construct (found along the MRO) wins."""

        def _latex(self, printer):
            return r"\mathcal{K}"

    assert latex(OwnLatex(m, n)) == r"K_{m,n}"
    assert latex(Transpose(OwnLatex(m, n))) == r"K_{m,n}^{T}"
    assert MatcalcLatexPrinter().doprint(Norm(x) ** 2) == r"\left\|x\right\|_{2}^{2}"


def test_escape_text_keeps_inline_math():
    note = r"rule log_det & 100% #1 {x} ~ a^b, $\mathrm{d}\log\det U$ costs \$5"
    assert escape_text(note) == (r"rule log\_det \& 100\% \#1 \{x\} \textasciitilde{} "
                                 r"a\textasciicircum{}b, $\mathrm{d}\log\det U$ costs \$5")


LOGDET_STEPS = [
    (ScalarDifferential(log(Determinant(X))), Trace(X.I * dX),
     r"log_det: $\mathrm{d}\log\det U = \operatorname{tr}(U^{-1}\,\mathrm{d}U)$"),
    (None, Trace(MatMul(Transpose(Inverse(Transpose(X))), dX)), "cyclic & transpose (100%)"),
    (r"\nabla_{X} f", Inverse(Transpose(X)), ""),
]


def test_align_steps_renders_a_derivation():
    assert align_steps(LOGDET_STEPS) == "\n".join([
        r"\begin{align*}",
        r"\mathrm{d}\left(\log\det\left(X\right)\right) &= "
        r"\operatorname{tr}\left(X^{-1} \mathrm{d}X\right) && "
        r"\text{log\_det: $\mathrm{d}\log\det U = \operatorname{tr}(U^{-1}\,\mathrm{d}U)$} \\",
        r"&= \operatorname{tr}\left(\left(X^{-T}\right)^{T} \mathrm{d}X\right) && "
        r"\text{cyclic \& transpose (100\%)} \\",
        r"\nabla_{X} f &= X^{-T}",
        r"\end{align*}",
    ])


def _document(preamble):
    inline = "\n\n".join(r"\texttt{%s}: $%s$" % (escape_text(name), expected)
                         for name, _, expected in CASES)
    return "\n".join([
        r"\documentclass{article}",
        preamble,
        r"\begin{document}",
        inline,
        align_steps(LOGDET_STEPS),
        r"\end{document}",
        "",
    ])


@pytest.mark.parametrize("preamble", [r"\usepackage{amsmath}\usepackage{amssymb}", PREAMBLE],
                         ids=["amsmath", "matcalc_preamble"])
def test_latex_compiles_with_pdflatex(tmp_path, preamble):
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex not installed: apt-get install texlive-latex-base")
    (tmp_path / "matcalc.tex").write_text(_document(preamble))
    run = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "matcalc.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "matcalc.pdf").exists()


def test_elementwise_sum_keeps_its_parentheses_in_products():
    from sympy import Dummy
    u = Dummy("u")
    E = X.applyfunc(Lambda(u, 1 - tanh(u) ** 2))
    assert latex(A * E) == r"A \left(1 - \tanh\left(X\right)^{\circ 2}\right)"
    assert latex(-E) == r"- \left(1 - \tanh\left(X\right)^{\circ 2}\right)"
