"""Recording events: judge one request's events, then keep log and projection in step.

A request is judged as a whole before anything is written: its events are checked and
grouped per component, each component replays once (domain/replay.py) from the stored
timeline just before its earliest new event, and only then are rows inserted and rewritten.
A request refused as a whole (an ``event_id`` reused with other content) therefore writes
nothing, which is what lets the writer run many requests in one transaction without a
savepoint each. Judging without writing is also the dry run: the same code, no lock, no rows.

Storing a judgement also records its changes for the feed (app/feed/outbox.py): one per
component whose timeline changed or whose earlier verdicts flipped, caused by the component's
earliest new event, whose id is known only once its row is inserted.

Judging reads, and storing writes, through ``PendingEvents`` (pending_events.py): in the writer,
the one that all event requests of a group share, so that the group's rows are written together
while each request is still judged against what the requests before it wrote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from app.db import queries
from app.db.writer import group_buffer
from app.domain.catalog import EngineAt
from app.domain.engine import RulesEngine
from app.domain.errors import (
    component_not_in_contract,
    contract_not_found,
    rejudge_limit_exceeded,
    unsupported_event_type,
)
from app.domain.ordering import sort_key
from app.domain.replay import MAX_REJUDGE, Move, Outcome, Recorded, RejudgeLimitReached, replay_component
from app.domain.timeline import ComponentTimeline, Verdict
from app.feed.changes import Flip
from app.services.commands import ChangedEvent, EventCommand, EventOutcome
from app.services.history_cursor import event_public_id
from app.services.idempotency import ClientIds, Item
from app.services.pending_events import ComponentEffect, Judgement, PendingEvents

CHANGED_LIMIT = 100
"""Most changed verdicts listed in one answer; ``changed_total`` gives the full count."""


def record_events(
    conn: Connection,
    commands: Sequence[EventCommand],
    *,
    rules: EngineAt,
    batch: bool = False,
    max_rejudge: int | None = MAX_REJUDGE,
) -> list[EventOutcome]:
    """Judge and store one request's ``commands``; outcomes in input order. The writer commits.

    In a writer group the rows join the group's ``PendingEvents``, written with the group (queue
    the work with ``buffered=True``); elsewhere they are written before this returns."""
    group = group_buffer(conn, PendingEvents.of_group)
    pending = group or PendingEvents(conn, lock=True)
    judgement = judge_events(
        conn, commands, rules=rules, lock=True, batch=batch, pending=pending, max_rejudge=max_rejudge
    )
    pending.add(judgement)
    if group is None:
        pending.flush()
    return judgement.outcomes


def judge_events(
    conn: Connection,
    commands: Sequence[EventCommand],
    *,
    rules: EngineAt,
    lock: bool,
    batch: bool = False,
    pending: PendingEvents | None = None,
    max_rejudge: int | None = MAX_REJUDGE,
) -> Judgement:
    """Answers for ``commands`` against the stored history (and the rows ``pending`` holds), and
    the rows to write; writes nothing of its own.

    ``rules`` chooses the rule version for an event from its ``created_at``: the version in force
    then says whether its type exists and which component it acts on. A component whose replay
    would judge more than ``max_rejudge`` stored events again refuses the whole request (409
    ``rejudge_limit_exceeded``); ``None`` sets no limit."""
    pending = pending or PendingEvents(conn, lock=lock)
    ids, components = pending.contracts({c.contract_number for c in commands})
    outcomes: list[EventOutcome | None] = [None] * len(commands)
    client_ids = ClientIds(pending, batch=batch)
    groups: dict[tuple[int, str], list[Item]] = defaultdict(list)
    for index, command in enumerate(commands):
        engine = rules(command.created_at)
        event_type = engine.event_type(command.type)
        cid = ids.get(command.contract_number)
        held = None
        if event_type is not None and cid is not None:  # a contract may hold the component by an older name
            held = next((n for n in engine.stored_names(event_type.component) if (cid, n) in components), None)
        if event_type is None:
            outcomes[index] = EventOutcome(unsupported_event_type(command.type, engine.rulebook.event_types))
        elif cid is None:
            outcomes[index] = EventOutcome(contract_not_found(command.contract_number))
        elif held is None:
            outcomes[index] = EventOutcome(component_not_in_contract(event_type.component))
        else:
            key = sort_key(command.created_at, event_type.rank, command.day, command.type)
            item = Item(index, cid, command, event_type, key)
            groups[(cid, held)].append(client_ids.resolve(item))
    judgement = Judgement([])
    for (cid, component), items in groups.items():
        row = components[(cid, component)]
        if row.last_key is not None and min(i.key for i in items) <= row.last_key:
            pending.readable(cid, component)  # a repeated key or a late event reads stored events
        judge = _ComponentJudge(conn, rules, judgement, outcomes, max_rejudge=max_rejudge, batch=batch)
        judge.run(cid, component, row, items)
    judgement.outcomes = [o for o in outcomes if o is not None]
    return judgement


class _ComponentJudge:
    """One component of one request: find repeats, replay once, build answers and rows."""

    def __init__(
        self,
        conn: Connection,
        rules: EngineAt,
        judgement: Judgement,
        outcomes: list[EventOutcome | None],
        *,
        max_rejudge: int | None,
        batch: bool,
    ) -> None:
        self.conn, self.rules, self.judgement, self.outcomes = conn, rules, judgement, outcomes
        self.max_rejudge, self.batch = max_rejudge, batch

    def run(self, cid: int, component: str, row: queries.ComponentRow, items: list[Item]) -> None:
        new: dict[str, Item] = {}
        repeats: list[Item] = []
        stored_repeats: dict[str, queries.StoredEvent] = {}
        for item in sorted(items, key=lambda i: (i.key, i.index)):
            if item.key in new or item.key in stored_repeats:
                repeats.append(item)
                continue
            stored = None
            if row.last_key is not None and item.key <= row.last_key:
                stored = queries.event_by_key(self.conn, cid, component, item.key)
            if stored is None:
                new[item.key] = item
            else:
                stored_repeats[item.key] = stored
                repeats.append(item)
        current: dict[str, tuple[Verdict, Any]] = {
            key: (_verdict_of(s), s.created_at) for key, s in stored_repeats.items()
        }
        if new:
            self._replay(cid, component, row, list(new.values()), current)
        unnumbered = self.judgement.unnumbered.setdefault((cid, component), [])
        for item in repeats:
            verdict, created_at = current[item.key]
            answer = self.outcomes[item.index] = EventOutcome(verdict, created_at, duplicate=True)
            if item.key in stored_repeats:
                answer.id = event_public_id(stored_repeats[item.key].id)
            else:
                unnumbered.append((item.key, answer))

    def _replay(
        self,
        cid: int,
        component: str,
        row: queries.ComponentRow,
        new: list[Item],
        current: dict[str, tuple[Verdict, Any]],
    ) -> None:
        first_key = new[0].key
        late = row.last_key is not None and first_key < row.last_key
        before = row.timeline
        stored: Any = ()
        if late:
            before = queries.timeline_before(self.conn, cid, component, first_key) or _initial(
                self.rules(new[0].command.created_at), component
            )
            stored = (recorded_of(s) for s in queries.events_after(self.conn, cid, component, first_key))
        moves = [Move(i.key, i.command.type, i.command.day, i.command.created_at, i.command.received_at) for i in new]
        reached: int | None = None
        try:
            result = replay_component(self.rules, component, before, moves, stored, limit=self.max_rejudge)
        except RejudgeLimitReached as exc:
            reached = exc.limit
        if reached is not None:
            # Raised outside the handler: as its context, the replay's exception kept the replay's
            # frames and the records judged so far in reference cycles, which only the garbage
            # collector freed, in pauses of 100-300 ms under a client looping such refusals.
            where = f"events[{new[0].index}]: " if self.batch else ""
            raise rejudge_limit_exceeded(where, new[0].command.contract_number, component, reached)
        changed: list[ChangedEvent] = []  # the first CHANGED_LIMIT of the flips, for the answer
        flips: list[Flip] = []
        updates = self.judgement.updates
        for record, outcome in result.rewritten:
            s = record.ref
            current[s.sort_key] = (outcome.verdict, s.created_at)
            updates.append(update_row(record, outcome))
            if outcome.verdict != record.verdict:
                if len(changed) < CHANGED_LIMIT:
                    changed.append(changed_event(s, record.verdict, outcome.verdict))
                flips.append(Flip(event_public_id(s.id), record.verdict, outcome.verdict))
        for position, (item, outcome) in enumerate(zip(new, result.new, strict=True)):
            answer = EventOutcome(outcome.verdict, item.command.created_at)
            self.judgement.unnumbered.setdefault((cid, component), []).append((item.key, answer))
            if position == 0:
                answer.replayed = result.rejudged
                answer.changed, answer.changed_total = changed, len(flips)
            self.outcomes[item.index] = answer
            current[item.key] = (outcome.verdict, item.command.created_at)
            self.judgement.inserts.append(
                _insert(cid, component, item, outcome.verdict, outcome.after, version=outcome.version)
            )
        last_key = max(new[-1].key, row.last_key or "")
        final = result.final or row.timeline
        if final != row.timeline or flips:
            number = new[0].command.contract_number
            effect = ComponentEffect(cid, number, component, first_key, late, row.timeline, final, tuple(flips))
            self.judgement.effects.append(effect)
        if result.final is not None or last_key != row.last_key:
            self.judgement.projection[(cid, component)] = queries.ComponentRow(final, last_key)


def _initial(engine: RulesEngine, stored_component: str) -> ComponentTimeline:
    return engine.initial(engine.component_of(stored_component) or stored_component)


def changed_event(stored: queries.StoredEvent, previous: Verdict, current: Verdict) -> ChangedEvent:
    return ChangedEvent(
        event_public_id(stored.id), stored.type, stored.day, stored.created_at, stored.event_id, previous, current
    )


def recorded_of(stored: queries.StoredEvent) -> Recorded[queries.StoredEvent]:
    """A stored event as the replay loop takes it."""
    return Recorded(
        Move(stored.sort_key, stored.type, stored.day, stored.created_at, stored.received_at),
        _verdict_of(stored),
        stored.after(),
        stored.rules_version,
        stored,
    )


def _verdict_of(stored: queries.StoredEvent) -> Verdict:
    return Verdict(stored.accepted, stored.code, stored.message)


def update_row(record: Recorded[queries.StoredEvent], outcome: Outcome) -> dict[str, Any]:
    """The rewrite of a re-judged stored event."""
    return queries.event_update(record.ref.id, record.verdict, outcome.verdict, outcome.after, outcome.version)


def _insert(
    cid: int, component: str, item: Item, verdict: Verdict, after: ComponentTimeline, *, version: str
) -> dict[str, Any]:
    c = item.command
    return {
        "contract_id": cid,
        "component": component,
        "type": c.type,
        "day": c.day,
        "created_at": c.created_at,
        "sort_key": item.key,
        "event_id": c.event_id,
        "received_at": c.received_at,
        "accepted": verdict.accepted,
        "code": verdict.code,
        "message": verdict.message,
        "rules_version": version,
        "state_after": after.state,
        "start_after": after.start,
        "end_after": after.end,
        "revoked": False,
        "dates_after": queries.dates_json(after),
    }
