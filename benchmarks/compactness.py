"""Compactness: is matcalc's result as short as what people write?

    python benchmarks/compactness.py                  # the table for benchmarks/README.md
    python benchmarks/compactness.py --json out.json  # every row, machine-readable

For every catalogue identity with a stated result, and for the ML/statistics staples below
(each with a hand-written reference form), it derives the result with matcalc and reports
the ratio of the sizes (nodes of the SymPy tree, ``matcalc.simplify.expression_size``) of
matcalc's result and the reference, whether the two are equal symbolically
(``equal_forms``), and whether the reference itself passes the numeric check (a wrong
reference is reported, never counted as a win).
"""
import argparse
import json
import os
import signal
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import matcalc  # noqa: E402
from matcalc.catalogue import derive_for, load_catalogue  # noqa: E402
from matcalc.catalogue.verify import check_for  # noqa: E402
from matcalc.parse import parse  # noqa: E402
from matcalc.printing.text import text_form  # noqa: E402
from matcalc.simplify import equal_forms, expression_size  # noqa: E402

LR = dict(X="N,d", w="d", y="N")          # a regression: N samples, d features
N1 = "ones(N,1)"

#: (id, kind, expression, wrt, reference, shapes, structures)
STAPLES = [
    ("least-squares", "gradient", "norm(X*w - y)^2", "w", "2*X'*(X*w - y)", LR, {}),
    ("ridge", "gradient", "norm(X*w - y)^2 + lam*w'*w", "w", "2*X'*(X*w - y) + 2*lam*w", LR, {}),
    ("least-squares-matrix", "gradient", "norm(X*W - Y)^2", "W", "2*X'*(X*W - Y)",
     dict(X="N,d", W="d,k", Y="N,k"), {}),
    ("weighted-least-squares", "gradient", "(y - X*w)'*S*(y - X*w)", "w", "-2*X'*S*(y - X*w)",
     dict(LR, S="N,N"), {"S": "symmetric"}),
    ("tikhonov", "gradient", "norm(A*x - b)^2 + norm(L*x)^2", "x", "2*A'*(A*x - b) + 2*L'*L*x",
     dict(A="m,n", x="n", b="m", L="p,n"), {}),
    ("norm-residual", "gradient", "norm(A*x - b)", "x", "A'*(A*x - b)/norm(A*x - b)",
     dict(A="m,n", x="n", b="m"), {}),
    ("logistic", "gradient",
     f"{N1}'*(-y .* log(sigmoid(X*w)) - ({N1} - y) .* log({N1} - sigmoid(X*w)))", "w",
     "X'*(sigmoid(X*w) - y)", LR, {}),
    ("logistic-exp-spelling", "gradient",
     f"{N1}'*(-y .* log(map(u -> 1/(1 + exp(-u)), X*w)) - ({N1} - y) .* "
     f"log({N1} - map(u -> 1/(1 + exp(-u)), X*w)))", "w", "X'*(sigmoid(X*w) - y)", LR, {}),
    ("logistic-margin", "gradient", "log(1 + exp(-y'*X*w))", "w", "-sigmoid(-(y'*X*w))*X'*y",
     LR, {}),
    ("softplus", "gradient", f"{N1}'*log({N1} + exp(X*w))", "w", "X'*sigmoid(X*w)", LR, {}),
    ("poisson", "gradient", f"{N1}'*(exp(X*w) - y .* (X*w))", "w", "X'*(exp(X*w) - y)", LR, {}),
    ("log-sum-exp", "gradient", "log(ones(n,1)'*exp(x))", "x", "exp(x)/(ones(n,1)'*exp(x))", {}, {}),
    ("quadratic-form", "gradient", "x'*A*x", "x", "(A + A')*x", {}, {}),
    ("shifted-quadratic-A", "gradient", "(x - b)'*A*(x - b)", "A", "(x - b)*(x - b)'", {}, {}),
    ("shifted-quadratic-x", "gradient", "(x - b)'*A*(x - b)", "x", "(A + A')*(x - b)", {}, {}),
    ("mahalanobis", "gradient", "(x - mu)'*P*(x - mu)", "x", "2*P*(x - mu)",
     dict(mu="n"), {"P": "symmetric"}),
    ("gaussian-mean", "gradient", "(1/2)*(x - mu)'*inv(S)*(x - mu)", "mu", "S^-1*(mu - x)",
     dict(mu="n"), {"S": "spd"}),
    ("gaussian-covariance", "gradient", "(1/2)*logdet(S) + (1/2)*(x - mu)'*inv(S)*(x - mu)", "S",
     "(1/2)*S^-1*(S - (x - mu)*(x - mu)')*S^-1", dict(mu="n"), {"S": "spd"}),
    ("gaussian-precision", "gradient", "-(1/2)*logdet(P) + (1/2)*(x - mu)'*P*(x - mu)", "P",
     "(1/2)*((x - mu)*(x - mu)' - P^-1)", dict(mu="n"), {"P": "spd"}),
    ("covariance-fit", "gradient", "tr(C*inv(S)) + logdet(S)", "S", "S^-1*(S - C)*S^-1",
     {}, {"S": "spd", "C": "symmetric"}),
    ("logdet", "gradient", "log(det(X))", "X", "X^-T", {}, {}),
    ("log-abs-det", "gradient", "log(abs(det(X)))", "X", "X^-T", {}, {}),
    ("det", "gradient", "det(X)", "X", "det(X)*X^-T", {}, {}),
    ("trace-AXB", "gradient", "tr(A*X*B)", "X", "A'*B'", {}, {}),
    ("trace-XtAX", "gradient", "tr(X'*A*X)", "X", "(A + A')*X", {}, {}),
    ("trace-inverse", "gradient", "tr(inv(X)*A)", "X", "-X^-T*A'*X^-T", {}, {}),
    ("trace-AXinvB", "gradient", "tr(A*inv(X)*B)", "X", "-X^-T*A'*B'*X^-T", {}, {}),
    ("bilinear-inverse", "gradient", "x'*inv(X)*y", "X", "-X^-T*x*y'*X^-T", dict(y="n"), {}),
    ("ridge-hat-trace", "gradient", "tr(X*inv(X'*X + lam*I(k))*X')", "X",
     "2*lam*X*(X'*X + lam*I(k))^-2", dict(X="n,k"), {}),
    ("det-of-1x1", "gradient", "det(x'*A*x)", "x", "(A + A')*x", {}, {}),
    ("power-300", "gradient", "tr(X^300)", "X", "300*(X^299)'", {}, {}),
    ("rayleigh-ratio", "gradient", "tr(x'*A*x)/tr(x'*B*x)", "x",
     "((A + A')*x - (x'*A*x)/(x'*B*x)*(B + B')*x)/(x'*B*x)", {}, {}),
    ("factorisation-U", "gradient", "norm(X - U*V)^2", "U", "-2*(X - U*V)*V'",
     dict(X="m,n", U="m,k", V="k,n"), {}),
    ("factorisation-V", "gradient", "norm(X - U*V)^2", "V", "-2*U'*(X - U*V)",
     dict(X="m,n", U="m,k", V="k,n"), {}),
    ("pca-variance", "gradient", "tr(W'*S*W)", "W", "2*S*W", dict(W="n,k"), {"S": "symmetric"}),
    ("frobenius", "gradient", "norm(X)", "X", "X/norm(X)", {}, {}),
    ("frobenius-distance", "gradient", "norm(X - A)", "X", "(X - A)/norm(X - A)", {}, {}),
    ("mlp-sigmoid-W", "gradient", "norm(sigmoid(W*x + b) - y)^2", "W",
     "2*((sigmoid(W*x + b) - y) .* map(u -> sigmoid(u)*(1 - sigmoid(u)), W*x + b))*x'",
     dict(W="m,n", x="n", b="m", y="m"), {}),
    ("mlp-sigmoid-b", "gradient", "norm(sigmoid(W*x + b) - y)^2", "b",
     "2*(sigmoid(W*x + b) - y) .* map(u -> sigmoid(u)*(1 - sigmoid(u)), W*x + b)",
     dict(W="m,n", x="n", b="m", y="m"), {}),
    ("mlp-tanh-W", "gradient", "norm(tanh(W*x) - y)^2", "W",
     "2*((tanh(W*x) - y) .* map(u -> 1 - tanh(u)^2, W*x))*x'",
     dict(W="m,n", x="n", y="m"), {}),
    ("least-squares-hessian", "hessian", "norm(X*w - y)^2", "w", "2*X'*X", LR, {}),
    ("quadratic-hessian", "hessian", "x'*A*x", "x", "A + A'", {}, {}),
    ("logistic-hessian", "hessian",
     f"{N1}'*(-y .* log(sigmoid(X*w)) - ({N1} - y) .* log({N1} - sigmoid(X*w)))", "w",
     "X'*diagm(map(u -> sigmoid(u)*(1 - sigmoid(u)), X*w))*X", LR, {}),
    ("jacobian-AXB", "jacobian", "A*X*B", "X", "kron(B', A)", dict(A="m,n", X="n,k", B="k,p"), {}),
    ("jacobian-inverse", "jacobian", "inv(X)", "X", "-kron(X^-T, X^-1)", {}, {}),
    ("jacobian-sigmoid-layer", "jacobian", "sigmoid(W*x)", "x",
     "diagm(map(u -> sigmoid(u)*(1 - sigmoid(u)), W*x))*W", dict(W="m,n", x="n"), {}),
]


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def _row(rid, kind, f, X, reference, options, seconds):
    signal.alarm(seconds)
    start = time.perf_counter()
    try:
        derived = derive_for(kind, f, X, **options)
        size = expression_size(derived)
        ref_size = expression_size(reference)
        equal = equal_forms(derived, reference)
        ref_ok = check_for(kind, f, X, reference, **options).passed
        out = {"id": rid, "kind": kind, "size": size, "reference_size": ref_size,
               "ratio": size / ref_size, "equal": equal, "reference_passes": ref_ok,
               "result": text_form(derived), "reference": text_form(reference)}
    except _Timeout:
        out = {"id": rid, "kind": kind, "error": f"over {seconds} s"}
    except Exception as exc:
        out = {"id": rid, "kind": kind, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    finally:
        signal.alarm(0)
    out["seconds"] = round(time.perf_counter() - start, 3)
    return out


def staple_rows(seconds):
    for rid, kind, text, wrt, ref, shapes, structures in STAPLES:
        try:
            parsed = parse(text, shapes=shapes, structures=structures, scalars=("lam",))
            reference = parse(ref, shapes={**shapes, **{s.name: s.shape for s in
                                                        parsed.symbols.values()
                                                        if hasattr(s, "shape")}},
                              structures=structures, scalars=("lam",)).expr
        except Exception as exc:
            yield {"id": rid, "kind": kind, "error": f"parse: {type(exc).__name__}: {exc}"}
            continue
        yield _row(rid, kind, parsed.expr, parsed.symbols[wrt], reference, {}, seconds)


def catalogue_rows(seconds):
    identities, _ = load_catalogue(os.path.join(ROOT, "identities"), strict=False)
    for identity in identities:
        if identity.status != "verified" or identity.parse_error:
            continue
        parsed = identity.parsed()
        options = {"layout": identity.layout, "structure": identity.structure}
        yield _row(identity.id, identity.kind, parsed.expr, parsed.variable, parsed.result,
                   options, seconds)


def summary(rows, title):
    good = [r for r in rows if "ratio" in r]
    ratios = [r["ratio"] for r in good]
    lines = [f"### {title}", "",
             f"{len(rows)} results: median ratio {statistics.median(ratios):.2f}, "
             f"max {max(ratios):.2f}, over 1.5: {sum(r > 1.5 for r in ratios)}, "
             f"symbolically equal: {sum(r['equal'] for r in good)}/{len(good)}, "
             f"errors: {len(rows) - len(good)}, wrong references: "
             f"{sum(not r['reference_passes'] for r in good)}", ""]
    return lines


def table(rows, limit=None):
    lines = ["| id | kind | matcalc | reference | ratio | equal | matcalc's result |",
             "| --- | --- | ---: | ---: | ---: | :---: | --- |"]
    for r in rows[:limit]:
        if "ratio" not in r:
            lines.append(f"| {r['id']} | {r['kind']} | | | | | error: {r['error']} |")
            continue
        text = r["result"] if len(r["result"]) <= 90 else r["result"][:87] + "..."
        text = text.replace("|", "\\|")
        lines.append(f"| {r['id']} | {r['kind']} | {r['size']} | {r['reference_size']} | "
                     f"{r['ratio']:.2f} | {'yes' if r['equal'] else 'no'} | `{text}` |")
    return lines


def main():
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--json", help="write every row to this file")
    options.add_argument("--seconds", type=int, default=60, help="time limit per result")
    options.add_argument("--only", choices=("staples", "catalogue"), help="one table only")
    args = options.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    sys.setrecursionlimit(20000)
    out, report = {}, []
    for name, rows in (("staples", staple_rows), ("catalogue", catalogue_rows)):
        if args.only and args.only != name:
            continue
        done = list(rows(args.seconds))
        out[name] = done
        title = "ML/statistics staples" if name == "staples" else "Catalogue identities"
        report += summary(done, title)
        worst = sorted((r for r in done if "ratio" in r), key=lambda r: -r["ratio"])[:10]
        errors = [r for r in done if "ratio" not in r]
        report += ["Worst 10:", ""] + table(worst + errors) + [""]
        if name == "staples":
            report += ["All staples:", ""] + table(done) + [""]
    print("\n".join(report))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(out, handle, indent=1)


if __name__ == "__main__":
    main()
