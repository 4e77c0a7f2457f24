"""Reading the feed: a page of records after a position, or 410 when retention removed it.

``next`` is where the following read starts. It is the last record's seq when the page is
full; otherwise it is also at least the head read before the page, in the same transaction:
every record up to that head is committed (the feed is gapless), so a filtered read that
matched nothing still moves on, and cannot skip a record that commits later.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from app.db import feed as queries
from app.domain.errors import Gone


@dataclass(frozen=True, slots=True)
class FeedPage:
    records: list[tuple[int, str]]
    """(seq, record JSON), in seq order."""
    next: int


def expired(after: int, pruned: int) -> Gone:
    return Gone(
        f"Position {after} is no longer in the feed: records up to seq {pruned} were removed by retention "
        "(FEED_RETENTION). Rebuild from the current timelines, then read on from a position the feed still holds.",
        "feed_position_expired",
    )


def read_page(
    conn: Connection, *, after: int, limit: int, contract_number: str | None = None, component: str | None = None
) -> FeedPage:
    pruned = queries.position(conn, queries.PRUNED)
    if after < pruned:
        raise expired(after, pruned)
    head = queries.position(conn, queries.HEAD)
    records = queries.page(conn, after, limit, contract_number=contract_number, component=component)
    if len(records) == limit:
        return FeedPage(records, records[-1][0])
    last = records[-1][0] if records else after
    return FeedPage(records, max(after, head, last))


def read_head(conn: Connection) -> int:
    return queries.position(conn, queries.HEAD)
