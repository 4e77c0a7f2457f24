"""Reads for operators: a contract's timeline and its event history. Reads never replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import Connection

from app.db import queries
from app.domain.timeline import ComponentTimeline
from app.services.contracts import not_found


@dataclass(frozen=True, slots=True)
class TimelineView:
    contract_number: str
    components: dict[str, ComponentTimeline]


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    type: str
    component: str
    date: date
    created_at: datetime
    received_at: datetime
    event_id: str | None
    status: Literal["accepted", "rejected"]
    code: str
    message: str
    rules_version: str


def get_timeline(conn: Connection, *, number: str) -> TimelineView:
    rows = queries.timeline_by_number(conn, number)
    if not rows:  # every contract holds at least one component
        raise not_found(number)
    return TimelineView(number, dict(rows))


def get_history(conn: Connection, *, number: str) -> list[RecordedEvent]:
    row = queries.contract_by_number(conn, number)
    if row is None:
        raise not_found(number)
    return [
        RecordedEvent(
            e.type,
            e.component,
            e.day,
            e.created_at,
            e.received_at,
            e.event_id,
            "accepted" if e.accepted else "rejected",
            e.code,
            e.message,
            e.rules_version,
        )
        for e in queries.contract_events(conn, row.id)
    ]
