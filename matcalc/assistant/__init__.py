"""``matcalc mcp``: matcalc's verified derivations as tools for language-model assistants.

Assistants get matrix derivatives wrong and cannot check them. Over the Model Context
Protocol (stdio; the ``mcp`` extra: ``pip install "sympy-matcalc[mcp]"``) matcalc offers:

``grad``, ``jacobian``, ``hessian``
    the derivative of an expression in matcalc's text language: its text (which reads
    back), its LaTeX, the derivation's steps and the numeric check against finite
    differences (max relative error, pass/fail, the sizes it was checked at);
``check``
    a claimed derivative (the assistant's own) against finite differences, with matcalc's
    result beside it;
``verify``
    identities of matcalc's bundled catalogue (Matrix Cookbook, MML chapter 5, ML staples).

Every call runs in a worker process bounded in time and memory (``matcalc.service.jobs``),
as the web page's requests do; bad input is a tool error whose message names the problem
(a parse error with a caret under its column).
"""
from __future__ import annotations

from ..service.jobs import Limits

__all__ = ["build_server", "serve_stdio", "TOOLS"]

TOOLS = ("grad", "jacobian", "hessian", "check", "verify")
_MISSING = ("matcalc mcp needs the mcp extra, which is not installed ({error}); install it "
            "with: pip install \"sympy-matcalc[mcp]\"")


def serve_stdio(limits=Limits()):
    """Serve the tools over standard input and output until the client closes them."""
    server = build_server(limits, start=True)
    server.run("stdio")


def build_server(limits=Limits(), start=False):
    """The ``MCPServer`` with matcalc's tools (raises ``ImportError`` saying what to install);
    ``start``: start the worker processes' fork server now rather than at the first call."""
    try:
        from mcp.server.mcpserver import MCPServer
    except ImportError as exc:
        raise ImportError(_MISSING.format(error=exc)) from None
    from ..service.jobs import Runner
    from .tools import register
    server = MCPServer("matcalc", instructions=(
        "Symbolic matrix calculus: exact gradients, Jacobians and Hessians of matrix "
        "expressions in closed form, each checked numerically against finite differences. "
        "Use it instead of deriving matrix derivatives by hand, and use `check` to test a "
        "derivative you derived yourself. Expressions use matcalc's language: X' "
        "(transpose), inv(X), X^-1, tr, det, logdet, norm, .* (Hadamard), kron, "
        "exp/log/tanh/sigmoid (elementwise on matrices); upper-case names are n x n "
        "matrices, lower-case names n x 1 vectors, Greek names scalars, unless `shapes` "
        "says otherwise (e.g. {\"X\": \"m,k\", \"y\": \"m\"})."))
    runner = Runner(limits)
    if start:
        runner.start()
    register(server, runner)
    return server
