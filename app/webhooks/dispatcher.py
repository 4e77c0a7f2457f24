"""Delivering the feed to subscriptions: at least once, in seq order per subscription.

Each worker runs one dispatcher. A round leases the subscriptions that are due (see
app/db/webhooks.py), delivers each one's next records one POST at a time, in seq order, and
stops at the first failure, so a failing delivery holds back the later ones. Progress (the
position after the last 2xx, the attempt log, the retry time) is stored when the round ends,
only while the lease is still held; a worker killed mid-round leaves the position where it was,
and the subscription's next dispatcher sends those records again with the same ``webhook-id``.

The dispatcher sleeps on the feed's notifier: a commit on this worker wakes it at once, one on
another worker within the notifier's poll interval, and retries come due within ``IDLE``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine

from app.db import feed as feed_queries
from app.db import webhooks as queries
from app.domain.errors import DomainError
from app.feed.notifier import Notifier
from app.webhooks import signing
from app.webhooks.client import DeliveryClient
from app.webhooks.schedule import after_failure
from app.webhooks.targets import check_literal

logger = logging.getLogger(__name__)
BATCH, CONCURRENT, IDLE, SETTLE = 100, 8, 1.0, 0.02


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    timeout: float
    schedule: tuple[float, ...]
    max_age: timedelta
    lease: float
    allow_private: bool


@dataclass(slots=True)
class _Round:
    """One subscription's round: what was attempted and where it ends."""

    row: queries.WebhookRow
    position: int
    attempts: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None
    more: bool = False
    """Records beyond this round's were waiting (a full batch, or the lease's time ran out)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Dispatcher:
    def __init__(self, writes: Engine, reads: Engine, notifier: Notifier, settings: DispatchSettings) -> None:
        """``writes`` claims and stores progress (on SQLite it begins with BEGIN IMMEDIATE);
        ``reads`` reads records without taking SQLite's write lock."""
        self._engine, self._reads, self._notifier, self._settings = writes, reads, notifier, settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._client = DeliveryClient(timeout=settings.timeout, allow_private=settings.allow_private)

    async def run(self) -> None:
        while True:
            seen = self._notifier.head
            try:
                backlog = await self._round()
            except Exception:  # the database is away for a moment: leases expire, nothing is lost
                logger.warning("webhook dispatcher round failed", exc_info=True)
                backlog = False
            if not backlog:
                await self._notifier.wait_beyond(seen, IDLE)
                await asyncio.sleep(SETTLE)  # let commits gather: a round costs two short transactions

    async def _round(self) -> bool:
        """One round; whether a subscription has more records waiting than a round takes."""
        rounds = await asyncio.to_thread(self._claim)
        if not rounds:
            return False
        results = await asyncio.gather(*(self._deliver(r) for r in rounds), return_exceptions=True)
        for round_, result in zip(rounds, results, strict=True):
            if isinstance(result, Exception):
                logger.warning("webhook %s: delivery round failed", round_.row.id, exc_info=result)
        await asyncio.to_thread(self._finish, rounds)
        return any(round_.more for round_ in rounds)

    async def close(self) -> None:
        await self._client.close()

    def _claim(self) -> list[_Round]:
        now = _now()
        until = now + timedelta(seconds=self._settings.lease)
        with self._reads.connect() as conn:
            if not queries.any_due(conn, now=now, head=feed_queries.position(conn, feed_queries.HEAD)):
                return []
        with self._engine.begin() as conn:
            head = feed_queries.position(conn, feed_queries.HEAD)
            rows = queries.claim(conn, owner=self.owner, now=now, until=until, head=head, limit=CONCURRENT)
        return [_Round(row, row.position) for row in rows]

    async def _deliver(self, round_: _Round) -> None:
        row = round_.row
        components = None if row.components is None else orjson.loads(row.components)
        head, records = await asyncio.to_thread(self._pending, row.position, components)
        budget = time.monotonic() + self._settings.lease / 2  # leave the lease's second half for storing
        for index, (seq, body) in enumerate(records):
            if time.monotonic() > budget:
                round_.more = True
                return
            started = time.perf_counter()
            try:
                if index == 0:  # a literal address here; a host name by the client, on every connection
                    check_literal(row.url, allow_private=self._settings.allow_private)
                headers = signing.headers(row.secret, seq, body, datetime.now(UTC))
                code, error = await self._client.post(row.url, body.encode(), headers)
            except DomainError as exc:  # the URL names an address that may not be called
                code, error = None, exc.message
            latency = round((time.perf_counter() - started) * 1000, 2)
            ok = code is not None and 200 <= code < 300
            round_.attempts.append(
                {
                    "webhook_id": row.id,
                    "seq": seq,
                    "attempt": row.attempt + 1 if index == 0 else 1,
                    "attempted_at": _now(),
                    "outcome": "delivered" if ok else "failed",
                    "response_code": code,
                    "latency_ms": latency,
                    "error": error,
                }
            )
            if not ok:
                round_.failure = error or f"HTTP {code}"
                return
            round_.position = seq
        if len(records) < BATCH:  # every record up to ``head`` was delivered or is not this subscription's
            round_.position = max(round_.position, head)
        else:
            round_.more = True

    def _pending(self, position: int, components: list[str] | None) -> tuple[int, list[tuple[int, str]]]:
        """The head, then the records: read in this order, every record up to the head is committed
        (the feed is gapless), so a head past the last record is safe to move to."""
        with self._reads.connect() as conn:
            head = feed_queries.position(conn, feed_queries.HEAD)
            return head, queries.pending_changes(conn, position, components, BATCH)

    def _finish(self, rounds: list[_Round]) -> None:
        now = _now()
        for round_ in rounds:
            try:
                with self._engine.begin() as conn:
                    if queries.finish(
                        conn, webhook_id=round_.row.id, owner=self.owner, now=now, values=self._progress(round_, now)
                    ):
                        queries.insert_deliveries(conn, round_.attempts)
            except Exception:  # the lease expires and another dispatcher redelivers: at least once
                logger.warning("could not store webhook progress of %s", round_.row.id, exc_info=True)

    def _progress(self, round_: _Round, now: datetime) -> dict[str, Any]:
        row = round_.row
        if round_.failure is None:
            if row.status == queries.FAILING:
                logger.warning("webhook %s recovered: delivered up to seq %d", row.id, round_.position)
            return {
                "position": round_.position,
                "attempt": 0,
                "first_failure_at": None,
                "next_attempt_at": None,
                "status": queries.ACTIVE,
            }
        same_change = round_.position == row.position
        retry = after_failure(
            attempt=row.attempt if same_change else 0,
            first_failure_at=row.first_failure_at if same_change else None,
            now=now,
            schedule=self._settings.schedule,
            max_age=self._settings.max_age,
        )
        if retry.failing and row.status != queries.FAILING:
            logger.error(
                "webhook %s is failing: seq %d undelivered since %s (%d attempts, last: %s); it keeps its position "
                "and is retried every %g s; POST /webhooks/%s/replay resumes at once",
                row.id,
                round_.position + 1,
                retry.first_failure_at.isoformat(),
                retry.attempt,
                round_.failure,
                self._settings.schedule[-1],
                row.id,
            )
        return {
            "position": round_.position,
            "attempt": retry.attempt,
            "first_failure_at": retry.first_failure_at,
            "next_attempt_at": retry.next_attempt_at,
            "status": queries.FAILING if retry.failing else queries.ACTIVE,
        }
