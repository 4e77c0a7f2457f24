"""Request ids: an incoming ``X-Request-ID`` is kept when it is short and plain, else one is made."""

from __future__ import annotations

import itertools
import re
import secrets
from contextvars import ContextVar

HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being served; log records pick it up."""


_PREFIX = secrets.token_hex(6)
_counter = itertools.count(1)


def new_request_id() -> str:
    """Unique across processes and restarts: a random per-process prefix and a counter."""
    return f"{_PREFIX}-{next(_counter):x}"


def accept_or_make(incoming: bytes | None) -> str:
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming.decode("ascii")
    return new_request_id()


def incoming_request_id(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == HEADER:
            return value
    return None
