"""The opaque strings of the history API: an event's public id and the ``after`` cursor.

An event's id is ``ev_`` followed by the events table's integer key. That key never changes
(re-judging an event updates its row in place), so the id is stable for the life of the event;
clients must still treat it as opaque. The prefix keeps it from being mistaken for a count or an
index, and leaves room for other kinds of ids later.

A cursor names the position after the last event of a page: its ordering key and its table key
(the key breaks ties, so paging never skips or repeats an event). It also names its contract, so
that a cursor taken from one contract's history is refused on another's instead of silently
positioning that history somewhere arbitrary. It is JSON in URL-safe base64: opaque to clients,
easy to read when debugging. It is not signed: a forged cursor can only choose where a page of
the contract the client may read anyway begins.
"""

from __future__ import annotations

import base64
import binascii
import json

from app.domain.errors import Invalid

EVENT_ID_PREFIX = "ev_"
CURSOR_VERSION = "h1"
MAX_CURSOR_CHARS = 1024
"""Far above any cursor this service writes (a 64-character number and a 160-character key)."""


def event_public_id(row_id: int) -> str:
    return f"{EVENT_ID_PREFIX}{row_id}"


def event_row_id(public_id: str) -> int | None:
    """The table key an event's public id names; ``None`` for a string this service never wrote."""
    digits = public_id.removeprefix(EVENT_ID_PREFIX)
    if digits == public_id or not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        return None
    return int(digits)


def encode_cursor(number: str, sort_key: str, row_id: int) -> str:
    raw = json.dumps([CURSOR_VERSION, number, sort_key, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, number: str) -> tuple[str, int]:
    """The (sort_key, row id) position a cursor of ``number``'s history names.

    Raises ``Invalid`` (422 ``invalid_cursor``) for anything this service did not write for
    this contract: bad base64, bad JSON, the wrong shape, or another contract's cursor."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise _invalid("it is too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _invalid("it is not a cursor this service wrote") from None
    match value:
        case [str(version), str(owner), str(key), int(row_id)] if (
            version == CURSOR_VERSION and not isinstance(row_id, bool) and row_id >= 0
        ):
            pass
        case _:
            raise _invalid("it is not a cursor this service wrote")
    if owner != number:
        raise _invalid(f"it belongs to another contract's history, not to {number}'s")
    return key, row_id


def _invalid(reason: str) -> Invalid:
    return Invalid(f"Invalid 'after' cursor: {reason}. Use the 'next' value of a previous page.", "invalid_cursor")
