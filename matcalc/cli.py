"""The ``matcalc`` command line: derive, check, verify the catalogue, export LaTeX.

    matcalc grad "log(det(X))" --wrt X
    matcalc grad "norm(X*W - Y)**2" --wrt W --shape X=m,k --shape W=k,n --shape Y=m,n --latex
    matcalc jacobian "A*X*B" --wrt X
    matcalc hessian "x'*A*x" --wrt x
    matcalc verify [identities/] [--json report.json]   (no path: the bundled catalogue)
    matcalc latex identities/ -o catalogue.tex
    matcalc serve [--port 8765]     the web page (the web extra)
    matcalc mcp                     Model Context Protocol tools over stdio (the mcp extra)

Exit codes: 0 success, 1 a verification or numeric check failed, 2 bad input
(reported on one ``matcalc: error: ...`` line, plus the caret display of a parse
error), 3 an internal error (a bug: the traceback is shown, please report it).
"""
from __future__ import annotations

import argparse
import json
import os
from contextlib import contextmanager
import re
import sys
import traceback

from sympy.matrices.expressions.matexpr import MatrixExpr

from .errors import CatalogueError, MatcalcError, NonSquareMatrixError, ParseError, ShapeError, \
    UnsupportedError
from .parse.symbols import CONVENTIONS
from .printing.text import TextPrinter, text_form  # noqa: F401  (the output form; see printing.text)

__all__ = ["main", "build_parser", "text_form", "TextPrinter", "UsageError"]

PROG = "matcalc"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """Bad command-line input: reported as one ``matcalc: error:`` line, exit 2."""


# --------------------------------------------------------------------------
# argument parsing
# --------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``matcalc: error: ...``) raised, not printed."""

    def error(self, message):
        hint = f" (see '{self.prog} --help')"
        raise UsageError(message + hint)


#: the most random points ``--points`` takes (each point is a finite-difference check;
#: the oracle's plan is a list of that length: 10^9 of them was a MemoryError); the oracle
#: itself refuses more than its own MAX_POINTS (the same 1,000) from the Python API
MAX_POINTS = 1000
#: ``--seed`` is a NumPy seed (non-negative) of which the oracle uses 32 bits: a negative or
#: larger seed is refused, not mapped
MAX_SEED = 2**32 - 1


def _shown(text, width=24):
    """A command-line value quoted for a message, clipped to ``width`` characters."""
    text = text.strip()
    return repr(text if len(text) <= width else text[:width] + "...")


def _argument(text, convert, accept, expected):
    """``convert(text)`` if ``accept`` takes it, else the argparse error
    ``expected <expected>, got <text>``."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {_shown(text)}") from None
    if not accept(value):
        shown = f"{value:g}" if isinstance(value, float) else value
        raise argparse.ArgumentTypeError(f"expected {expected}, got {shown}")
    return value


def _points(text):
    return _argument(text, int, lambda n: 1 <= n <= MAX_POINTS,
                     f"a positive integer (at most {MAX_POINTS:,} points)")


def _seed(text):
    return _argument(text, int, lambda n: 0 <= n <= MAX_SEED, f"a seed from 0 to {MAX_SEED}")


def _positive_float(text):
    return _argument(text, float, lambda x: x > 0, "a positive number")


def build_parser():
    parser = _Parser(prog=PROG, description="Symbolic matrix calculus: closed-form gradients, "
                     "Jacobians and Hessians, checked numerically; the identity catalogue.",
                     epilog="Exit codes: 0 success, 1 verification failure, 2 bad input or "
                            "an output that cannot be written, 3 internal error.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"matcalc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    kinds = {"grad": "the gradient of a scalar expression (shaped like the variable)",
             "jacobian": "the Jacobian d vec(F) / d vec(X)^T of a matrix expression",
             "hessian": "the Hessian d^2 f / d vec(X) d vec(X)^T of a scalar expression"}
    for name, summary in kinds.items():
        sub = commands.add_parser(name, help=summary, description=summary.capitalize() + ".",
                                  epilog=_language_help(),
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.add_argument("expression", help="the expression, in matcalc's expression language")
        sub.add_argument("--wrt", required=True, metavar="NAME",
                         help="the variable to differentiate by (a matrix or vector)")
        sub.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS",
                         help="declare a shape: X=m,k (matrix), x=n (column), t=1,1; repeatable")
        sub.add_argument("--assume", action="append", default=[], metavar="NAME=STRUCTURE",
                         help="declare a structure: symmetric, spd, invertible, orthogonal, "
                              "diagonal, positive; repeatable")
        sub.add_argument("--scalar", action="append", default=[], metavar="NAME",
                         help="declare a real scalar (comma-separated names allowed); repeatable")
        sub.add_argument("--names", choices=sorted(CONVENTIONS), default="matcalc",
                         help="the shapes of undeclared names: matcalc (upper-case n x n "
                              "matrices, others n x 1 vectors; the default) or matrixcalculus "
                              "(matrixcalculus.org's: a-g scalars, h-z vectors, A-Z matrices)")
        if name == "grad":
            sub.add_argument("--layout", choices=("denominator", "numerator"),
                             default="denominator",
                             help="denominator: shaped like X (default); numerator: the "
                                  "transpose (MML)")
            sub.add_argument("--structure", choices=("general", "symmetric", "symmetric-elementwise",
                                                      "diagonal", "orthogonal"),
                             help="the structure the gradient is taken on (default: the variable's declared "
                                  "one, else general): symmetric sym(G), the Cookbook 2.8.2 form "
                                  "G + G^T - G o I, diagonal G o I, orthogonal (G - X G^T X)/2")
            sub.add_argument("--steps", action="store_true", help="print the derivation")
        if name == "jacobian":
            sub.add_argument("--layout", choices=("numerator", "denominator"),
                             default="numerator",
                             help="numerator: d vec(F)/d vec(X)^T (default); denominator: its "
                                  "transpose")
        output = sub.add_mutually_exclusive_group()
        output.add_argument("--latex", action="store_true", help="print LaTeX")
        sub.add_argument("--named", choices=("auto", "always", "never"), default="auto",
                         help="write repeated subexpressions under names Z_1, Z_2, ... "
                              "(auto: for a result of 100 nodes or more that it shortens by 15%%)")
        output.add_argument("--json", action="store_true",
                            help='print JSON: {"result", "latex", "check", ...}')
        sub.add_argument("--check", action="store_true",
                         help="also check the result against finite differences (exit 1 if "
                              "it fails)")
        sub.add_argument("--points", type=_points, default=3,
                         help=f"random points of --check, 1 to {MAX_POINTS} (default 3)")
        sub.add_argument("--seed", type=_seed, default=0,
                         help=f"seed of --check, 0 to {MAX_SEED} (default 0)")
        sub.set_defaults(handler=_derive_command, kind=name)

    verify = commands.add_parser(
        "verify", help="verify an identity catalogue (a .toml file or a directory)",
        description="Derive every identity of the catalogue with matcalc, compare with the "
                    "stated result symbolically and against finite differences, and report "
                    "pass / fail / erratum / unsupported per section.")
    verify.add_argument("path", nargs="?", help="a catalogue .toml file or a directory of "
                        "them (default: the catalogue bundled with matcalc)")
    verify.add_argument("--json", metavar="FILE", help="also write the full report as JSON "
                                                       "('-' for standard output)")
    verify.add_argument("--id", action="append", dest="ids", metavar="ID",
                        help="verify only this identity; repeatable")
    verify.add_argument("--verbose", "-v", action="store_true",
                        help="one line per identity")
    verify.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress indicator on stderr (default: when stderr is a terminal)")
    verify.add_argument("--points", type=_points, default=3,
                        help=f"random points per check, 1 to {MAX_POINTS} (default 3)")
    verify.add_argument("--seed", type=_seed, default=0,
                        help=f"seed, 0 to {MAX_SEED} (default 0)")
    verify.add_argument("--timeout", type=_positive_float, default=60.0,
                        help="seconds allowed per identity (default 60)")
    verify.set_defaults(handler=_verify_command)

    latex = commands.add_parser(
        "latex", help="the catalogue as a LaTeX document",
        description="Write the catalogue as a LaTeX document (compiles with pdflatex): "
                    "grouped by section, each identity with its source, assumptions and "
                    "verification status.")
    latex.add_argument("path", nargs="?", help="a catalogue .toml file or a directory of "
                       "them (default: the catalogue bundled with matcalc)")
    latex.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout)")
    latex.add_argument("--no-verify", dest="verify", action="store_false",
                       help="show the declared status instead of running the verification")
    latex.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="progress indicator on stderr (default: when stderr is a terminal)")
    latex.set_defaults(handler=_latex_command)
    from .cli_service import add_service_commands
    add_service_commands(commands)
    return parser


_EXAMPLES = """
examples:
  matcalc grad "log(det(X))" --wrt X
  matcalc grad "norm(X*W - Y)^2" --wrt W --shape X=m,k --shape W=k,n --shape Y=m,n --latex
  matcalc grad "x'*S*x" --wrt x --assume S=symmetric --steps
  matcalc grad "sum(log(exp(-y.*(X*w)) + vector(1)))" --wrt w --names matrixcalculus
"""


def _language_help():
    """The language's reference, from the function table, and examples (the epilog)."""
    from .parse.reference import language_help
    return language_help() + _EXAMPLES


def _declarations(args):
    from .parse import parse_shape
    shapes, structures, scalars = {}, {}, []
    for item in args.shape:
        name, dims = _pair(item, "--shape", "NAME=DIMS, e.g. X=m,k")
        parse_shape(dims, name)  # validates now, with the name in the message
        shapes[name] = dims
    for item in args.assume:
        name, structure = _pair(item, "--assume", "NAME=STRUCTURE, e.g. S=spd")
        structures[name] = structure
    for item in args.scalar:
        scalars.extend(part.strip() for part in item.split(",") if part.strip())
    return shapes, structures, tuple(scalars)


def _pair(item, option, form):
    name, sep, value = item.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise UsageError(f"{option} expects {form}, got {item!r}")
    return name.strip(), value.strip()


# --------------------------------------------------------------------------
# grad / jacobian / hessian
# --------------------------------------------------------------------------

def _derive_command(args, out, err):
    from .parse import parse
    shapes, structures, scalars = _declarations(args)
    parsed = parse(args.expression, shapes=shapes, structures=structures, scalars=scalars,
                   convention=args.names)
    f, X = parsed.expr, _variable(parsed, args.wrt, args.expression)
    if args.kind in ("grad", "hessian") and isinstance(f, MatrixExpr) and f.shape != (1, 1):
        other = "jacobian"
        raise UsageError(f"{args.kind} needs a scalar expression; {args.expression!r} is "
                         f"{f.shape[0]} x {f.shape[1]} (use 'matcalc {other}')")
    layout = getattr(args, "layout", None)
    structure = getattr(args, "structure", None)
    if structure is not None and (not isinstance(X, MatrixExpr) or X.shape[0] != X.shape[1]):
        shape = "a scalar" if not isinstance(X, MatrixExpr) else \
            f"{X.shape[0]} x {X.shape[1]}"
        raise UsageError(f"--structure {structure} needs a square variable; {args.wrt} is "
                         f"{shape}")
    with _scalar_variable(X, args.wrt):
        result, steps = _derive(args, f, X, layout, structure)
        report = _numeric_check(args, f, X, result, layout, structure) if args.check else None

    from .printing.latex import latex
    named = _named_form(result, getattr(args, "named", "never"))
    if args.json:
        payload = {"command": args.kind, "expression": args.expression, "wrt": args.wrt,
                   "result": text_form(result), "sympy": str(result), "latex": latex(result)}
        if named is not None:
            payload["named"] = {"definitions": [
                {"name": str(name), "value": text_form(value), "latex": latex(value)}
                for name, value in named.definitions],
                "result": text_form(named.result), "latex": named.latex()}
        if steps is not None:
            payload["steps"] = [{"rule": s.rule, "lhs": s.lhs, "expr": text_form(s.expr),
                                 "latex": latex(s.expr)} for s in steps.steps]
        if report is not None:
            payload["check"] = report.as_dict()
        out.write(json.dumps(payload, indent=2) + "\n")
    elif args.latex:
        out.write((steps.latex() if steps is not None else
                   named.latex() if named is not None else latex(result)) + "\n")
    else:
        if steps is not None:
            out.write(_steps_text(steps) + "\n")
        else:
            out.write((named.text() if named is not None else text_form(result)) + "\n")
    if report is not None and not args.json:
        verdict = "passed" if report.passed else "FAILED"
        line = (f"check {verdict}: max relative error {report.max_rel_error:.3g} "
                f"over {report.points} point(s) (rtol {report.rtol:g})")
        if not report.passed and report.reason:
            line += f"; {report.reason}"
        (out if args.latex is False else err).write(line + "\n")
    return EXIT_OK if report is None or report.passed else EXIT_FAILED


#: --named auto: results of at least this many nodes whose named form is 15% shorter
AUTO_NAMED_SIZE = 100


def _named_form(result, mode):
    """The result over named intermediates (``matcalc.named``), or None to print it whole."""
    if mode == "never":
        return None
    from .named import name_intermediates, tree_size
    named = name_intermediates(result)
    if not named.definitions:
        return None
    if mode == "auto" and (tree_size(result) < AUTO_NAMED_SIZE
                           or named.size > 0.85 * tree_size(result)):
        return None
    return named
def _derive(args, f, X, layout, structure):
    """(the result, the derivation or None) of the grad/jacobian/hessian command."""
    if args.kind == "grad":
        from .derivatives import derive, grad
        if getattr(args, "steps", False):
            steps = derive(f, X, layout=layout, structure=structure)
            return steps.result, steps
        return grad(f, X, layout=layout, structure=structure), None
    from .derivatives import hessian, jacobian
    return (jacobian(f, X, layout=layout) if args.kind == "jacobian" else hessian(f, X)), None


@contextmanager
def _scalar_variable(X, name):
    """A scalar --wrt the engine refuses (TypeError) is a usage error, not a crash."""
    try:
        yield
    except TypeError as exc:
        if isinstance(X, MatrixExpr):
            raise
        raise UsageError(f"--wrt {name} is a scalar, which this version differentiates "
                         f"with respect to only as a 1x1 matrix (--shape {name}=1,1): "
                         f"{str(exc).splitlines()[0]}") from None


def _variable(parsed, name, text):
    X = parsed.symbols.get(name)
    if X is None:
        used = ", ".join(sorted(parsed.symbols)) or "no variables"
        raise UsageError(f"unknown variable {name!r} in --wrt: {text!r} uses {used}")
    return X


def _numeric_check(args, f, X, result, layout, structure):
    from .catalogue import check_for
    kind = {"grad": "gradient"}.get(args.kind, args.kind)
    if kind == "jacobian" and layout == "denominator":
        from .algebra import transpose_of
        result = transpose_of(result)
    return check_for(kind, f, X, result, layout=layout or "denominator", structure=structure,
                     points=args.points, seed=args.seed)


def _steps_text(derivation):
    width = max((len(s.rule) for s in derivation.steps), default=0)
    lines = [f"gradient of {text_form(derivation.f)} with respect to {derivation.wrt}"]
    for step in derivation.steps:
        lines.append(f"  {step.rule:<{width}}   {text_form(step.expr)}")
    lines.append(f"result: {text_form(derivation.result)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# verify / latex
# --------------------------------------------------------------------------

def _progress_enabled(args, err):
    if args.progress is not None:
        return args.progress
    return bool(getattr(err, "isatty", lambda: False)())


def _verify_command(args, out, err):
    from .catalogue import verify_catalogue
    from .catalogue.report import Progress, report_text
    with _open_output(args.json) if args.json and args.json != "-" else out as json_output:
        progress = Progress(err, _progress_enabled(args, err))
        _default_catalogue(args)
        report = verify_catalogue(args.path, progress=progress, points=args.points,
                                  seed=args.seed, timeout=args.timeout, ids=args.ids)
        out.write(report_text(report, args.verbose) + "\n")
        if args.json:
            json_output.write(json.dumps(report.as_dict(), indent=2) + "\n")
    return EXIT_OK if report.ok else EXIT_FAILED


def _default_catalogue(args):
    if args.path is None:  # the catalogue shipped inside the package
        from .bundled import catalogue_path
        args.path = catalogue_path()


def _open_output(path):
    """``path`` opened for writing now, so that a bad path fails before any long work."""
    from .cli_output import Output
    try:
        return Output.open(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _latex_command(args, out, err):
    from .catalogue import catalogue_document, load_catalogue
    _default_catalogue(args)
    identities, errors = load_catalogue(args.path, strict=False)
    for error in errors:
        err.write(f"{PROG}: warning: {str(error).splitlines()[0]}\n")
    if not identities:
        malformed = f" ({len(errors)} malformed, listed above)" if errors else ""
        raise CatalogueError(f"no identities found in {args.path}{malformed}")
    with _open_output(args.output) if args.output else out as output:
        results = None
        if args.verify:
            from .catalogue import verify_identity
            from .catalogue.report import Progress
            progress = Progress(err, _progress_enabled(args, err))
            results = {}
            for k, identity in enumerate(identities):
                progress(k, len(identities), identity)
                results[identity.id] = verify_identity(identity)
            progress(len(identities), len(identities), None)
        output.write(catalogue_document(identities, results))
    return EXIT_OK


# --------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------

def _error_line(message):
    return f"{PROG}: error: {message}"


_DERIVE_COMMANDS = ("grad", "jacobian", "hessian")


def _protect_expressions(argv):
    """An expression such as ``-tr(X)`` must not be taken for an option: give it a
    leading space (the expression language ignores it, argparse then sees a value)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in _DERIVE_COMMANDS:
        return argv
    return [argv[0]] + [" " + a if re.match(r"-[^-]", a) and a != "-h" else a
                        for a in argv[1:]]


def _one_blas_thread():
    """One BLAS thread unless the user chose (read when NumPy is imported, so only before):
    the checks evaluate small matrices, where threads only spin (under load, `verify` of
    matrix-functions.toml gave up after 60 s on one identity; 5.8 s on one thread)."""
    if "numpy" not in sys.modules:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")


def main(argv=None, stdout=None, stderr=None):
    """Run the command line; returns the exit code (0, 1, 2 or 3)."""
    from .cli_output import Output, OutputError
    _one_blas_thread()
    out = Output(stdout if stdout is not None else sys.stdout, "standard output")
    err = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    # the parser accepts nesting up to 200 levels; SymPy's printers and rebuilders recurse
    # several frames per level, more than Python's default limit of 1000
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        try:
            args = parser.parse_args(_protect_expressions(argv))
        except SystemExit as exc:  # --help / --version printed by argparse
            return int(exc.code or 0)
        code = args.handler(args, out, err)
        out.flush()
        return code
    except RecursionError:
        err.write(_error_line("the expression is nested too deeply to process") + "\n")
    except (UsageError, OutputError) as exc:
        err.write(_error_line(exc) + "\n")
    except ParseError as exc:
        err.write(_error_line(exc) + "\n")
    except (ShapeError, NonSquareMatrixError) as exc:
        err.write(_error_line(f"shape mismatch: {exc}") + "\n")
    except UnsupportedError as exc:
        err.write(_error_line(exc) + "\n")
    except CatalogueError as exc:
        err.write(_error_line(str(exc).splitlines()[0]) + "\n")
    except MatcalcError as exc:
        err.write(_error_line(exc) + "\n")
    except KeyboardInterrupt:
        err.write(f"\n{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:
        traceback.print_exc(file=err)
        err.write(f"{PROG}: internal error: this is a bug in matcalc; please report it with "
                  f"the command line and the traceback above\n")
        return EXIT_INTERNAL
    finally:
        sys.setrecursionlimit(limit)
    return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
