"""The seam between write paths and the change feed: record changes now, number them at commit.

**Calling it.** A write that changes stored state describes each change (``ComponentChange``
from ``component_change(...)``, or ``ContractChange``) and calls ``record(conn, changes)`` on
the connection of its transaction, after its own rows are written. Nothing else is needed inside
the service's writer: its before-commit hook (``FeedHooks.before_commit``) numbers and stores
what the transaction recorded. A write outside the writer (the ``rules reevaluate`` command)
opens its transactions with ``transaction(db)``, which does the same.

**Gapless, in commit order.** Seqs are taken at the very end of the transaction, in one
statement: ``UPDATE feed_positions SET seq = seq + n WHERE name = 'head' RETURNING seq``. The
row lock it takes is held until commit, so a second transaction's UPDATE waits until the first
has committed and then reads its result (READ COMMITTED re-reads the row after the wait). Seq
ranges are therefore handed out in commit order, and a transaction holding seq N commits only
after every transaction holding a lower seq has committed and become visible: a reader that
sees N sees everything below it. The lock is held only from that statement to the end of the
commit (a few hundred microseconds plus the WAL flush), and a group commit takes it once for all
of its requests. On SQLite, BEGIN IMMEDIATE already serialises writers, and the same statement
simply counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import orjson
from sqlalchemy import Connection, Engine

from app.db import feed as queries
from app.feed.changes import Change, to_record

_PENDING = "feed.pending"


def record(conn: Connection, changes: Iterable[Change]) -> None:
    """Queue ``changes`` for the feed; they are stored, numbered, with this transaction's commit."""
    pending: list[Change] = conn.info.setdefault(_PENDING, [])
    pending.extend(changes)


def reset(conn: Connection) -> None:
    """Forget what an earlier, rolled-back transaction on this connection recorded."""
    conn.info.pop(_PENDING, None)


def flush(conn: Connection) -> int | None:
    """Number and store what this transaction recorded; the feed's new head, or None if nothing."""
    pending: list[Change] = conn.info.pop(_PENDING, [])
    if not pending:
        return None
    head = queries.advance_head(conn, len(pending))
    committed_at = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for seq, change in enumerate(pending, start=head - len(pending) + 1):
        body = orjson.dumps(to_record(change, seq, committed_at)).decode()
        rows.append(
            {
                "seq": seq,
                "committed_at": committed_at,
                "contract_number": change.contract_number,
                "component": change.component,
                "kind": change.kind,
                "body": body,
            }
        )
    queries.insert_changes(conn, rows)
    return head


class FeedHooks:
    """The writer's transaction hooks: reset at begin, flush before commit, announce after commit."""

    def __init__(self, announce: Callable[[int], None], *, enabled: bool = True) -> None:
        self._announce, self._enabled = announce, enabled
        self._head: int | None = None

    def begin(self, conn: Connection) -> None:
        reset(conn)
        self._head = None

    def before_commit(self, conn: Connection) -> None:
        if self._enabled:
            self._head = flush(conn)
        else:
            reset(conn)

    def after_commit(self) -> None:
        if self._head is not None:
            self._announce(self._head)


@contextmanager
def transaction(db: Engine) -> Iterator[Connection]:
    """A transaction on ``db`` whose recorded changes are stored with its commit."""
    with db.begin() as conn:
        reset(conn)
        yield conn
        flush(conn)
