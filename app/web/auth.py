"""Who is using the console: a session cookie made from an API key, and CSRF tokens for writes.

Choice: an HttpOnly, ``SameSite=Strict`` session cookie rather than a token the page's scripts
send. The console is server-rendered, so every page is a navigation, and a navigation carries
cookies, never an ``Authorization`` header; a token kept by scripts would need every page to be
fetched by JavaScript, and it would sit in storage that any injected script can read, while an
HttpOnly cookie cannot be read by scripts at all.

* The operator types a key once (``/ui/login``). The cookie is a session cookie (no ``Max-Age``):
  the browser drops it when the session ends; the server also refuses one older than
  ``SESSION_SECONDS``.
* The cookie never holds the key. It holds the scope, the time it was issued and a nonce, signed
  with HMAC-SHA256 keyed by the SHA-256 digest of the key that opened it, which only the server
  holds. Every worker and host can check it with no shared session store, and taking a key out
  of ``API_KEYS`` ends its sessions.
* Writes are POSTed forms that carry a CSRF token (HMAC of the session's nonce under the same
  key). ``SameSite=Strict`` already keeps the cookie off cross-site requests; the token is the
  second lock, and the ``Origin`` of a write must be this host's own. Without keys the service is
  open, and writes still need the double-submit token of a random ``SameSite=Strict`` cookie,
  so that another site cannot drive an operator's browser into writing.
* A script may call a console page's JSON twin with ``X-API-Key`` or ``Authorization: Bearer``
  like any API endpoint; such requests cannot be forged by another site, so they need no token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request

from app.api.security import READ, WRITE, KeyRing, presented_key

SESSION_COOKIE = "clr_console"
CSRF_COOKIE = "clr_console_csrf"
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True, slots=True)
class Principal:
    """The console's user: the scope granted, and how the request proved it."""

    scope: str | None
    open: bool
    """True when the service has no keys: anyone who reaches it may read and write."""
    csrf: str | None
    """The token that this user's forms carry; None for header-authenticated requests."""
    via_header: bool = False

    @property
    def signed_in(self) -> bool:
        return self.scope is not None

    @property
    def can_write(self) -> bool:
        return self.scope == WRITE


def _mac(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def open_session(ring: KeyRing, key: str, now: float | None = None) -> str | None:
    """The cookie value for a valid key, or None."""
    scope = ring.scope_of(key.encode())
    if scope is None:
        return None
    payload = f"{scope}.{int(now if now is not None else time.time())}.{secrets.token_hex(16)}"
    return f"{payload}.{_mac(hashlib.sha256(key.encode()).digest(), payload)}"


def _session(ring: KeyRing, cookie: str, now: float) -> tuple[str, bytes, str] | None:
    """(scope, the key's digest, nonce) of a valid, unexpired session cookie."""
    parts = cookie.split(".")
    if len(parts) != 4 or parts[0] not in (READ, WRITE) or not parts[1].isdigit():
        return None
    scope, issued, nonce, mac = parts
    if not 0 <= now - int(issued) <= SESSION_SECONDS:
        return None
    payload = f"{scope}.{issued}.{nonce}"
    found = None
    for key in ring.keys:  # every key is tried, so the time taken does not say which matched
        if hmac.compare_digest(_mac(key.digest, payload), mac) and key.scope == scope:
            found = key.digest
    return None if found is None else (scope, found, nonce)


def principal_of(request: Request, ring: KeyRing, now: float | None = None) -> Principal:
    if not ring.enabled:
        return Principal(WRITE, open=True, csrf=request.cookies.get(CSRF_COOKIE))
    key = presented_key(request.scope["headers"])
    if key is not None:
        return Principal(ring.scope_of(key), open=False, csrf=None, via_header=True)
    session = _session(ring, request.cookies.get(SESSION_COOKIE, ""), now if now is not None else time.time())
    if session is None:
        return Principal(None, open=False, csrf=None)
    scope, digest, nonce = session
    return Principal(scope, open=False, csrf=_mac(digest, f"csrf.{nonce}"))


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(24)


def write_refusal(request: Request, principal: Principal, token: str | None) -> str | None:
    """Why this write must not go through, or None. The API still checks the scope itself."""
    if not principal.signed_in:
        return "Sign in with an API key first."
    if principal.via_header:
        return None if principal.can_write else "This API key may only read; writes need a write key."
    origin = request.headers.get("origin")
    if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host"):
        return "This write came from another site's page and was refused."
    if not principal.csrf or not token or not hmac.compare_digest(principal.csrf, token):
        return "The form's security token is missing or stale; reload the page and try again."
    if not principal.can_write:
        return "This API key may only read; writes need a write key."
    return None
