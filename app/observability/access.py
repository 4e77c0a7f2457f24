"""One JSON log line and one latency observation per request, with an ``X-Request-ID``.

A pure ASGI middleware: per request it costs a header scan, a clock read, one buffered access line
(access_log.py) and two metric updates. Query strings and headers are never logged, so keys cannot leak into the logs.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability.access_log import AccessLog
from app.observability.metrics import metrics
from app.observability.request_ids import HEADER, accept_or_make, current_request_id, incoming_request_id

UNROUTED = "unrouted"
"""Route label of requests answered before routing: unknown paths, refused keys, oversized bodies."""
PLAIN_ROUTES = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/metrics"})
"""Routes that are not FastAPI API routes, so they leave no ``scope["route"]``; labelled by path."""
MAX_LOGGED_PATH = 256


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
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None)
        if route is None:
            route = scope["path"] if scope["path"] in PLAIN_ROUTES and status < 400 else UNROUTED
        metrics().observe_request(scope["method"], route, status, seconds)
        if self.access_log.enabled:
            client = scope.get("client")
            self.access_log.write(
                {
                    "request_id": current_request_id.get(),
                    "method": scope["method"],
                    "path": scope["path"][:MAX_LOGGED_PATH],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "client": client[0] if client else None,
                }
            )
