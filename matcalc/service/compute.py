"""One derivation as JSON: what the web page shows and the assistant tools return.

``derivation_payload(request, progress)`` parses the expression (``matcalc.parse``, never
``eval``), derives the gradient / Jacobian / Hessian with its steps, prints it as LaTeX and
as text in matcalc's language, checks it against finite differences (``matcalc.numeric``)
and generates its NumPy / JAX / PyTorch code (``matcalc.codegen``). ``progress(stage)`` is
called before each stage. These functions run inside a bounded worker process
(``matcalc.service.jobs``); an exception they raise becomes ``error_payload``.
"""
from __future__ import annotations

import importlib.util
import keyword
import re
import time
from dataclasses import replace

from sympy import MatrixSymbol, Symbol
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..errors import (CatalogueError, NonFiniteError, NonSquareMatrixError, ParseError,
                      ResourceLimitError, ShapeError, UnsupportedError)
from .requests import LAYOUTS, RequestError

__all__ = ["symbols_payload", "derivation_payload", "error_payload", "parse_request",
           "BACKENDS", "CODE_NAMES"]

#: code generation backends, the module each needs, and how to install it
BACKENDS = {"numpy": ("numpy", "numpy"), "jax": ("jax", "pip install jax jaxlib"),
            "torch": ("torch", "pip install torch")}
#: the name of the generated function per kind
CODE_NAMES = {"gradient": "grad", "jacobian": "jacobian", "hessian": "hessian"}
_PREFERRED_VARIABLES = ("X", "x", "W", "w")


def _ignore(stage):
    pass


# --------------------------------------------------------------------------
# symbols: what the expression's names are (the page's table of shapes)
# --------------------------------------------------------------------------

def parse_request(request, text=None):
    """``matcalc.parse`` of the request's expression (or of ``text``) under its
    declarations."""
    from ..parse import parse
    return parse(request.expression if text is None else text, shapes=request.shapes,
                 structures=request.assume, scalars=request.scalars)


def _shape_text(obj):
    if not isinstance(obj, MatrixExpr):
        return "scalar"
    rows, cols = (str(d).replace("**", "^") for d in obj.shape)
    return rows if cols == "1" else f"{rows},{cols}"


def _describe(name, obj, request):
    from ..constructs.structured import structure_of
    kind = ("scalar" if not isinstance(obj, MatrixExpr) else
            "vector" if obj.shape[1] == 1 else "matrix")
    structure = structure_of(obj) if isinstance(obj, MatrixSymbol) else None
    return {"name": name, "kind": kind, "shape": _shape_text(obj),
            "structure": structure or "general",
            "declared": name in request.shapes or name in request.assume
                        or name in request.scalars}


def _default_variable(symbols):
    matrices = [name for name, obj in symbols.items() if isinstance(obj, MatrixSymbol)]
    return next((n for n in _PREFERRED_VARIABLES if n in matrices),
                matrices[0] if matrices else None)


def symbols_payload(request, progress=_ignore):
    """The names of the expression with their shapes and structures, as the parser infers
    them under the request's declarations, and the variable chosen by default."""
    progress("parsing")
    parsed = parse_request(request)
    symbols = [_describe(name, obj, request) for name, obj in parsed.symbols.items()]
    return {"symbols": symbols, "dims": sorted(parsed.dims),
            "wrt": request.wrt if request.wrt in parsed.symbols else
            _default_variable(parsed.symbols)}


# --------------------------------------------------------------------------
# the derivation
# --------------------------------------------------------------------------

def variable_of(parsed, request):
    name = request.wrt or _default_variable(parsed.symbols)
    if name is None:
        raise RequestError("wrt", "the expression has no matrix or vector to differentiate "
                                  "by")
    X = parsed.symbols.get(name)
    if X is None:
        used = ", ".join(parsed.symbols) or "no names"
        raise RequestError("wrt", f"{name!r} does not occur in the expression (it uses "
                                  f"{used})")
    if not isinstance(X, MatrixSymbol):
        raise RequestError("wrt", f"{name} is a scalar; declare it as a 1 x 1 matrix "
                                  f"(shape \"1,1\") to differentiate by it")
    return X


def validate(f, X, request):
    scalar = not isinstance(f, MatrixExpr) or tuple(f.shape) == (1, 1)
    if request.kind != "jacobian" and not scalar:
        raise RequestError("kind", f"a {request.kind} needs a scalar expression; this one is "
                                   f"{f.shape[0]} x {f.shape[1]} (ask for its Jacobian)")
    if request.structure and X.shape[0] != X.shape[1]:
        raise RequestError("structure", f"structure={request.structure} needs a square "
                                        f"variable; {X.name} is {X.shape[0]} x {X.shape[1]}")


def _steps(f, X, request):
    """(result, [Step...]): the engine's derivation; a Jacobian shows the differential's
    steps and its identification, a Hessian the gradient's steps and its Jacobian."""
    from ..derivatives import Step, derive, hessian, jacobian
    if request.kind == "gradient":
        d = derive(f, X, layout=request.layout, structure=request.structure)
        return d.result, list(d.steps)
    if request.kind == "hessian":
        d = derive(f, X)
        H = hessian(f, X)
        return H, list(d.steps) + [Step("Hessian: the Jacobian of vec(grad f)", H,
                                        f"H_{X.name} f")]
    from ..differential import differential_steps
    _, steps = differential_steps(f, X)
    J = jacobian(f, X, layout=request.layout)
    rule = ("identify Jacobian: vec(dF) = J vec(dX)" if request.layout == "numerator" else
            "identify Jacobian: vec(dF) = J^T vec(dX) (denominator layout)")
    return J, [Step(rule, expr, "dF") for rule, expr in steps] + [Step(rule, J, "J")]


def _step_json(step):
    from ..printing.derivation import space_differentials, tidy_step
    from ..printing.latex import latex
    from ..printing.text import text_form
    expr = tidy_step(step.expr)
    return {"rule": step.rule, "lhs": step.lhs, "latex": space_differentials(latex(expr)),
            "text": text_form(expr)}


def _steps_json(steps):
    """The steps as JSON; a step that leaves the differential as it was is not repeated."""
    shown = []
    for step in steps:
        data = _step_json(step)
        if shown and data["lhs"] == shown[-1]["lhs"] and data["latex"] == shown[-1]["latex"]:
            continue
        shown.append(data)
    return shown


def check_json(report):
    """A check report as JSON, with the sizes of each random point."""
    data = report.as_dict()
    data["sizes"] = [d.get("sizes", {}) for d in report.details]
    return data


def _check(f, X, result, request):
    from ..algebra import transpose_of
    from ..catalogue import check_for
    claim = result
    if request.kind == "jacobian" and request.layout == "denominator":
        claim = transpose_of(result)
    return check_json(check_for(request.kind, f, X, claim, layout=request.layout,
                                structure=request.structure, points=request.points,
                                seed=request.seed))


def _python_name(name):
    return bool(name) and name.isidentifier() and not keyword.iskeyword(name) \
        and not name.startswith("_")


def _source(result, f, request, backend, sizes):
    """The generated function of ``backend`` for ``sizes``, its parameters named after the
    variables (where they are Python names) and its header saying how to run it."""
    module, install = BACKENDS[backend]
    if importlib.util.find_spec(module) is None:
        return {"error": f"{backend} is not installed where the server runs; install it "
                         f"with `{install}` to see this code"}
    from ..codegen import codegen
    fn = codegen(result, backend=backend, args=[f])
    sizes = {d.name: sizes.get(d.name, 3 + k) for k, d in enumerate(fn.dims)}
    source = fn.source(**sizes)
    ops = next(n for n in ("ops", "_ops", "_ops_") if n not in fn.arg_names)
    source = re.sub(r"\bB\.", ops + ".", source)   # the backend's operations object
    renames = {f"_a{k}": name for k, name in enumerate(fn.arg_names) if _python_name(name)}
    source = re.sub(r"\b_a\d+\b", lambda m: renames.get(m.group(0), m.group(0)), source)
    name = CODE_NAMES[request.kind] + ("_" + request.wrt if _python_name(request.wrt) else "")
    source = source.replace("def _generated(", f"def {name}(", 1)
    shown = ", ".join(f"{k}={v}" for k, v in sorted(sizes.items())) or "the given sizes"
    unnamed = [f"_a{k} = {n}" for k, n in enumerate(fn.arg_names) if f"_a{k}" not in renames]
    header = [f"# generated by matcalc.codegen ({backend}) for {shown}"]
    if unnamed:
        header.append("# arguments: " + ", ".join(unnamed))
    header += ["from matcalc.codegen import backend_ops", f'{ops} = backend_ops("{backend}")', ""]
    return {"source": "\n".join(header) + "\n" + source, "sizes": sizes,
            "arguments": list(fn.arg_names)}


def _code(result, f, request, sizes, progress):
    code = {}
    for backend in BACKENDS:
        progress(f"generating {backend} code")
        try:
            code[backend] = _source(result, f, request, backend, sizes)
        except (UnsupportedError, ImportError, ValueError) as exc:
            code[backend] = {"error": str(exc).splitlines()[0]}
    return code


def derivation_payload(request, progress=_ignore):
    """The derivation of ``request`` (a ``DerivationRequest``) as a JSON-ready dict."""
    from ..printing.latex import latex
    from ..printing.text import text_form
    seconds = {}
    start = time.perf_counter()
    progress("parsing")
    parsed = parse_request(request)
    f = parsed.expr
    X = variable_of(parsed, request)
    request = replace(request, wrt=X.name)
    validate(f, X, request)
    progress("differentiating")
    result, steps = _steps(f, X, request)
    seconds["derive"] = time.perf_counter() - start
    progress("printing")
    payload = {
        "input": request.as_json(), "kind": request.kind, "wrt": X.name,
        "layout": request.layout, "structure": request.structure,
        "layouts": list(LAYOUTS[request.kind]),
        "symbols": [_describe(name, obj, request) for name, obj in parsed.symbols.items()],
        "expression": {"text": text_form(f), "latex": latex(f)},
        "result": {"text": text_form(result), "latex": latex(result), "sympy": str(result),
                   "shape": _shape_text(result)},
        "steps": _steps_json(steps),
    }
    sizes = {}
    if request.check:
        progress("checking numerically")
        mark = time.perf_counter()
        payload["check"] = _check(f, X, result, request)
        seconds["check"] = time.perf_counter() - mark
        sizes = (payload["check"]["sizes"] or [{}])[0]
    if request.code:
        mark = time.perf_counter()
        payload["code"] = _code(result, f, request, sizes, progress)
        seconds["code"] = time.perf_counter() - mark
    payload["seconds"] = {k: round(v, 4) for k, v in seconds.items()}
    return payload


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------

#: exception type -> (HTTP status, the name the page and the tools show)
_ERRORS = [
    (RequestError, 400, "BadRequest"), (ParseError, 400, "ParseError"),
    (NonSquareMatrixError, 400, "ShapeError"), (ShapeError, 400, "ShapeError"),
    (CatalogueError, 400, "CatalogueError"), (UnsupportedError, 422, "UnsupportedError"),
    (NonFiniteError, 422, "NonFiniteError"), (ResourceLimitError, 422, "ResourceLimit"),
    (MemoryError, 422, "ResourceLimit"), (RecursionError, 422, "ResourceLimit"),
]


def error_payload(exc):
    """``{"status", "type", "message", ...}`` for an exception of a derivation: a 4xx
    for bad input or an input beyond matcalc, a 500 for anything else (a bug)."""
    for cls, status, name in _ERRORS:
        if isinstance(exc, cls):
            break
    else:
        return {"status": 500, "type": "InternalError",
                "message": f"internal error (a bug in matcalc; please report it with the "
                           f"input): {type(exc).__name__}: {exc}"[:2000]}
    message = str(exc)
    if isinstance(exc, MemoryError):
        message = "the derivation needed more memory than the server allows per request"
    elif isinstance(exc, RecursionError):
        message = "the expression is nested too deeply to process"
    error = {"status": status, "type": name}
    if isinstance(exc, ParseError):
        message = message.split(" (at column ")[0].splitlines()[0]
        error.update(position=exc.position, text=exc.text)
    if isinstance(exc, RequestError):
        error["field"] = exc.field
    error["message"] = message[:2000]
    return error
