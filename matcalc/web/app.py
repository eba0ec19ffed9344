"""The web page's server: static files and a small JSON API (Starlette).

    GET  /                 the page (static/index.html); its state lives in the query string
    GET  /static/...       the page's script and style, KaTeX (vendored, works offline)
    GET  /api/health       {"ok": true, "version": ...}
    GET  /api/gallery      every identity of the bundled catalogue
    POST /api/symbols      {"expression", "shapes", "assume", ...} -> the names and their shapes
    POST /api/derive       a derivation request (matcalc.service.requests) -> the derivation;
                           with ?stream=1 the answer is NDJSON: {"progress": stage, "seconds"}
                           lines, then {"result": ...} or {"error": ...}

Every computation runs in a bounded worker process (``matcalc.service.jobs``). Bad input
gets a 4xx with ``{"error": {"type", "message", ...}}`` (a parse error with its
``position``): 400 malformed, 413 too large, 415 not JSON, 422 beyond matcalc or beyond the
per-request limits; 503 only when more requests wait than the queue holds.
"""
from __future__ import annotations

import asyncio
import json
from importlib import resources

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import __version__
from ..service.jobs import Busy, Limits, Runner
from ..service.requests import DerivationRequest, RequestError

__all__ = ["create_app", "MAX_BODY", "SECURITY_HEADERS", "LOOPBACK_HOSTS"]

#: the largest request body accepted (a request is an expression of at most 2,000
#: characters and a few declarations)
MAX_BODY = 32 * 1024
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
#: the page loads nothing from elsewhere and runs only its own script; KaTeX's output
#: carries style attributes
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "style-src-attr 'unsafe-inline'; font-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


_ENDPOINTS = {"/api/health": "GET", "/api/gallery": "GET", "/api/symbols": "POST",
              "/api/derive": "POST"}


def _static():
    return resources.files("matcalc.web") / "static"


def _error(status, kind, message, **extra):
    return JSONResponse({"error": {"status": status, "type": kind, "message": message,
                                   **extra}}, status_code=status)


async def _read_json(request):
    """The request's JSON body, or the error response that refuses it."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None, _error(415, "UnsupportedMediaType",
                            "send the request as JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return None, _error(413, "TooLarge", f"the request is larger than {MAX_BODY:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None, _error(413, "TooLarge",
                                f"the request is larger than {MAX_BODY:,} bytes")
    try:
        return json.loads(body.decode("utf-8")), None
    except (UnicodeDecodeError, ValueError) as exc:
        return None, _error(400, "BadRequest", f"the body is not valid JSON: {exc}"[:300])


def _outcome(kind, value):
    if kind == "result":
        return JSONResponse(value)
    return JSONResponse({"error": value}, status_code=value["status"])


class Api:
    """The API's handlers around one ``Runner``."""

    def __init__(self, runner):
        self.runner = runner
        self._gallery = None
        self._gallery_lock = asyncio.Lock()

    async def _request(self, request):
        data, refusal = await _read_json(request)
        if refusal is not None:
            return None, refusal
        try:
            return DerivationRequest.from_json(data).as_json(), None
        except RequestError as exc:
            return None, _error(400, "BadRequest", str(exc), field=exc.field)

    async def _last(self, job, data):
        last = ("error", {"status": 500, "type": "InternalError", "message": "no answer"})
        async for kind, value, _ in self.runner.messages(job, data):
            if kind != "progress":
                last = (kind, value)
        return last

    async def derive(self, request):
        data, refusal = await self._request(request)
        if refusal is not None:
            return refusal
        if request.query_params.get("stream") == "1":
            return StreamingResponse(self._stream(data), media_type="application/x-ndjson",
                                     headers={"Cache-Control": "no-store"})
        try:
            return _outcome(*await self._last("derive", data))
        except Busy as exc:
            return _error(503, "Busy", str(exc))

    async def _stream(self, data):
        try:
            async for kind, value, seconds in self.runner.messages("derive", data):
                line = {"progress": value, "seconds": round(seconds, 3)} if kind == "progress" \
                    else {kind: value, "seconds": round(seconds, 3)}
                yield json.dumps(line) + "\n"
        except Busy as exc:
            yield json.dumps({"error": {"status": 503, "type": "Busy", "message": str(exc)}}) + "\n"

    async def symbols(self, request):
        data, refusal = await self._request(request)
        if refusal is not None:
            return refusal
        try:
            return _outcome(*await self._last("symbols", data))
        except Busy as exc:
            return _error(503, "Busy", str(exc))

    async def gallery(self, request):
        async with self._gallery_lock:
            if self._gallery is None:
                try:
                    kind, value = await self._last("gallery", None)
                except Busy as exc:
                    return _error(503, "Busy", str(exc))
                if kind != "result":
                    return _outcome(kind, value)
                self._gallery = value
        return JSONResponse(self._gallery)

    async def health(self, request):
        return JSONResponse({"ok": True, "version": __version__})

    async def page(self, request):
        html = (_static() / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(html.replace("{{version}}", __version__),
                            headers={"Cache-Control": "no-store"})

    async def not_found(self, request):
        allowed = _ENDPOINTS.get(request.url.path)
        if allowed:
            response = _error(405, "MethodNotAllowed", f"{request.url.path} takes {allowed}")
            response.headers["Allow"] = allowed
            return response
        return _error(404, "NotFound", f"no such API endpoint: {request.url.path[:100]}")


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response (pure ASGI: streams stay streams)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)
        await self.app(scope, receive, with_headers)


def create_app(runner=None, limits=Limits()):
    """The Starlette application (``runner``: a ``matcalc.service.jobs.Runner``)."""
    api = Api(runner or Runner(limits))
    routes = [
        Route("/", api.page, methods=["GET"]),
        Route("/api/health", api.health, methods=["GET"]),
        Route("/api/gallery", api.gallery, methods=["GET"]),
        Route("/api/symbols", api.symbols, methods=["POST"]),
        Route("/api/derive", api.derive, methods=["POST"]),
        Route("/api/{rest:path}", api.not_found, methods=["GET", "POST"]),
        Mount("/static", app=StaticFiles(directory=str(_static())), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[
        Middleware(SecurityHeaders),
        Middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS)])
    app.state.runner = api.runner
    return app
