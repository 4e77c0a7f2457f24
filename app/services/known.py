"""Time travel: a contract's timeline and history as the service knew them at an instant.

Every entry of the log carries its commit time (the writer's group time): events, revocations,
component amendments and the contract itself. ``as_known_at=T`` takes the entries committed at
or before T and folds them with the one replay loop: the stored state at any moment equals that
fold, so the answer is the one the plain endpoint gave at T. A revoked event keeps, frozen, the
verdict it had when it was revoked, so from its revocation on it shows its stored verdict.

Only part of the log is folded: below the smallest key of a component's events committed or
revoked after T, its stored events are exactly those known at T, so their stored verdicts and
timelines stand, and the fold starts from the last of them. A recent T thus costs one read of the
contract's events; a T before late corrections costs about 6 µs per event folded on top of it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from app.db import queries
from app.db.history import (
    HistoryRow,
    MoveRow,
    components_known,
    first_keys_changed_since,
    known_events,
    known_moves,
    latest_verdict_changes,
)
from app.domain.catalog import EngineAt
from app.domain.engine import RulesEngine
from app.domain.replay import ComponentReplay, Move, Outcome, replay_component
from app.domain.timeline import ComponentTimeline, Verdict
from app.services.contracts import not_found
from app.services.history_cursor import decode_cursor
from app.services.timelines import HistoryPage, TimelineView, page_of, recorded

__all__ = ["EngineAt", "known_history_page", "known_timeline"]


def _initial(engine: RulesEngine, stored_component: str) -> ComponentTimeline | None:
    """The initial timeline of a component stored as ``stored_component``; None if ``engine``
    neither defines nor maps it (then its stored timeline stands)."""
    component = engine.component_of(stored_component)
    return None if component is None else engine.initial(component)


class _Known:
    def __init__(self, conn: Connection, number: str, at: datetime, engine_at: EngineAt) -> None:
        contract = queries.contract_by_number(conn, number)
        if contract is None or contract.recorded_at > at:
            raise not_found(number)
        self.engine_at = engine_at
        self.engine = engine_at(at)
        self.components = components_known(conn, contract.id, at)
        self.rows = known_events(conn, contract.id, at)
        self.counting = [row.revocation_committed_at is None or row.revocation_committed_at > at for row in self.rows]
        changed_from = first_keys_changed_since(conn, contract.id, at)
        self.outcomes: list[Outcome | None] = [None] * len(self.rows)
        self.timelines: dict[str, ComponentTimeline] = {}
        tails: dict[str, list[int]] = {c: [] for c in self.components}
        for index, row in enumerate(self.rows):
            event_type = engine_at(row.created_at).event_type(row.type)  # the version in force for it
            if not self.counting[index] or row.component not in tails or event_type is None:
                continue
            if row.component in changed_from and row.sort_key >= changed_from[row.component]:
                tails[row.component].append(index)
            else:  # stored before any later entry touched it: what is stored is what was known
                after = queries.stored_timeline(row.state_after, row.start_after, row.end_after, row.dates_after)
                self.outcomes[index] = Outcome(Verdict(row.accepted, row.code, row.message), after, row.rules_version)
                self.timelines[row.component] = after
        for component, indexes in tails.items():
            if not indexes:
                continue
            before = self.timelines.get(component) or _initial(engine_at(self.rows[indexes[0]].created_at), component)
            if before is None:  # a component the version in force then does not know: stored verdicts stand
                continue
            moves = [_move(self.rows[i]) for i in indexes]
            result: ComponentReplay[None] = replay_component(self.engine_at, component, before, moves, ())
            for index, outcome in zip(indexes, result.new, strict=True):
                self.outcomes[index] = outcome
            self.timelines[component] = result.final or before


def known_timeline(conn: Connection, *, number: str, at: datetime, engine_at: EngineAt) -> TimelineView:
    """The fold of ``_Known`` without the verdicts: it reads only the columns a timeline needs, and
    below each component's first changed key it keeps only the last counting event's timeline."""
    contract = queries.contract_by_number(conn, number)
    if contract is None or contract.recorded_at > at:
        raise not_found(number)
    engine = engine_at(at)
    components = components_known(conn, contract.id, at)
    changed_from = first_keys_changed_since(conn, contract.id, at)
    stored: dict[str, ComponentTimeline] = {}
    tails: dict[str, list[Move]] = {c: [] for c in components}
    for row in known_moves(conn, contract.id, at):
        revoked_at = row.revocation_committed_at
        if (revoked_at is not None and revoked_at <= at) or row.component not in tails:
            continue
        if engine_at(row.created_at).event_type(row.type) is None:
            continue
        first_changed = changed_from.get(row.component)
        if first_changed is not None and row.sort_key >= first_changed:
            tails[row.component].append(_move(row))
        else:
            stored[row.component] = queries.stored_timeline(
                row.state_after, row.start_after, row.end_after, row.dates_after
            )
    timelines: dict[str, ComponentTimeline] = {}
    for component, moves in tails.items():
        before = stored.get(component) or _initial(engine_at(moves[0].created_at if moves else at), component)
        if before is None:  # a component the version in force then does not know: as stored now
            before = _stored_now(conn, contract.id, component)
        elif moves:
            result: ComponentReplay[None] = replay_component(engine_at, component, before, moves, ())
            before = result.final or before
        name, shown = engine.shown(component, before)
        timelines[name] = shown
    return TimelineView(number, timelines)


def _stored_now(conn: Connection, contract_id: int, component: str) -> ComponentTimeline:
    row = next(r for r in queries.timeline_rows(conn, contract_id) if r.component == component)
    return queries.stored_timeline(row.state, row.start_date, row.end_date, row.dates)


def known_history_page(
    conn: Connection, *, number: str, at: datetime, after: str | None, limit: int, engine_at: EngineAt
) -> HistoryPage:
    position = None if after is None else decode_cursor(after, number)
    known = _Known(conn, number, at, engine_at)
    chosen: list[int] = [i for i, row in enumerate(known.rows) if position is None or _after(row, position)][
        : limit + 1
    ]
    page = chosen[:limit]
    events = []
    changes = latest_verdict_changes(conn, [known.rows[index].id for index in page], at)
    for index in page:
        row, outcome = known.rows[index], known.outcomes[index]
        change = changes.get(row.id)
        if outcome is None:
            events.append(recorded(row, known.engine, revoked=not known.counting[index], change=change))
        else:
            events.append(
                recorded(
                    row,
                    known.engine,
                    verdict=outcome.verdict,
                    rules_version=outcome.version,  # the version in force at its created_at
                    revoked=False,
                    change=change,
                    after=outcome.after,
                )
            )
    rows: list[HistoryRow] = [known.rows[i] for i in page]
    return page_of(number, events, rows, more=len(chosen) > limit)


def _after(row: HistoryRow, position: tuple[str, int]) -> bool:
    key, row_id = position
    return row.sort_key > key or (row.sort_key == key and row.id > row_id)


def _move(row: HistoryRow | MoveRow) -> Move:
    return Move(row.sort_key, row.type, row.day, row.created_at, row.received_at)
