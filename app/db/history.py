"""Reads of the event log as operators see it: history pages, and the log as known at an instant.

Rows are plain tuples read into ``HistoryRow`` by position: shaping 1,000 SQLAlchemy ``Row``s
took about three times as long. Each event comes with its revocation, if any (a left join on a
unique key), so that a page says which events no longer count, since when, and why.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from app.db.tables import component_amendments as amendments
from app.db.tables import events, revocations, rule_versions, verdict_changes


class HistoryRow(NamedTuple):
    id: int
    sort_key: str
    type: str
    component: str
    day: date
    created_at: datetime
    received_at: datetime
    event_id: str | None
    accepted: bool
    code: str
    message: str
    rules_version: str
    committed_at: datetime
    revoked: bool
    state_after: str
    start_after: date | None
    end_after: date | None
    dates_after: dict[str, str] | None
    revoked_at: datetime | None
    """The revocation's time of receipt."""
    revocation_reason: str | None
    revocation_committed_at: datetime | None


_COLUMNS = (
    *(events.c[name] for name in HistoryRow._fields[:18]),
    revocations.c.received_at,
    revocations.c.reason,
    revocations.c.committed_at,
)
_FROM = events.outerjoin(revocations, revocations.c.event_row_id == events.c.id)


def history_page(conn: Connection, contract_id: int, after: tuple[str, int] | None, limit: int) -> list[HistoryRow]:
    """Up to ``limit`` of the contract's stored events in (sort_key, id) order, after ``after``.

    Keyset paging rather than OFFSET: each page costs the same however deep the client has
    read, and an event inserted before the cursor (a late event) cannot shift a later page."""
    stmt = select(*_COLUMNS).select_from(_FROM).where(events.c.contract_id == contract_id)
    if after is not None:
        key, row_id = after
        stmt = stmt.where((events.c.sort_key > key) | ((events.c.sort_key == key) & (events.c.id > row_id)))
    rows = conn.execute(stmt.order_by(events.c.sort_key, events.c.id).limit(limit))
    return [HistoryRow._make(row) for row in rows]


def known_events(conn: Connection, contract_id: int, at: datetime) -> list[HistoryRow]:
    """Every event of the contract committed at or before ``at``, in (sort_key, id) order, with its
    revocation whenever committed (the caller decides whether it was known at ``at``)."""
    stmt = (
        select(*_COLUMNS)
        .select_from(_FROM)
        .where(events.c.contract_id == contract_id, events.c.committed_at <= at)
        .order_by(events.c.sort_key, events.c.id)
    )
    return [HistoryRow._make(row) for row in conn.execute(stmt)]


class MoveRow(NamedTuple):
    """What the timeline as known at an instant needs of an event: no texts, no times to parse."""

    component: str
    sort_key: str
    type: str
    day: date
    state_after: str
    start_after: date | None
    end_after: date | None
    dates_after: dict[str, str] | None
    created_at: datetime
    received_at: datetime
    revocation_committed_at: datetime | None


def known_moves(conn: Connection, contract_id: int, at: datetime) -> list[MoveRow]:
    """``known_events`` narrowed to what folding the timeline reads, in the same order."""
    stmt = (
        select(
            events.c.component,
            events.c.sort_key,
            events.c.type,
            events.c.day,
            events.c.state_after,
            events.c.start_after,
            events.c.end_after,
            events.c.dates_after,
            events.c.created_at,
            events.c.received_at,
            revocations.c.committed_at,
        )
        .select_from(_FROM)
        .where(events.c.contract_id == contract_id, events.c.committed_at <= at)
        .order_by(events.c.sort_key, events.c.id)
    )
    return [MoveRow._make(row) for row in conn.execute(stmt)]


def first_keys_changed_since(conn: Connection, contract_id: int, at: datetime) -> dict[str, str]:
    """Per component, the smallest ordering key of an event committed or revoked after ``at``.

    Below that key a component's stored events are exactly those known at ``at``, so their
    stored verdicts and timelines are the ones the service held then; only the rest is folded.
    An event that a re-evaluation (a backdated publish) changed after ``at`` counts too: its
    verdict changed after ``at``, or it is stored under a version published after ``at``."""
    stmt = (
        select(events.c.component, func.min(events.c.sort_key))
        .select_from(_FROM)
        .where(events.c.contract_id == contract_id, (events.c.committed_at > at) | (revocations.c.committed_at > at))
        .group_by(events.c.component)
    )
    found = {component: key for component, key in conn.execute(stmt)}  # noqa: C416
    flipped = (
        select(events.c.component, func.min(events.c.sort_key))
        .select_from(events.join(verdict_changes, verdict_changes.c.event_row_id == events.c.id))
        .where(events.c.contract_id == contract_id, verdict_changes.c.changed_at > at)
        .group_by(events.c.component)
    )
    # Stored under a version published after ``at`` (a backdated publish): not known at ``at`` either.
    published_later = (
        select(rule_versions.c.hash).group_by(rule_versions.c.hash).having(func.min(rule_versions.c.published_at) > at)
    )
    later_version = (
        select(events.c.component, func.min(events.c.sort_key))
        .where(events.c.contract_id == contract_id, events.c.rules_version.in_(published_later))
        .group_by(events.c.component)
    )
    for stmt in (flipped, later_version):
        for component, key in conn.execute(stmt):
            found[component] = min(key, found.get(component, key))
    return found


def components_known(conn: Connection, contract_id: int, at: datetime) -> list[str]:
    """The components the contract held at ``at``, in their order: those whose latest amendment
    committed at or before ``at`` is an addition."""
    stmt = (
        select(amendments.c.component, amendments.c.added, amendments.c.position)
        .where(amendments.c.contract_id == contract_id, amendments.c.committed_at <= at)
        .order_by(amendments.c.committed_at, amendments.c.id)
    )
    held: dict[str, int] = {}
    for component, added, position in conn.execute(stmt):
        if added:
            held[component] = position
        else:
            held.pop(component, None)
    return sorted(held, key=lambda name: held[name])


class VerdictChangeRow(NamedTuple):
    event_row_id: int
    changed_at: datetime
    accepted: bool
    code: str
    message: str


def latest_verdict_changes(
    conn: Connection, event_row_ids: list[int], at: datetime | None
) -> dict[int, VerdictChangeRow]:
    """Per event, its latest verdict change committed at or before ``at`` (any, without ``at``)."""
    if not event_row_ids:
        return {}
    vc = verdict_changes.c
    stmt = select(vc.event_row_id, vc.changed_at, vc.accepted, vc.code, vc.message).where(
        vc.event_row_id.in_(event_row_ids)
    )
    if at is not None:
        stmt = stmt.where(vc.changed_at <= at)
    latest: dict[int, VerdictChangeRow] = {}
    for row in conn.execute(stmt.order_by(vc.changed_at, vc.id)):
        latest[row.event_row_id] = VerdictChangeRow(*row)
    return latest
