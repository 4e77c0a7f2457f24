"""One JSON log line and one latency observation per request, and the headers every answer carries.

A pure ASGI middleware: per request it costs a header scan, a clock read, one buffered access line
(access_log.py) and two metric updates. Query strings and headers are never logged, so keys cannot
leak into the logs. It is the outermost of the app's own middlewares, so it also:

- adds ``X-Request-ID`` and ``X-Content-Type-Options: nosniff`` to every response start it sees;
- answers an unhandled exception itself with the 500 envelope. Starlette's ServerErrorMiddleware,
  which would otherwise answer it, sits outside every user middleware, so its answer would carry
  neither header. The exception is then re-raised: ServerErrorMiddleware still calls the app's
  500 handler, which logs it (its own answer is dropped, since one was already sent);
- serves HEAD as the GET of the same path with the body dropped. FastAPI routes list only the
  methods they declare, so HEAD on a GET route would be 405; doing it here covers every route
  without a second, HEAD, operation per path in /openapi.json.
"""

from __future__ import annotations

import contextlib
import time

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import envelope
from app.observability.access_log import AccessLog
from app.observability.metrics import metrics
from app.observability.request_ids import HEADER, accept_or_make, current_request_id, incoming_request_id

UNROUTED = "unrouted"
"""Route label of requests answered before routing: unknown paths, refused keys, oversized bodies."""
PLAIN_ROUTES = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/metrics"})
"""Routes that are not FastAPI API routes, so they leave no ``scope["route"]``; labelled by path."""
MAX_LOGGED_PATH = 256
MAX_LOGGED_METHOD = 32
NOSNIFF = (b"x-content-type-options", b"nosniff")


def internal_error() -> Response:
    """In the same words as the app's 500 handler (app/api/errors.py), whose answer this replaces."""
    return envelope(500, "error", "Internal error; it has been logged.", "internal_error")


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, access_log: AccessLog) -> None:
        self.app, self.access_log = app, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_or_make(incoming_request_id(scope["headers"]))
        current_request_id.set(request_id)
        header = (HEADER, request_id.encode("ascii"))
        method = scope["method"]
        head = method == "HEAD"
        # A copy: the server keeps its own scope, and must still see HEAD to send no body.
        # ``head_request`` lets an endless answer (the change stream) end after its headers.
        inner = {**scope, "method": "GET", "head_request": True} if head else scope
        status = 0
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header, NOSNIFF]
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(inner, receive, send_with_headers)
            if status == 0:  # the app answered nothing; the server's bare 500 would lack the headers
                await internal_error()(inner, receive, send_with_headers)
        except Exception:
            if status == 0:
                # Best effort: if even this fails (client gone), the original error is what matters.
                with contextlib.suppress(Exception):
                    await internal_error()(inner, receive, send_with_headers)
            raise
        finally:
            self._record(method, inner, status or 500, time.perf_counter() - started)

    def _record(self, method: str, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None)
        if route is not None and "app_root_path" in scope:  # a mounted app's route (the console): add its mount
            route = str(scope["root_path"])[len(str(scope["app_root_path"])) :] + route
        if route is None:
            route = scope["path"] if scope["path"] in PLAIN_ROUTES and status < 400 else UNROUTED
        metrics().observe_request(method, route, status, seconds)
        if self.access_log.enabled:
            client = scope.get("client")
            self.access_log.write(
                {
                    "request_id": current_request_id.get(),
                    "method": method[:MAX_LOGGED_METHOD],
                    "path": scope["path"][:MAX_LOGGED_PATH],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "client": client[0] if client else None,
                }
            )
