"""Delivering the feed to subscriptions: at least once, in seq order per subscription.

Each worker runs one dispatcher. A round leases the subscriptions that are due (see
app/db/webhooks.py), delivers each one's next records one POST at a time, in seq order, and
stops at the first failure, so a failing delivery holds back the later ones. Progress (the
position after the last 2xx, the attempt log, the retry time) is stored when the round ends,
only while the lease is still held; a worker killed mid-round leaves the position where it was,
and the subscription's next dispatcher sends those records again with the same ``webhook-id``.

The dispatcher sleeps until the feed's notifier tells it of a commit (``wake``): a commit on
this worker wakes it at once, one on another worker within the notifier's poll interval, and
retries come due within ``IDLE``. It runs on a thread of its own with its own event loop
(``start_thread``), so that its deliveries do not queue behind the worker's requests on the
request loop: a subscription's deliveries are sequential, and each one waited for a turn of a
loop busy with hundreds of requests per second. POSTs go through app/webhooks/http.py, on one
kept-alive connection per subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine

from app.db import feed as feed_queries
from app.db import webhooks as queries
from app.domain.errors import DomainError
from app.feed.notifier import Notifier
from app.webhooks import signing
from app.webhooks.http import Client, Endpoint, ResponseError
from app.webhooks.schedule import after_failure
from app.webhooks.targets import Target, resolve

logger = logging.getLogger(__name__)
BATCH, CONCURRENT, IDLE, SETTLE = 500, 8, 1.0, 0.005


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


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Dispatcher:
    def __init__(self, writes: Engine, reads: Engine, notifier: Notifier, settings: DispatchSettings) -> None:
        """``writes`` claims and stores progress (on SQLite it begins with BEGIN IMMEDIATE);
        ``reads`` reads records without taking SQLite's write lock."""
        self._engine, self._reads, self._notifier, self._settings = writes, reads, notifier, settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._client = Client()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._quiet_until = 0.0
        """Until then (monotonic), commits do not wake the dispatcher: it last found no subscription."""

    def start_thread(self) -> None:
        """Run on a thread of its own, with its own event loop, until ``stop_thread``."""
        started = threading.Event()

        def main() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._task = loop.create_task(self.run(), name="webhook-dispatcher")
            loop.call_soon(started.set)
            try:
                loop.run_until_complete(self._task)
            except asyncio.CancelledError:
                pass
            finally:
                loop.run_until_complete(self.close())
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()

        self._thread = threading.Thread(target=main, name="webhook-dispatcher", daemon=True)
        self._thread.start()
        started.wait()

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Cancel the dispatcher and wait for its thread: an interrupted delivery is redelivered later."""
        loop, task, thread = self._loop, self._task, self._thread
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(task.cancel)
        if thread is not None:
            thread.join(timeout)

    def wake(self, head: int) -> None:
        """The feed's head moved; callable from any thread (the notifier's listener).

        While the last look found no subscription at all, commits do not wake the dispatcher:
        its idle round (every ``IDLE`` seconds) notices a new subscription, and the writer does
        not pay a wake-up per commit for nothing."""
        if time.monotonic() < self._quiet_until:
            return
        loop, woken = self._loop, self._woken
        if loop is not None and woken is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(woken.set)

    async def run(self) -> None:
        self._loop, self._woken = asyncio.get_running_loop(), asyncio.Event()
        while True:
            self._woken.clear()
            try:
                worked = await self._round()
            except Exception:  # the database is away for a moment: leases expire, nothing is lost
                logger.warning("webhook dispatcher round failed", exc_info=True)
                worked = False
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._woken.wait(), IDLE)
                await asyncio.sleep(SETTLE)  # let a burst of commits gather before the next look

    async def _round(self) -> bool:
        rounds = await asyncio.to_thread(self._claim)
        if not rounds:
            return False
        results = await asyncio.gather(*(self._deliver(r) for r in rounds), return_exceptions=True)
        for round_, result in zip(rounds, results, strict=True):
            if isinstance(result, Exception):
                logger.warning("webhook %s: delivery round failed", round_.row.id, exc_info=result)
        await asyncio.to_thread(self._finish, rounds)
        return True

    async def close(self) -> None:
        await self._client.aclose()
        self._client = Client()

    def _claim(self) -> list[_Round]:
        now = _now()
        until = now + timedelta(seconds=self._settings.lease)
        with self._reads.connect() as conn:
            if not queries.any_subscription(conn):
                self._quiet_until = time.monotonic() + IDLE
                return []
            self._quiet_until = 0.0
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
        target: Target | None = None  # resolved and checked once per round, not per record
        for index, (seq, body) in enumerate(records):
            if time.monotonic() > budget:
                return
            started = time.perf_counter()
            try:
                target = target or await resolve(row.url, allow_private=self._settings.allow_private)
                code, error = await self._post(row, target, seq, body)
            except DomainError as exc:  # the host now resolves to a refused address, or not at all
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

    def _pending(self, position: int, components: list[str] | None) -> tuple[int, list[tuple[int, str]]]:
        """The head, then the records: read in this order, every record up to the head is committed
        (the feed is gapless), so a head past the last record is safe to move to."""
        with self._reads.connect() as conn:
            head = feed_queries.position(conn, feed_queries.HEAD)
            return head, queries.pending_changes(conn, position, components, BATCH)

    async def _post(
        self, row: queries.WebhookRow, target: Target, seq: int, body: str
    ) -> tuple[int | None, str | None]:
        """(status code, error) of one attempt, sent to the checked address; never raises for the receiver's faults."""
        try:
            async with asyncio.timeout(self._settings.timeout):
                url = httpx.URL(row.url)
                endpoint = Endpoint(
                    url.scheme, target.address, url.port or (443 if url.scheme == "https" else 80), target.host
                )
                headers = {"host": url.netloc.decode(), **signing.headers(row.secret, seq, body, datetime.now(UTC))}
                code = await self._client.post(row.id, endpoint, url.raw_path, headers, body.encode())
                error = None
        except TimeoutError:
            code, error = None, f"no answer within {self._settings.timeout:g} s"
        except (OSError, ResponseError) as exc:
            code, error = None, f"{type(exc).__name__}: {exc}"[:500]
        return code, error

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
