"""The assistant's tools: grad, jacobian, hessian, check, verify (see the package docstring).

Each tool builds a request (``matcalc.service.requests``), runs it in a bounded worker
(``matcalc.service.jobs.Runner``) and returns JSON: the result's ``text`` (matcalc's
language, re-readable as input) and ``latex``, the ``steps`` (rule and expression), and the
numeric ``check``. A refused input raises ``ToolError`` with the reason.
"""
from __future__ import annotations

from ..service.jobs import Busy

__all__ = ["register"]


def _error_text(error):
    text = f"{error['type']}: {error['message']}"
    if error.get("position") is not None and error.get("text") is not None:
        text += (f" (at column {error['position'] + 1})\n  {error['text']}\n  "
                 f"{' ' * error['position']}^")
    return text


def _summary(payload):
    """The parts of a derivation an assistant needs (no generated code, no symbol table)."""
    check = payload.get("check")
    return {
        "kind": payload["kind"], "wrt": payload["wrt"], "layout": payload["layout"],
        "structure": payload["structure"], "expression": payload["expression"]["text"],
        "text": payload["result"]["text"], "latex": payload["result"]["latex"],
        "shape": payload["result"]["shape"],
        "steps": [{"rule": s["rule"], "text": s["text"]} for s in payload["steps"]],
        "check": None if check is None else {
            key: check[key] for key in ("passed", "verdict", "max_rel_error", "rtol",
                                        "points", "method", "sizes", "reason", "warning")},
    }


def register(server, runner):
    """Add matcalc's tools to ``server`` (an ``MCPServer``), run by ``runner``."""
    from mcp.server.mcpserver.exceptions import ToolError

    async def run(job, data):
        try:
            last = None
            # verifying the whole catalogue is over 200 derivations: ten times one request's time
            seconds = runner.limits.seconds * (10 if job == "verify" else 1)
            async for kind, value, _ in runner.messages(job, data, seconds=seconds):
                if kind != "progress":
                    last = (kind, value)
        except Busy as exc:
            raise ToolError(str(exc)) from None
        kind, value = last
        if kind != "result":
            raise ToolError(_error_text(value))
        return value

    def request(expression, kind, wrt, shapes, assume, layout=None, structure=None,
                check=True):
        data = {"expression": expression, "kind": kind, "wrt": wrt, "shapes": shapes or {},
                "assume": assume or {}, "layout": layout, "structure": structure,
                "check": check, "code": False}
        return {k: v for k, v in data.items() if v is not None}

    @server.tool()
    async def grad(expression: str, wrt: str | None = None,
                   shapes: dict[str, str] | None = None, assume: dict[str, str] | None = None,
                   layout: str = "denominator", structure: str | None = None) -> dict:
        """The gradient of a scalar expression with respect to a matrix or vector, in
        closed form, with its derivation steps and a numeric check against finite
        differences. `expression` in matcalc's language, e.g. "x'*A*x" or
        "norm(X*W - Y)^2"; `wrt` the variable (default: X, x, W or w, else the first
        matrix); `shapes` e.g. {"X": "m,k", "y": "m"} (a column: "m"; a scalar: "scalar");
        `assume` e.g. {"S": "spd"} (symmetric, spd, invertible, orthogonal, diagonal,
        positive); `layout` "denominator" (shaped like the variable) or "numerator" (its
        transpose); `structure` "symmetric" or "symmetric-elementwise" for a symmetric
        variable. Returns text (re-readable), latex, steps and check."""
        return _summary(await run("derive", request(expression, "gradient", wrt, shapes,
                                                    assume, layout, structure)))

    @server.tool()
    async def jacobian(expression: str, wrt: str | None = None,
                       shapes: dict[str, str] | None = None,
                       assume: dict[str, str] | None = None,
                       layout: str = "numerator") -> dict:
        """The Jacobian d vec(F) / d vec(X)^T (column-major vec; "denominator" layout: its
        transpose) of a matrix expression, in Kronecker form, e.g. "A*X*B" -> kron(B', A),
        with its steps and a numeric check. Arguments as for `grad`."""
        return _summary(await run("derive", request(expression, "jacobian", wrt, shapes,
                                                    assume, layout)))

    @server.tool()
    async def hessian(expression: str, wrt: str | None = None,
                      shapes: dict[str, str] | None = None,
                      assume: dict[str, str] | None = None) -> dict:
        """The Hessian d^2 f / d vec(X) d vec(X)^T of a scalar expression (for a vector x
        the ordinary n x n Hessian), with its steps and a numeric check. Arguments as for
        `grad`."""
        return _summary(await run("derive", request(expression, "hessian", wrt, shapes,
                                                    assume)))

    @server.tool()
    async def check(expression: str, claimed: str, wrt: str | None = None,
                    kind: str = "gradient", shapes: dict[str, str] | None = None,
                    assume: dict[str, str] | None = None, layout: str | None = None,
                    structure: str | None = None, points: int = 3) -> dict:
        """Check a claimed derivative numerically: is `claimed` (matcalc's language, e.g.
        "2*A*x" or "inv(X)'") the `kind` ("gradient", "jacobian" or "hessian") of
        `expression` with respect to `wrt`? Compares with central finite differences at
        `points` random points (max relative error, pass/fail, sizes) and gives matcalc's
        own result beside it. Use it to test a derivative you derived yourself."""
        data = request(expression, kind, wrt, shapes, assume, layout, structure)
        data.update(claimed=claimed, points=points)
        return await run("check", data)

    @server.tool()
    async def verify(ids: list[str] | None = None, points: int = 3) -> dict:
        """Verify identities of matcalc's bundled catalogue (the Matrix Cookbook,
        Mathematics for Machine Learning chapter 5 and ML staples; e.g. ids
        ["cookbook-49"]; none: all of them, about 10 seconds): each is derived,
        compared with the published result symbolically and checked numerically. Returns
        the summary, counts and one record per identity."""
        return await run("verify", {"ids": ids, "points": points})

    return {name: fn for name, fn in
            (("grad", grad), ("jacobian", jacobian), ("hessian", hessian), ("check", check),
             ("verify", verify))}

