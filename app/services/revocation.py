"""Revoking one stored event: its component replays as if the event had never been sent.

A revocation is an entry of the log (table ``revocations``, with its time of receipt and its
commit time); the revoked event stays in the log, marked, with the verdict it had when it was
revoked, and no longer counts: replays, re-evaluation and ``as_known_at`` after the revocation
skip it. The replay is the one replay loop (domain/replay.py), started from the timeline before
the revoked event with no new events, so it stops as soon as the recomputed timeline meets the
stored one again, exactly as a late event's replay does.

Judge first, then write, as for events: a refused revocation writes nothing, and judging without
writing is the dry run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine

from app.db import queries
from app.db import revocations as store
from app.db.reader import Reader
from app.db.writer import Writer, group_time
from app.domain.catalog import EngineAt
from app.domain.errors import NotFound
from app.domain.replay import replay_component
from app.domain.timeline import ComponentTimeline
from app.feed import outbox
from app.feed.changes import Cause, Flip, component_change
from app.services.commands import ChangedEvent
from app.services.event_log import changed_event, recorded_of, update_row
from app.services.events import snapshot
from app.services.history_cursor import event_public_id, event_row_id

REVOCATION_ID_PREFIX = "rv_"


@dataclass(frozen=True, slots=True)
class RevokeTarget:
    """The event to revoke: by the service's row id, or by the client's ``event_id`` on a contract."""

    contract_number: str
    row_id: int | None = None
    event_id: str | None = None
    reason: str | None = None
    received_at: datetime | None = None


@dataclass(slots=True)
class ComponentChange:
    """What a correction did to one component: its timeline before and after, and every verdict it
    flipped (event ids, previous and current verdicts). The change feed publishes exactly this."""

    component: str
    before: ComponentTimeline
    after: ComponentTimeline
    flipped: list[ChangedEvent] = field(default_factory=list)


@dataclass(slots=True)
class RevocationOutcome:
    event: str
    """The revoked event's public id."""
    contract_number: str
    event_id: str | None
    revocation_id: str | None
    """``None`` in a dry run."""
    revoked_at: datetime
    """The revocation's time of receipt (the stored one for a repeat)."""
    reason: str | None
    duplicate: bool
    change: ComponentChange


@dataclass(slots=True)
class _Plan:
    outcome: RevocationOutcome
    contract_id: int
    row_id: int
    updates: list[dict[str, Any]]
    projection: dict[str, Any] | None

    def store(self, conn: Connection, received_at: datetime) -> None:
        revocation_id = store.insert_revocation(
            conn,
            contract_id=self.contract_id,
            event_row_id=self.row_id,
            reason=self.outcome.reason,
            received_at=received_at,
            committed_at=group_time(conn),
        )
        self.outcome.revocation_id = f"{REVOCATION_ID_PREFIX}{revocation_id}"
        queries.update_events(conn, self.updates, changed_at=group_time(conn))
        if self.projection is not None:
            queries.update_components(conn, [self.projection])
        change = self.outcome.change
        published = component_change(
            self.outcome.contract_number,
            change.component,
            change.before,
            change.after,
            cause=Cause("revocation", self.outcome.revocation_id),
            flips=[Flip(c.id, c.previous, c.current) for c in change.flipped],
        )
        outbox.record(conn, [published] if published else [])


def event_not_found(what: str) -> NotFound:
    return NotFound(f"Event {what} not found.", "event_not_found")


def revoke(conn: Connection, *, target: RevokeTarget, engine: EngineAt) -> RevocationOutcome:
    """Judge and store the revocation (the writer commits)."""
    plan = judge_revocation(conn, target=target, engine=engine, lock=True)
    if not plan.outcome.duplicate:
        assert target.received_at is not None
        plan.store(conn, target.received_at)
    return plan.outcome


def judge_revocation(conn: Connection, *, target: RevokeTarget, engine: EngineAt, lock: bool) -> _Plan:
    """The revocation's answer and the rows storing it would write; writes nothing."""
    number = target.contract_number
    ids, components = queries.contracts_with_components(conn, [number], lock=lock)
    cid = ids.get(number)
    stored = None
    if cid is not None and target.row_id is not None:
        stored = store.event_by_row_id(conn, cid, target.row_id)
    elif cid is not None and target.event_id is not None:
        stored = queries.event_by_client_id(conn, cid, target.event_id)
    if cid is None or stored is None:
        if target.row_id is not None:
            raise event_not_found(event_public_id(target.row_id))
        raise event_not_found(f"with event_id '{target.event_id}' of contract {number}")
    row = components.get((cid, stored.component))
    current = row.timeline if row is not None else engine(stored.created_at).initial(stored.component)
    public_id = event_public_id(stored.id)
    if stored.revoked:
        earlier = store.revocation_of(conn, stored.id)
        assert earlier is not None
        outcome = RevocationOutcome(
            public_id,
            number,
            stored.event_id,
            f"{REVOCATION_ID_PREFIX}{earlier.id}",
            earlier.received_at,
            earlier.reason,
            True,
            ComponentChange(stored.component, current, current),
        )
        return _Plan(outcome, cid, stored.id, [], None)
    component = stored.component
    before = queries.timeline_before(conn, cid, component, stored.sort_key) or engine(stored.created_at).initial(
        component
    )
    later = (recorded_of(s) for s in queries.events_after(conn, cid, component, stored.sort_key))
    result = replay_component(engine, component, before, [], later, stored_before=stored.after())
    updates, flipped = [], []
    for record, replayed in result.rewritten:
        updates.append(update_row(record, replayed))
        if replayed.verdict != record.verdict:
            flipped.append(changed_event(record.ref, record.verdict, replayed.verdict))
    projection = None
    after = current
    if result.final is not None and row is not None:
        after = result.final
        projection = {
            "b_contract_id": cid,
            "b_component": component,
            "state": after.state,
            "start_date": after.start,
            "end_date": after.end,
            "dates": queries.dates_json(after),
            "last_key": row.last_key,
        }
    received_at = target.received_at or group_time(conn)
    outcome = RevocationOutcome(
        public_id,
        number,
        stored.event_id,
        None,
        received_at,
        target.reason,
        False,
        ComponentChange(component, current, after, flipped),
    )
    return _Plan(outcome, cid, stored.id, updates, projection)


async def submit_revocation(
    *, writer: Writer, reader: Reader, reads: Engine, engine: EngineAt, target: RevokeTarget, dry_run: bool
) -> RevocationOutcome:
    """Revoke through the writer (serialised with every write, the contract locked), or preview it
    on a snapshot of the committed state, as dry-run events are."""
    target = replace(target, received_at=datetime.now(UTC).replace(tzinfo=None))
    if dry_run:
        return await asyncio.to_thread(_preview, reads, target, engine)
    return await writer.run(partial(revoke, target=target, engine=engine), locks=[target.contract_number])


async def contract_of_event(reader: Reader, public_id: str) -> tuple[str, int]:
    """The number of the contract holding the event ``public_id`` names, and its row id; 404 when none does."""
    row_id = event_row_id(public_id)
    number = None if row_id is None else await reader.run(partial(store.contract_of_event_row, row_id=row_id))
    if number is None or row_id is None:
        raise event_not_found(public_id)
    return number, row_id


def _preview(reads: Engine, target: RevokeTarget, engine: EngineAt) -> RevocationOutcome:
    with snapshot(reads) as conn:
        return judge_revocation(conn, target=target, engine=engine, lock=False).outcome
