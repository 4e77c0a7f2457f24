"""Submitting events: stamp them, hand each request to the writer, and wait for its commit.

Dry runs never enter the writer: they judge the request against a snapshot of the committed
state on a connection of their own, so they cannot see, or be seen by, another request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Protocol

from sqlalchemy import Connection, Engine

from app.domain.catalog import Catalog, EngineAt
from app.domain.errors import Invalid
from app.domain.ordering import created_or_received
from app.domain.replay import MAX_REJUDGE
from app.observability.metrics import metrics
from app.services.commands import EventCommand, EventOutcome
from app.services.event_log import judge_events
from app.services.event_writer import EventStore


class EventLike(Protocol):
    type: str
    contract_number: str
    date: date
    created_at: datetime | None
    event_id: str | None


def to_commands(
    events: Sequence[EventLike], received_at: datetime, *, max_future_skew: timedelta | None = None, batch: bool = False
) -> list[EventCommand]:
    """Commands in naive UTC. An event without ``created_at`` gets the receipt time plus its
    position in microseconds, so events of one request without times keep their order.

    A ``created_at`` later than receipt plus ``max_future_skew`` is refused: stored, it would
    make every event sent before that moment a late event, judged before it."""
    commands = []
    for i, e in enumerate(events):
        given = e.created_at is not None
        created_at = created_or_received(e.created_at, received_at, i)
        if max_future_skew is not None and created_at > received_at + max_future_skew:
            where = f"events[{i}].created_at" if batch else "created_at"
            raise Invalid(
                f"{where} {created_at.isoformat()}Z is more than {max_future_skew} after the time of receipt "
                f"({received_at.isoformat(timespec='seconds')}Z); nothing was stored.",
                "created_at_in_future",
            )
        commands.append(
            EventCommand(e.type, e.contract_number, e.date, created_at, received_at, e.event_id, created_at_given=given)
        )
    return commands


def preview_events(
    engine: Engine, commands: Sequence[EventCommand], *, rules: EngineAt, batch: bool, max_rejudge: int | None
) -> list[EventOutcome]:
    """What recording would answer now, judged on one snapshot of the committed state; stores nothing."""
    with snapshot(engine) as conn:
        return judge_events(conn, commands, rules=rules, lock=False, batch=batch, max_rejudge=max_rejudge).outcomes


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection of its own reading one snapshot of the committed state: what dry runs judge against."""
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        yield conn


class EventRecorder:
    """Hands each request to the event store (app/services/event_writer.py), whose writer
    commits concurrent requests together.

    ``catalog`` gives the catalog of rule versions current when a request arrives; it changes
    when a running service picks up a newly published version (``RulesWatcher``)."""

    def __init__(
        self,
        catalog: Callable[[], Catalog],
        store: EventStore,
        reads: Engine,
        *,
        max_future_skew: timedelta | None = None,
        max_rejudge: int | None = MAX_REJUDGE,
    ) -> None:
        self._catalog, self._store, self._reads = catalog, store, reads
        self._max_future_skew, self._max_rejudge = max_future_skew, max_rejudge

    @property
    def store(self) -> EventStore:
        return self._store

    async def submit(
        self, events: Sequence[EventLike], *, dry_run: bool = False, batch: bool = False
    ) -> list[EventOutcome]:
        """Outcomes in input order; ``batch`` says the events came as a list (messages name the index)."""
        received_at = datetime.now(UTC).replace(tzinfo=None)
        commands = to_commands(events, received_at, max_future_skew=self._max_future_skew, batch=batch)
        if dry_run:
            preview = partial(
                preview_events,
                self._reads,
                commands,
                rules=self._catalog().engine_at,
                batch=batch,
                max_rejudge=self._max_rejudge,
            )
            return await asyncio.to_thread(preview)
        outcomes = await self._store.record(commands, batch=batch)
        metrics().record_outcomes(outcomes)
        return outcomes
