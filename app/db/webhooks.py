"""Statements of webhook subscriptions and their delivery log.

One dispatcher per change: a dispatcher claims a subscription with a lease (``lease_owner``,
``lease_until``) in a short transaction, delivers without holding any database lock, and
records its progress only while it still holds the lease (``finish`` is conditional on it). On
PostgreSQL the claim reads candidates with ``FOR UPDATE SKIP LOCKED``, so dispatchers on other
workers and hosts pass over each other's rows instead of queueing; on SQLite the claim's
transaction begins with BEGIN IMMEDIATE, which serialises claims. A dispatcher that dies leaves
its lease to expire, and another one takes the subscription over from its stored position.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from app.db.tables import changes, webhook_deliveries, webhooks

ACTIVE, FAILING = "active", "failing"


@dataclass(frozen=True, slots=True)
class WebhookRow:
    id: str
    url: str
    components: str | None
    description: str | None
    secret: str
    created_at: datetime
    status: str
    position: int
    attempt: int
    first_failure_at: datetime | None
    next_attempt_at: datetime | None


_COLUMNS = tuple(webhooks.c[name] for name in WebhookRow.__dataclass_fields__)


def insert_webhook(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(webhooks).values(**row))


def webhook(conn: Connection, webhook_id: str) -> WebhookRow | None:
    found = conn.execute(select(*_COLUMNS).where(webhooks.c.id == webhook_id)).first()
    return None if found is None else WebhookRow(*found)


def all_webhooks(conn: Connection) -> list[WebhookRow]:
    return [WebhookRow(*r) for r in conn.execute(select(*_COLUMNS).order_by(webhooks.c.created_at, webhooks.c.id))]


def any_webhook(conn: Connection) -> bool:
    return conn.execute(select(webhooks.c.id).limit(1)).first() is not None


def delete_webhook(conn: Connection, webhook_id: str) -> bool:
    return bool(conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id)).rowcount)


def rewind(conn: Connection, webhook_id: str, position: int, now: datetime) -> bool:
    """Deliver again from after ``position``; breaks any lease, so its holder's progress is dropped."""
    values = {"position": position, "attempt": 0, "first_failure_at": None, "next_attempt_at": None, "status": ACTIVE}
    stmt = update(webhooks).where(webhooks.c.id == webhook_id).values(**values, lease_owner=None, lease_until=now)
    return bool(conn.execute(stmt).rowcount)


def _due(now: datetime, head: int) -> Any:
    return (
        webhooks.c.position < head,
        or_(webhooks.c.lease_until.is_(None), webhooks.c.lease_until < now),
        or_(webhooks.c.next_attempt_at.is_(None), webhooks.c.next_attempt_at <= now),
    )


def any_due(conn: Connection, *, now: datetime, head: int) -> bool:
    """Whether a claim would find work: a read, so idle dispatchers never take a write lock."""
    return conn.execute(select(webhooks.c.id).where(*_due(now, head)).limit(1)).first() is not None


def claim(conn: Connection, *, owner: str, now: datetime, until: datetime, head: int, limit: int) -> list[WebhookRow]:
    """Lease up to ``limit`` subscriptions that have records to deliver and are due, least
    recently served first."""
    due = (
        select(webhooks.c.id)
        .where(*_due(now, head))
        .order_by(webhooks.c.lease_until, webhooks.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = [r.id for r in conn.execute(due)]
    if not ids:
        return []
    conn.execute(update(webhooks).where(webhooks.c.id.in_(ids)).values(lease_owner=owner, lease_until=until))
    return [WebhookRow(*r) for r in conn.execute(select(*_COLUMNS).where(webhooks.c.id.in_(ids)))]


def pending_changes(
    conn: Connection, position: int, components: Collection[str] | None, limit: int
) -> list[tuple[int, str]]:
    """The subscription's next records: all contract-level ones, and its components' ones."""
    stmt = select(changes.c.seq, changes.c.body).where(changes.c.seq > position)
    if components is not None:
        stmt = stmt.where(or_(changes.c.component.is_(None), changes.c.component.in_(list(components))))
    return [(seq, body) for seq, body in conn.execute(stmt.order_by(changes.c.seq).limit(limit))]


def finish(conn: Connection, *, webhook_id: str, owner: str, now: datetime, values: dict[str, Any]) -> bool:
    """Store progress and release the lease, if this dispatcher still holds it."""
    stmt = (
        update(webhooks)
        .where(webhooks.c.id == webhook_id, webhooks.c.lease_owner == owner)
        .values(**values, lease_owner=None, lease_until=now)
    )
    return bool(conn.execute(stmt).rowcount)


def insert_deliveries(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(webhook_deliveries), list(rows))


def deliveries(conn: Connection, webhook_id: str, limit: int) -> list[Any]:
    stmt = (
        select(webhook_deliveries)
        .where(webhook_deliveries.c.webhook_id == webhook_id)
        .order_by(webhook_deliveries.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(stmt))


def prune_deliveries(conn: Connection, cutoff: datetime) -> None:
    conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.attempted_at < cutoff))
