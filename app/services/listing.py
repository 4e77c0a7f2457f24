"""Finding contracts: filtered pages in contract-number order, with an opaque ``after`` cursor.

The cursor is the last number of a page in URL-safe base64 JSON, tagged with a version; like the
history's cursor it is not signed, since a forged one can only choose where a page begins.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from app.db.listing import ListingFilter, components_of, contract_page
from app.domain.errors import Invalid
from app.domain.timeline import ComponentTimeline

CURSOR_VERSION = "c1"


@dataclass(frozen=True, slots=True)
class ContractItem:
    contract_number: str
    created_at: datetime
    components: list[tuple[str, ComponentTimeline]]


@dataclass(frozen=True, slots=True)
class ContractPage:
    items: list[ContractItem]
    next: str | None


def list_contracts(conn: Connection, *, listing: ListingFilter, after: str | None, limit: int) -> ContractPage:
    position = None if after is None else _decode(after)
    rows = contract_page(conn, listing, position, limit + 1)
    page = rows[:limit]
    components = components_of(conn, [cid for cid, _, _ in page])
    items = [ContractItem(number, created_at, components.get(cid, [])) for cid, number, created_at in page]
    return ContractPage(items, _encode(page[-1][1]) if len(rows) > limit else None)


def _encode(number: str) -> str:
    raw = json.dumps([CURSOR_VERSION, number], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(cursor: str) -> str:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        value = None
    match value:
        case [str(version), str(number)] if version == CURSOR_VERSION and len(cursor) <= 256:
            return number
        case _:
            raise Invalid(
                "Invalid 'after' cursor: it is not a cursor this service wrote. "
                "Use the 'next' value of a previous page.",
                "invalid_cursor",
            )
