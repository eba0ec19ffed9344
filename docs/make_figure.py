"""Render docs/derivation.png: matcalc's derivation of d||XW - Y||_F^2 / dW, as pdflatex sets it.

    python3 docs/make_figure.py            (from the repository root; needs pdflatex, pdftoppm)

The picture is made from the real output: ``matcalc.derive`` -> ``derivation_latex``
-> an article page with matcalc's ``PREAMBLE`` -> pdflatex -> pdftoppm -> cropped to
its ink (Pillow, which matplotlib brings).
The result is checked numerically first; the figure states the check.
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sympy import MatrixSymbol, symbols  # noqa: E402

import matcalc  # noqa: E402
from matcalc.printing.display import _error_latex  # noqa: E402
from matcalc.printing.derivation import PREAMBLE, derivation_latex  # noqa: E402
from matcalc.printing.latex import latex  # noqa: E402

OUTPUT = ROOT / "docs" / "derivation.png"
DPI = 200


def figure_source():
    """The LaTeX document of the figure (and the check report it states)."""
    n, k, m = symbols("n k m", integer=True, positive=True)
    X, W, Y = MatrixSymbol("X", n, k), MatrixSymbol("W", k, m), MatrixSymbol("Y", n, m)
    f = matcalc.norm(X * W - Y) ** 2
    derivation = matcalc.derive(f, W)
    report = matcalc.check(f, W, derivation.result)
    if not report.passed:
        raise SystemExit(f"the derivation's result fails the numeric check: {report}")
    header = (r"$f(W) = %s, \quad X \in \mathbb{R}^{n \times k},\ W \in \mathbb{R}^{k \times m},"
              r"\ Y \in \mathbb{R}^{n \times m}$" % latex(f))
    footer = (r"{\small\color{gray} checked against finite differences at %d random points: "
              r"max relative error $%s$}" % (report.points, _error_latex(report.max_rel_error)))
    return "\n".join([
        r"\documentclass[11pt]{article}",
        r"\usepackage[paperwidth=17cm,paperheight=12cm,margin=1cm]{geometry}",
        PREAMBLE,
        r"\usepackage{xcolor}",
        r"\pagestyle{empty}",
        r"\setlength{\parindent}{0pt}",
        r"\begin{document}",
        header,
        derivation_latex(derivation),
        footer,
        r"\end{document}",
        "",
    ])


def render(source, output=OUTPUT, dpi=DPI):
    pdflatex, pdftoppm = shutil.which("pdflatex"), shutil.which("pdftoppm")
    if pdflatex is None or pdftoppm is None:
        raise SystemExit("needs pdflatex and pdftoppm (apt-get install texlive-latex-extra "
                         "poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "derivation.tex").write_text(source)
        run = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                              "derivation.tex"], cwd=tmp, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(run.stdout[-3000:])
        subprocess.run([pdftoppm, "-png", "-r", str(dpi), "-singlefile", "derivation.pdf",
                        "derivation"], cwd=tmp, check=True)
        output.parent.mkdir(parents=True, exist_ok=True)
        crop(tmp / "derivation.png", output, margin=dpi // 8)
    return output


def crop(source, output, margin):
    """The page cut to its ink plus ``margin`` pixels of white."""
    from PIL import Image, ImageChops
    page = Image.open(source).convert("RGB")
    ink = ImageChops.difference(page, Image.new("RGB", page.size, "white")).getbbox()
    if ink is None:
        raise SystemExit("the rendered page is empty")
    left, top, right, bottom = ink
    box = (max(left - margin, 0), max(top - margin, 0),
           min(right + margin, page.width), min(bottom + margin, page.height))
    page.crop(box).save(output, optimize=True)


if __name__ == "__main__":
    print(render(figure_source()))
