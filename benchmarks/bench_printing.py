"""Printing a result takes time linear in its size (issue 11): before/after the fix.

    python3 benchmarks/bench_printing.py                 # with the fix, then without it
    python3 benchmarks/bench_printing.py --limit 300     # seconds allowed per printer run

The result: ``G = grad(tr(inv(M M^T + 3I)), Y)`` with ``M = diag(C^T Y) c^T Y^T``
(``DiagonalOf``), which ``matcalc.grad`` derives in 0.01 s.  Each printer (``str``,
``matcalc.latex``, ``text_form``) runs in a fresh process, once with
``matcalc.sympy_fixes`` as it is and once with its ``could_extract_minus_sign`` of
``MatMul``/``MatAdd`` removed (SymPy's own: ``-self``, a deep ``doit``, and for the
``DiagMatrix`` inside a SAT query per node); a run over ``--limit`` seconds is reported as
such.  Prints a Markdown table.

Measured 2026-12-01 on the shared 2-core machine (load 2 - 4), Python 3.11.7, SymPy 1.14.0
(this script; "without" keeps today's printers and only removes the predicate fix):

| printer | without the fix (s) | with the fix (s) |
| --- | --- | --- |
| str(G) | > 200 (~116 in issue 11) | 0.015 |
| matcalc.latex(G) | 65 (25 - 115 across runs) | 0.012 |
| text_form(G) | 0.012 | 0.011 |

The command line on the same result, at commit be3ee25 (before) and after, wall time:

    E="tr(inv(diag(C'*Y)*c'*Y'*(diag(C'*Y)*c'*Y')' + 3*eye(m)))"
    matcalc grad "$E" --wrt Y --shape Y=n,m --shape C=n,m --shape c=m --json    # 171.5 s -> 0.7 s (53 MB)
    matcalc grad "$E" --wrt Y --shape Y=n,m --shape C=n,m --shape c=m --steps   #  71.5 s -> 1.4 s

(``text_form`` was fast before too: its printer never asks ``could_extract_minus_sign``
of a product; ``--json`` spent its time in the ``str`` and LaTeX fields.)
"""
import argparse
import json
import subprocess
import sys
import time

RUN = r"""
import json, sys, time
import matcalc
from matcalc.printing.text import text_form
if sys.argv[2] == "without":
    from sympy import MatAdd, MatMul
    del MatMul.could_extract_minus_sign, MatAdd.could_extract_minus_sign
from sympy import DiagonalOf, Identity, Inverse, MatAdd, MatMul, MatrixSymbol, Trace, symbols
n, m = symbols("n m", integer=True, positive=True)
Y, C, c = MatrixSymbol("Y", n, m), MatrixSymbol("C", n, m), MatrixSymbol("c", m, 1)
M = MatMul(DiagonalOf(C.T * Y), c.T * Y.T)
G = matcalc.grad(Trace(Inverse(MatAdd(MatMul(M, M.T), MatMul(3, Identity(m))))), Y)
printer = {"str": str, "latex": matcalc.latex, "text_form": text_form}[sys.argv[1]]
start = time.perf_counter()
printed = printer(G)
print(json.dumps({"seconds": time.perf_counter() - start, "chars": len(printed)}))
"""


def measure(printer, mode, limit):
    try:
        done = subprocess.run([sys.executable, "-c", RUN, printer, mode], capture_output=True,
                              text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return f"> {limit:g}"
    if done.returncode:
        return "error: " + done.stderr.strip().splitlines()[-1]
    return "%.3f" % json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=float, default=180, help="seconds per printer run")
    args = parser.parse_args()
    print("| printer | without the fix (s) | with the fix (s) |")
    print("| --- | --- | --- |")
    started = time.perf_counter()
    for name, label in (("str", "str(G)"), ("latex", "matcalc.latex(G)"),
                        ("text_form", "text_form(G)")):
        print(f"| {label} | {measure(name, 'without', args.limit)} | "
              f"{measure(name, 'with', args.limit)} |", flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s in all", file=sys.stderr)


if __name__ == "__main__":
    main()
