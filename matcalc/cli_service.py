"""The command line's ``serve`` and ``mcp``: matcalc for a browser and for an assistant.

Both need an optional extra (``web``: Starlette and uvicorn; ``mcp``: the Model Context
Protocol SDK); without it the command fails with one line saying what to install. Both
run every request in a worker process bounded by ``--timeout`` and ``--memory``.
"""
from .cli import EXIT_OK, UsageError, _argument, _positive_float

__all__ = ["add_service_commands"]


def add_service_commands(commands):
    """``serve`` and ``mcp``: matcalc for a browser and for an assistant (optional extras)."""
    serve = commands.add_parser(
        "serve", help="the web page on 127.0.0.1 (needs: pip install \"sympy-matcalc[web]\")",
        description="Serve matcalc's web page on 127.0.0.1 (this computer only). Each "
                    "request runs in a worker process bounded in time and memory.")
    serve.add_argument("--port", type=lambda s: _argument(s, int, lambda n: 0 <= n < 65536,
                                                           "a port from 0 to 65535"),
                       default=8765, help="port (default 8765; 0: any free port)")
    _limit_options(serve)
    serve.set_defaults(handler=_serve_command)
    mcp = commands.add_parser(
        "mcp", help="Model Context Protocol tools over stdio (needs: pip install "
                    "\"sympy-matcalc[mcp]\")",
        description="Serve the tools grad, jacobian, hessian, check and verify to an "
                    "assistant over the Model Context Protocol (stdio).")
    _limit_options(mcp)
    mcp.set_defaults(handler=_mcp_command)


def _limit_options(sub):
    sub.add_argument("--timeout", type=_positive_float, default=30.0,
                     help="seconds allowed per request (default 30)")
    sub.add_argument("--memory", type=lambda s: _argument(s, int, lambda n: n >= 64,
                                                          "at least 64 (MiB)"),
                     default=2048, help="MiB of memory a request may add (default 2048)")


def _limits(args):
    from .service.jobs import Limits
    return Limits(seconds=args.timeout, memory=args.memory << 20)


def _serve_command(args, out, err):
    from .web import serve
    try:
        serve(args.port, _limits(args), out=out)
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: "
                         f"{exc.strerror or exc}") from None
    return EXIT_OK


def _mcp_command(args, out, err):
    from .assistant import serve_stdio
    try:
        serve_stdio(_limits(args))
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    return EXIT_OK
