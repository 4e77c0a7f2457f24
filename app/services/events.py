"""Submitting events: stamp them, hand them to the writer, and wait for the commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Protocol

from sqlalchemy import Connection

from app.db.writer import Writer
from app.domain.engine import RulesEngine
from app.domain.ordering import to_utc
from app.observability.metrics import metrics
from app.services.commands import EventCommand, EventOutcome
from app.services.event_log import record_events


class EventLike(Protocol):
    type: str
    contract_number: str
    date: date
    created_at: datetime | None
    event_id: str | None


def to_commands(events: Sequence[EventLike], received_at: datetime) -> list[EventCommand]:
    """Commands in UTC. An event without ``created_at`` gets the receipt time plus its position
    in microseconds, so events of one request without times keep their order."""
    return [
        EventCommand(
            e.type,
            e.contract_number,
            e.date,
            to_utc(e.created_at) if e.created_at is not None else received_at + timedelta(microseconds=i),
            received_at,
            e.event_id,
        )
        for i, e in enumerate(events)
    ]


def preview_events(conn: Connection, commands: Sequence[EventCommand], *, engine: RulesEngine) -> list[EventOutcome]:
    """What recording would answer, against the stored history, with nothing kept."""
    with conn.begin_nested() as savepoint:
        outcomes = record_events(conn, commands, engine=engine)
        savepoint.rollback()
    return outcomes


class EventRecorder:
    """Hands events to the writer. Concurrent requests are judged and committed together."""

    def __init__(self, engine: RulesEngine, writer: Writer) -> None:
        self._writer = writer
        self._record = partial(record_events, engine=engine)
        self._preview = partial(preview_events, engine=engine)

    async def submit(self, events: Sequence[EventLike], *, dry_run: bool = False) -> list[EventOutcome]:
        commands = to_commands(events, datetime.now(UTC).replace(tzinfo=None))
        outcomes = await self._writer.run_batch(self._preview if dry_run else self._record, commands)
        if not dry_run:
            metrics().record_outcomes(outcomes)
        return outcomes
