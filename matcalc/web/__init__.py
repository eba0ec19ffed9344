"""``matcalc serve``: matrix calculus in a local web page that works offline.

Type an expression in matcalc's language, pick the variable and gradient / Jacobian /
Hessian; the page shows the result typeset (KaTeX, shipped inside the package), the
derivation with the rule of each step, the numeric check, generated NumPy / JAX / PyTorch
code, and LaTeX and text to copy. Its state is in the address, so a result can be shared.

The server is Starlette on uvicorn (the ``web`` extra: ``pip install "sympy-matcalc[web]"``),
bound to 127.0.0.1 only; each request runs in a worker process bounded in time and memory
(``matcalc.service.jobs``). ``app.py`` has the routes, ``static/`` the page.
"""
from __future__ import annotations

import socket
import sys

from ..service.jobs import Limits

__all__ = ["serve", "bind", "DEFAULT_PORT", "HOST"]

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
_MISSING = ("matcalc serve needs the web extra, which is not installed ({error}); install "
            "it with: pip install \"sympy-matcalc[web]\"")


def bind(port):
    """A listening socket on 127.0.0.1:``port`` (0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


def serve(port=DEFAULT_PORT, limits=Limits(), out=sys.stdout):
    """Serve the page on 127.0.0.1:``port`` until interrupted; prints the address first.

    Raises ``ImportError`` (with how to install the extra) when Starlette or uvicorn are
    missing, ``OSError`` when the port cannot be bound."""
    try:
        import uvicorn

        from .app import create_app
    except ImportError as exc:
        raise ImportError(_MISSING.format(error=exc)) from None
    from ..service.jobs import Runner
    sock = bind(port)
    runner = Runner(limits)
    runner.start()
    app = create_app(runner)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_keep_alive=5,
                            limit_concurrency=limits.workers + limits.queue + 32)
    address = f"http://{HOST}:{sock.getsockname()[1]}/"
    out.write(f"matcalc serve: {address}  (each request at most {limits.seconds:g} s and "
              f"{limits.memory >> 20} MiB; Ctrl-C stops)\n")
    out.flush()
    uvicorn.Server(config).run(sockets=[sock])
