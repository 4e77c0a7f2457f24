"""Managing subscriptions: create (the secret is returned here only), read, delete, log, replay.

A new subscription starts at the feed's head: it receives the changes committed after it was
made. ``replay`` moves its position back (or forward) to just before ``from_seq``.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from app.db import feed as feed_queries
from app.db import webhooks as queries
from app.domain.errors import Invalid, NotFound
from app.feed.reading import expired
from app.webhooks.signing import new_secret


def not_found(webhook_id: str) -> NotFound:
    return NotFound(f"Webhook {webhook_id} not found.", "webhook_not_found")


def check_components(components: Sequence[str] | None, known: Collection[str]) -> None:
    if components is None:
        return
    unknown = [c for c in components if c not in known]
    if unknown or not components or len(set(components)) != len(components):
        problem = f"Unknown component(s): {', '.join(unknown)}" if unknown else "Components must be distinct, not empty"
        raise Invalid(f"{problem}. Supported components: {', '.join(known)}.", "invalid_components")


def create(
    conn: Connection, *, url: str, components: Sequence[str] | None, description: str | None
) -> tuple[queries.WebhookRow, str]:
    """The new subscription and its secret (stored to sign with; never shown again)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    secret = new_secret()
    row = {
        "id": f"wh_{secrets.token_hex(8)}",
        "url": url,
        "components": None if components is None else orjson.dumps(list(components)).decode(),
        "description": description,
        "secret": secret,
        "created_at": now,
        "status": queries.ACTIVE,
        "position": feed_queries.position(conn, feed_queries.HEAD),
        "attempt": 0,
        "first_failure_at": None,
        "next_attempt_at": None,
        "lease_owner": None,
        "lease_until": None,
    }
    queries.insert_webhook(conn, row)
    found = queries.webhook(conn, str(row["id"]))
    assert found is not None
    return found, secret


def get(conn: Connection, *, webhook_id: str) -> queries.WebhookRow:
    row = queries.webhook(conn, webhook_id)
    if row is None:
        raise not_found(webhook_id)
    return row


def list_all(conn: Connection) -> list[queries.WebhookRow]:
    return queries.all_webhooks(conn)


def delete(conn: Connection, *, webhook_id: str) -> None:
    if not queries.delete_webhook(conn, webhook_id):
        raise not_found(webhook_id)


def deliveries(conn: Connection, *, webhook_id: str, limit: int) -> list[Any]:
    get(conn, webhook_id=webhook_id)
    return queries.deliveries(conn, webhook_id, limit)


def replay(conn: Connection, *, webhook_id: str, from_seq: int) -> queries.WebhookRow:
    pruned = feed_queries.position(conn, feed_queries.PRUNED)
    if from_seq - 1 < pruned:
        raise expired(from_seq - 1, pruned)
    if not queries.rewind(conn, webhook_id, from_seq - 1, datetime.now(UTC).replace(tzinfo=None)):
        raise not_found(webhook_id)
    return get(conn, webhook_id=webhook_id)
