"""API keys: who may read and who may write.

A pure ASGI middleware, so a request pays a header scan and one SHA-256 (a few microseconds),
not a ``BaseHTTPMiddleware`` task. Keys come from ``API_KEYS`` ("key:scope" pairs, comma-separated,
scope ``read`` or ``write``; write includes read). Without keys the service is open, and says so
at start-up. ``/metrics`` is public like the probes: scrape it from inside the network only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import envelope

logger = logging.getLogger(__name__)

READ, WRITE = "read", "write"
PUBLIC_PATHS = frozenset({"/health", "/ready", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
OWN_AUTH_PREFIXES = ("/ui/", "/static-offline-docs/")
"""The console checks its own sessions (a page navigation carries no header); the offline docs'
assets hold no data, and /docs must load them before anyone has typed a key."""
GRANT_KEY = "clr.console_grant"
"""ASGI scope key by which the console's in-process API calls carry the scope its session grants.
Only code in this process can set a scope key; an HTTP client controls headers only."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_ONLY_PREFIX = "/webhooks"
"""Webhook management needs a write key even to read: it names receivers and holds their state."""
SCHEMES = {
    "BearerKey": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"},
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


def _digest(key: bytes) -> bytes:
    # Comparing fixed-length digests keeps the comparison time independent of the key's length.
    return hashlib.sha256(key).digest()


@dataclass(frozen=True, slots=True)
class ApiKey:
    digest: bytes
    scope: str


def parse_api_keys(spec: str) -> tuple[ApiKey, ...]:
    """Parse ``key:scope,key:scope``. Errors name the entry's position, never the key."""
    keys = []
    for position, entry in enumerate((e.strip() for e in spec.split(",")), start=1):
        if not entry:
            continue
        key, _, scope = entry.rpartition(":")
        if not key or scope not in (READ, WRITE):
            raise ValueError(f"API_KEYS entry {position} is not 'key:read' or 'key:write'.")
        keys.append(ApiKey(_digest(key.encode()), scope))
    return tuple(keys)


class KeyRing:
    """The configured keys; loaded by the app's lifespan, read by the middleware."""

    def __init__(self) -> None:
        self.keys: tuple[ApiKey, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def load(self, spec: str) -> None:
        self.keys = parse_api_keys(spec)
        if not self.keys:
            logger.warning("API_KEYS is empty: every endpoint is open to anyone who can reach the service.")

    def scope_of(self, presented: bytes) -> str | None:
        """The scope the key grants, or None. Every configured key is compared, matched or not."""
        digest, granted = _digest(presented), None
        for key in self.keys:
            if hmac.compare_digest(digest, key.digest) and granted != WRITE:
                granted = key.scope
        return granted


def presented_key(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == b"x-api-key":
            return value
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].strip()
    return None


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, ring: KeyRing) -> None:
        self.app, self.ring = app, ring

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        if scope["type"] != "http" or not self.ring.keys or path in PUBLIC_PATHS or path == "/ui":
            await self.app(scope, receive, send)
            return
        if path.startswith(OWN_AUTH_PREFIXES):
            await self.app(scope, receive, send)
            return
        granted = scope.get(GRANT_KEY)
        if granted is None:
            key = presented_key(scope["headers"])
            granted = self.ring.scope_of(key) if key else None
        if granted is None:
            response = envelope(401, "error", "A valid API key is required.", "unauthorized")
            response.headers["WWW-Authenticate"] = "Bearer"
        elif granted == READ and (scope["method"] not in SAFE_METHODS or _write_only(scope["path"])):
            response = envelope(403, "error", "This API key may only read.", "forbidden")
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


def _write_only(path: str) -> bool:
    return path == WRITE_ONLY_PREFIX or path.startswith(WRITE_ONLY_PREFIX + "/")


def envelope_response(description: str) -> dict[str, Any]:
    """An OpenAPI response entry whose body is the error envelope."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}},
    }


def document_security(schema: dict[str, Any]) -> None:
    """Mark every non-public operation as needing a key, with its 401 (and 403 for writes)."""
    schema.setdefault("components", {})["securitySchemes"] = SCHEMES
    for path, operations in schema.get("paths", {}).items():
        if path in PUBLIC_PATHS:
            continue
        for method, operation in operations.items():
            operation["security"] = [{name: []} for name in SCHEMES]
            responses = operation.setdefault("responses", {})
            responses["401"] = envelope_response("No API key, or an unknown one.")
            if method.upper() not in SAFE_METHODS or _write_only(path):
                responses["403"] = envelope_response("The API key may only read.")
