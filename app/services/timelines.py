"""Reads for operators: a contract's timeline and its event history. Reads never replay.

The history is read a page at a time: a contract's history grows without bound, and one read
of all of it held the event loop (SQLite reads run there) for 90 to 167 ms at 10,000 events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import Connection

from app.db import queries
from app.db.history import HistoryRow, VerdictChangeRow, history_page, latest_verdict_changes
from app.domain.engine import RulesEngine
from app.domain.timeline import ComponentTimeline, Verdict
from app.services.contracts import not_found
from app.services.history_cursor import decode_cursor, encode_cursor, event_public_id

Day = date
"""``date`` under a name that no field shadows."""


@dataclass(frozen=True, slots=True)
class TimelineView:
    contract_number: str
    components: dict[str, ComponentTimeline]


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    id: str
    type: str
    component: str
    date: date
    created_at: datetime
    received_at: datetime
    committed_at: datetime
    event_id: str | None
    status: Literal["accepted", "rejected"]
    code: str
    message: str
    rules_version: str
    revoked: bool
    revoked_at: datetime | None
    revocation_reason: str | None
    state_after: str
    dates_after: dict[str, Day | None]
    previous: PreviousVerdict | None = None
    """The verdict before its latest change by a late event, revocation or re-evaluation."""


@dataclass(frozen=True, slots=True)
class PreviousVerdict:
    status: Literal["accepted", "rejected"]
    code: str
    message: str
    changed_at: datetime


def get_timeline(conn: Connection, *, number: str, engine: RulesEngine) -> TimelineView:
    """The stored timelines, each component and state under the names of ``engine`` (the version
    in force): stored rows keep the names they were written with, a rename shows at once."""
    rows = queries.timeline_by_number(conn, number)
    if not rows:  # every contract holds at least one component
        raise not_found(number)
    return TimelineView(number, dict(engine.shown(component, timeline) for component, timeline in rows))


@dataclass(frozen=True, slots=True)
class HistoryPage:
    events: list[RecordedEvent]
    next: str | None
    """The cursor of the following page; None when this page holds the last stored event."""


def get_history_page(
    conn: Connection, *, number: str, after: str | None, limit: int, engine: RulesEngine
) -> HistoryPage:
    """Up to ``limit`` stored events in ``created_at`` order, after the position ``after`` names.

    One row more than asked for is read: it says whether a next page exists, so the last page
    says ``next: null`` itself instead of costing the client one more, empty, request."""
    position = None if after is None else decode_cursor(after, number)
    contract = queries.contract_by_number(conn, number)
    if contract is None:
        raise not_found(number)
    rows = history_page(conn, contract.id, position, limit + 1)
    changes = latest_verdict_changes(conn, [row.id for row in rows[:limit]], None)
    events = [recorded(row, engine, change=changes.get(row.id)) for row in rows[:limit]]
    return page_of(number, events, rows[:limit], more=len(rows) > limit)


def page_of(number: str, events: list[RecordedEvent], rows: list[HistoryRow], *, more: bool) -> HistoryPage:
    last_id, last_key = (rows[-1].id, rows[-1].sort_key) if rows else (0, "")
    return HistoryPage(events, encode_cursor(number, last_key, last_id) if more else None)


def recorded(
    row: HistoryRow,
    engine: RulesEngine,
    *,
    verdict: Verdict | None = None,
    rules_version: str | None = None,
    revoked: bool | None = None,
    change: VerdictChangeRow | None = None,
    after: ComponentTimeline | None = None,
) -> RecordedEvent:
    """A row as the history shows it; ``verdict``, ``rules_version`` and ``revoked`` replace the
    stored ones when the history is read as known at an earlier instant. ``change`` is the
    event's latest verdict change known at the instant read for: the verdict it replaced.

    The component is named as ``engine`` (the version in force) names it; the event's type and
    ``state_after`` stay as the version that judged it wrote them (see ``rules_version``)."""
    accepted, code, message = (
        (row.accepted, row.code, row.message) if verdict is None else (verdict.accepted, verdict.code, verdict.message)
    )
    is_revoked = row.revoked if revoked is None else revoked
    stored = queries.stored_timeline(row.state_after, row.start_after, row.end_after, row.dates_after)
    return RecordedEvent(
        event_public_id(row.id),
        row.type,
        engine.shown_component(row.component),
        row.day,
        row.created_at,
        row.received_at,
        row.committed_at,
        row.event_id,
        "accepted" if accepted else "rejected",
        code,
        message,
        rules_version or row.rules_version,
        is_revoked,
        row.revoked_at if is_revoked else None,
        row.revocation_reason if is_revoked else None,
        (after or stored).state,
        (after or stored).dates(),
        None
        if change is None
        else PreviousVerdict(
            "accepted" if change.accepted else "rejected", change.code, change.message, change.changed_at
        ),
    )
