"""Request body cap (``MAX_BODY_BYTES``), as a pure ASGI middleware.

A declared ``Content-Length`` over the cap is refused before the body is read; the server then
delivers no more than the declared length, so such requests pass untouched. A body without a
length (chunked) is counted while it streams, and refused once it passes the cap.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import envelope
from app.api.security import envelope_response

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024


class BodyLimit:
    """The cap in bytes; set by the app's lifespan, read by the middleware."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.max_bytes = max_bytes


class BodyTooLarge(HTTPException):
    """Raised from ``receive``. An HTTPException, so FastAPI lets it through unchanged."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="Request body too large.")


def too_large(max_bytes: int) -> Response:
    return envelope(413, "error", f"Request body larger than {max_bytes} bytes.", "body_too_large")


def document_body_limits(schema: dict[str, Any]) -> None:
    """Every operation taking a body may answer 413 (too large) or 400 (not readable as text)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                responses = operation.setdefault("responses", {})
                responses["413"] = envelope_response("The request body is larger than MAX_BODY_BYTES.")
                responses.setdefault("400", envelope_response("The request body could not be read."))


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The Content-Length; 0 when the request declares no body at all; None for a streamed one."""
    streamed = False
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
        if name == b"transfer-encoding":
            streamed = True
    return None if streamed else 0


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: BodyLimit) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, length = self.limit.max_bytes, declared_length(scope["headers"])
        if length is None:
            await _CountingExchange(self.app, max_bytes, scope, receive, send).run()
        elif length > max_bytes:
            await too_large(max_bytes)(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class _CountingExchange:
    """One streamed request: counts body bytes and swaps the app's answer for a 413 once over."""

    __slots__ = ("app", "max_bytes", "outer_receive", "outer_send", "over", "replied", "scope", "seen")

    def __init__(self, app: ASGIApp, max_bytes: int, scope: Scope, receive: Receive, send: Send) -> None:
        self.app, self.max_bytes, self.scope = app, max_bytes, scope
        self.outer_receive, self.outer_send = receive, send
        self.seen, self.over, self.replied = 0, False, False

    async def run(self) -> None:
        try:
            await self.app(self.scope, self.receive, self.send)
        except BodyTooLarge:
            if self.replied:
                raise
            await self._reply()

    async def receive(self) -> Message:
        message = await self.outer_receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.max_bytes:
                self.over = True
                raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if not self.over:
            self.replied = self.replied or message["type"] == "http.response.start"
            await self.outer_send(message)
        elif message["type"] == "http.response.start" and not self.replied:
            await self._reply()

    async def _reply(self) -> None:
        self.replied = True
        await too_large(self.max_bytes)(self.scope, self.outer_receive, self.outer_send)
