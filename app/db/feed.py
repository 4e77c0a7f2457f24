"""Statements of the change feed: the head counter, the records, and retention.

``advance_head`` is the gapless step: ``UPDATE feed_positions SET seq = seq + n ... RETURNING``
locks the one ``head`` row until the transaction ends, so transactions that write records take
their seq ranges one after another, each only once the previous one has committed (see
app/feed/outbox.py for why that makes the feed gapless).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.db.prepared import InsertMany, Prepared
from app.db.tables import changes, feed_positions

HEAD, PRUNED = "head", "pruned"

_advance = Prepared(
    update(feed_positions)
    .where(feed_positions.c.name == bindparam("name"))
    .values(seq=feed_positions.c.seq + bindparam("n"))
    .returning(feed_positions.c.seq)
)
_insert = InsertMany(changes, [c.key for c in changes.columns])
_position = Prepared(select(feed_positions.c.seq).where(feed_positions.c.name == bindparam("name")))


def ensure_positions(conn: Connection) -> None:
    """Create the ``head`` and ``pruned`` rows if they are missing (a new SQLite file, an emptied database)."""
    rows = [{"name": HEAD, "seq": 0}, {"name": PRUNED, "seq": 0}]
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(feed_positions).on_conflict_do_nothing(), rows)
    else:
        conn.execute(sqlite.insert(feed_positions).on_conflict_do_nothing(), rows)


def advance_head(conn: Connection, count: int) -> int:
    """Take ``count`` seqs; returns the last. Holds the head row's lock until commit."""
    rows = _advance.rows(conn, {"name": HEAD, "n": count})
    if not rows:  # the row went missing (a test emptied the tables): make it and take again
        ensure_positions(conn)
        rows = _advance.rows(conn, {"name": HEAD, "n": count})
    return int(rows[0][0])


def insert_changes(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """One multi-row statement per 64 records (a group commit's records in one or a few)."""
    _insert.rows(conn, rows)


def position(conn: Connection, name: str) -> int:
    rows = _position.rows(conn, {"name": name})
    return int(rows[0][0]) if rows else 0


def read_head(engine: Engine) -> int:
    """The feed's head, on a connection of its own (a worker's notifier, the dispatcher's process)."""
    with engine.connect() as conn:
        return position(conn, HEAD)


def page(
    conn: Connection, after: int, limit: int, *, contract_number: str | None = None, component: str | None = None
) -> list[tuple[int, str]]:
    """Up to ``limit`` records after ``after`` in seq order, as (seq, JSON body)."""
    stmt = select(changes.c.seq, changes.c.body).where(changes.c.seq > after)
    if contract_number is not None:
        stmt = stmt.where(changes.c.contract_number == contract_number)
    if component is not None:
        stmt = stmt.where(changes.c.component == component)
    return [(seq, body) for seq, body in conn.execute(stmt.order_by(changes.c.seq).limit(limit))]


def prune(conn: Connection, cutoff: datetime) -> int:
    """Delete every record up to the newest one committed before ``cutoff``; returns the new
    ``pruned`` position. Whole seq prefixes go, so a reader is never left a hole to fall into."""
    newest = conn.execute(select(func.max(changes.c.seq)).where(changes.c.committed_at < cutoff)).scalar()
    pruned = position(conn, PRUNED)
    if newest is None or newest <= pruned:
        return pruned
    conn.execute(delete(changes).where(changes.c.seq <= newest))
    conn.execute(update(feed_positions).where(feed_positions.c.name == PRUNED).values(seq=newest))
    return int(newest)
