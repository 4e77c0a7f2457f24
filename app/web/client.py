"""Calls from the console to the service's JSON API, in-process, through the whole ASGI app.

No socket and no second server: a call builds an ASGI scope and runs the parent application
(its middlewares, error handlers and routes) in the same event loop. The console's session
grants a scope (read or write); the call carries it in the ASGI scope under ``GRANT_KEY``, which
only in-process callers can set (a client over HTTP controls headers, never scope keys), so the
API's key middleware applies the same read/write rule to the console as to any client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlencode

from starlette.types import ASGIApp, Message, Receive, Send

from app.api.security import GRANT_KEY

Query = Mapping[str, str | int | None]


@dataclass(frozen=True, slots=True)
class ApiError(Exception):
    """An API answer of 4xx or 5xx, as the envelope said it: shown to the operator as a sentence with its code."""

    status: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.message} ({self.code}, HTTP {self.status})"


def path_of(*segments: str) -> str:
    """A path whose segments are percent-encoded: ``path_of("", "events", "ev_1", "revoke")``."""
    return "/".join(quote(segment, safe="") for segment in segments)


def query_string(query: Query | None) -> str:
    return urlencode({k: v for k, v in (query or {}).items() if v is not None and v != ""})


class Api:
    """The API as the console's current user may call it."""

    def __init__(self, app: ASGIApp, *, grant: str, request_id: str | None = None) -> None:
        self.app, self.grant, self.request_id = app, grant, request_id

    def _scope(
        self, method: str, path: str, query: Query | None, body: bytes | None, extra: list[tuple[bytes, bytes]]
    ) -> dict[str, Any]:
        headers = [(b"host", b"console.internal"), (b"accept", b"application/json"), *extra]
        if body is not None:
            headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if self.request_id:
            headers.append((b"x-request-id", self.request_id.encode("ascii", "ignore")))
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(path),
            "raw_path": path.encode("ascii"),
            "query_string": query_string(query).encode("ascii"),
            "root_path": "",
            "headers": headers,
            "client": ("console", 0),
            "server": ("console.internal", 80),
            GRANT_KEY: self.grant,
        }

    async def call(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: Any = None,
        send: Send | None = None,
        disconnected: Receive | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> tuple[int, bytes]:
        """Run one request. ``send`` relays body chunks as they come (a stream); otherwise they are collected."""
        raw = None if body is None else json.dumps(body).encode()
        scope = self._scope(method, path, query, raw, headers or [])
        sent_body = False
        status, chunks = 0, []

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": raw or b"", "more_body": False}
            if disconnected is not None:
                return await disconnected()
            return {"type": "http.disconnect"}

        async def collect(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            if send is not None:
                await send(message)

        await self.app(scope, receive, collect)
        return status, b"".join(chunks)

    async def json(self, method: str, path: str, *, query: Query | None = None, body: Any = None) -> Any:
        """The answer's JSON; raises ``ApiError`` for an answer of 400 or more."""
        status, raw = await self.call(method, path, query=query, body=body)
        return decode(status, raw)

    async def get(self, path: str, query: Query | None = None) -> Any:
        return await self.json("GET", path, query=query)


def decode(status: int, raw: bytes) -> Any:
    try:
        document = json.loads(raw) if raw else None
    except ValueError:
        document = None
    if status >= 400:
        if isinstance(document, dict) and isinstance(document.get("code"), str):
            raise ApiError(status, document["code"], str(document.get("message", "")))
        raise ApiError(status, "http_error", raw[:200].decode("utf-8", "replace") or "No answer body.")
    return document
