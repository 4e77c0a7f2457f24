"""Retention: records older than ``FEED_RETENTION`` are removed, and so are delivery attempts.

Removal takes whole seq prefixes and remembers where it stopped (the ``pruned`` position), so a
reader asking for a position inside what was removed gets 410 ``feed_position_expired`` instead
of a silent gap. Each worker prunes every ``interval``; the deletes are idempotent, so several
workers doing it is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from app.db import feed as queries
from app.db.webhooks import prune_deliveries

logger = logging.getLogger(__name__)


def prune_once(engine: Engine, retention: timedelta) -> int:
    cutoff = datetime.now(UTC).replace(tzinfo=None) - retention
    with engine.begin() as conn:
        pruned = queries.prune(conn, cutoff)
        prune_deliveries(conn, cutoff)
    return pruned


async def prune_forever(engine: Engine, retention: timedelta, interval: float) -> None:
    while True:
        try:
            await asyncio.to_thread(prune_once, engine, retention)
        except Exception:
            logger.warning("could not prune the change feed", exc_info=True)
        await asyncio.sleep(interval)
