"""Every statement the service runs, in one place. Functions take an open connection.

The statements on the path of every event and timeline read are ``Prepared`` (see prepared.py);
the rest go through SQLAlchemy's ``Connection`` as usual.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, bindparam, delete, false, func, insert, select, update

from app.db.prepared import InsertMany, Prepared, Sized
from app.db.tables import component_amendments, contracts, events, revocations, verdict_changes
from app.db.tables import contract_components as cc
from app.db.tables import rule_versions as rv
from app.domain.timeline import ComponentTimeline, Verdict


def dates_json(timeline: ComponentTimeline) -> dict[str, str] | None:
    """The timeline's declared dates beyond start and end, as stored; None when it has none."""
    return {name: day.isoformat() for name, day in timeline.others} or None


def _others(stored: dict[str, str] | None) -> tuple[tuple[str, date], ...]:
    return tuple(sorted((name, date.fromisoformat(day)) for name, day in stored.items())) if stored else ()


def stored_timeline(
    state: str, start: date | None, end: date | None, dates: dict[str, str] | None
) -> ComponentTimeline:
    return ComponentTimeline(state, start, end, _others(dates))


@dataclass(slots=True)
class ComponentRow:
    timeline: ComponentTimeline
    last_key: str | None


# --- contracts ---------------------------------------------------------------------------------


def lock_contracts(conn: Connection, numbers: Collection[str]) -> dict[str, int]:
    """Ids of the contracts that exist, locked for this transaction in a fixed order (no deadlocks)."""
    if not numbers:
        return {}
    stmt = (
        select(contracts.c.number, contracts.c.id)
        .where(contracts.c.number.in_(sorted(numbers)))
        .order_by(contracts.c.number)
        .with_for_update()
    )
    return {row.number: row.id for row in conn.execute(stmt)}


def contract_by_number(conn: Connection, number: str) -> Row[Any] | None:
    return conn.execute(select(contracts).where(contracts.c.number == number)).first()


def insert_contract(
    conn: Connection,
    number: str,
    created_at: Any,
    components: Sequence[str],
    initial_states: Mapping[str, str],
    *,
    recorded_at: datetime | None = None,
) -> int:
    """The contract, its components' projection rows and one amendment per component (its addition).

    ``recorded_at`` is the commit time (the writer's group time); by default, now."""
    recorded_at = recorded_at or datetime.now(UTC).replace(tzinfo=None)
    cid: int = conn.execute(
        insert(contracts)
        .values(number=number, created_at=created_at, recorded_at=recorded_at)
        .returning(contracts.c.id)
    ).scalar_one()
    conn.execute(
        insert(cc),
        [
            {
                "contract_id": cid,
                "contract_number": number,
                "component": name,
                "position": pos,
                "state": initial_states[name],
                "start_date": None,
                "end_date": None,
                "dates": None,
                "last_key": None,
            }
            for pos, name in enumerate(components)
        ],
    )
    conn.execute(
        insert(component_amendments),
        [
            {"contract_id": cid, "component": name, "added": True, "position": pos, "committed_at": recorded_at}
            for pos, name in enumerate(components)
        ],
    )
    return cid


def delete_contract(conn: Connection, contract_id: int) -> None:
    """Deletion erases the contract's whole log: its revocations and amendments too."""
    conn.execute(delete(revocations).where(revocations.c.contract_id == contract_id))
    conn.execute(delete(component_amendments).where(component_amendments.c.contract_id == contract_id))
    of_contract = select(events.c.id).where(events.c.contract_id == contract_id)
    conn.execute(delete(verdict_changes).where(verdict_changes.c.event_row_id.in_(of_contract)))
    conn.execute(delete(events).where(events.c.contract_id == contract_id))
    conn.execute(delete(cc).where(cc.c.contract_id == contract_id))
    conn.execute(delete(contracts).where(contracts.c.id == contract_id))


def contract_ids(conn: Connection) -> list[tuple[int, str]]:
    return [
        (cid, number)
        for cid, number in conn.execute(select(contracts.c.id, contracts.c.number).order_by(contracts.c.id))
    ]


# --- components (the projection) ----------------------------------------------------------------


def _numbers_in(n: int) -> list[Any]:
    return [bindparam(f"n{i}") for i in range(n)]


_lock_numbers = Sized(
    lambda n: (
        select(contracts.c.number, contracts.c.id)
        .where(contracts.c.number.in_(_numbers_in(n)))
        .order_by(contracts.c.number)
        .with_for_update()
    )
)
_components_of_numbers = Sized(
    lambda n: (
        select(contracts.c.number, cc.c.contract_id, cc.c.component, cc.c.state)
        .add_columns(cc.c.start_date, cc.c.end_date, cc.c.dates, cc.c.last_key)
        .join(contracts, contracts.c.id == cc.c.contract_id)
        .where(contracts.c.number.in_(_numbers_in(n)))
    )
)


def _rows_for_numbers(conn: Connection, statements: Sized, numbers: list[str]) -> Iterator[tuple[Any, ...]]:
    """``statements`` run over ``numbers`` (sorted), a padded shape at a time: repeating the last
    number fills a shape without changing what it selects."""
    for start in range(0, len(numbers), statements.most):
        chunk = numbers[start : start + statements.most]
        size, statement = statements.covering(len(chunk))
        yield from statement.rows(conn, {f"n{i}": chunk[min(i, len(chunk) - 1)] for i in range(size)})


def contracts_with_components(
    conn: Connection, numbers: Collection[str], *, lock: bool = True
) -> tuple[dict[str, int], dict[tuple[int, str], ComponentRow]]:
    """The contracts that exist and their components; with ``lock``, each contract locked for this transaction.

    Locks are taken in contract-number order, so concurrent writers cannot deadlock. The
    components are read by a statement of their own, after the lock: on PostgreSQL a statement
    that waited for a row lock still reads the other tables as they were when it started, so
    reading them in the locking statement would miss what the lock holder just committed.
    Every contract holds at least one component, so a number that no row names names no contract."""
    ordered = sorted(numbers)
    if lock:
        for _ in _rows_for_numbers(conn, _lock_numbers, ordered):
            pass
    ids: dict[str, int] = {}
    components: dict[tuple[int, str], ComponentRow] = {}
    for number, cid, component, state, start, end, dates, last_key in _rows_for_numbers(
        conn, _components_of_numbers, ordered
    ):
        ids[number] = cid
        components[(cid, component)] = ComponentRow(stored_timeline(state, start, end, dates), last_key)
    return ids, components


def timeline_rows(conn: Connection, contract_id: int) -> list[Row[Any]]:
    stmt = (
        select(cc.c.component, cc.c.state, cc.c.start_date, cc.c.end_date, cc.c.dates)
        .where(cc.c.contract_id == contract_id)
        .order_by(cc.c.position)
    )
    return list(conn.execute(stmt))


_timeline_by_number = Prepared(
    select(cc.c.component, cc.c.state, cc.c.start_date, cc.c.end_date, cc.c.dates)
    .join(contracts, contracts.c.id == cc.c.contract_id)
    .where(contracts.c.number == bindparam("number"))
    .order_by(cc.c.position)
)


def timeline_by_number(conn: Connection, number: str) -> list[tuple[str, ComponentTimeline]]:
    """The contract's components and their timelines in order; empty when there is no such contract."""
    return [
        (component, stored_timeline(state, start, end, dates))
        for component, state, start, end, dates in _timeline_by_number.rows(conn, {"number": number})
    ]


_update_component = Prepared(
    update(cc)
    .where(cc.c.contract_id == bindparam("b_contract_id"), cc.c.component == bindparam("b_component"))
    .values(
        state=bindparam("state"),
        start_date=bindparam("start_date"),
        end_date=bindparam("end_date"),
        dates=bindparam("dates"),
        last_key=bindparam("last_key"),
    )
)


def update_components(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    _update_component.execute_many(conn, rows)


# --- the event log ------------------------------------------------------------------------------


class StoredEvent(NamedTuple):
    """A stored event as read. A named tuple, not a frozen dataclass: a late event reads hundreds,
    and a frozen dataclass sets each of these fields through ``object.__setattr__`` (6 µs a row)."""

    id: int
    component: str
    sort_key: str
    type: str
    day: date
    created_at: datetime
    event_id: str | None
    accepted: bool
    code: str
    message: str
    state_after: str
    start_after: date | None
    end_after: date | None
    revoked: bool
    dates_after: dict[str, str] | None
    received_at: datetime
    rules_version: str

    def after(self) -> ComponentTimeline:
        return stored_timeline(self.state_after, self.start_after, self.end_after, self.dates_after)


STORED_COLUMNS = tuple(events.c[name] for name in StoredEvent._fields)
_event_by_client_id = Prepared(
    select(*STORED_COLUMNS).where(
        events.c.contract_id == bindparam("contract_id"), events.c.event_id == bindparam("event_id")
    )
)
_event_by_key = Prepared(
    select(*STORED_COLUMNS).where(
        events.c.contract_id == bindparam("contract_id"),
        events.c.component == bindparam("component"),
        events.c.sort_key == bindparam("key"),
    )
)
_events_after = Prepared(
    select(*STORED_COLUMNS)
    .where(
        events.c.contract_id == bindparam("contract_id"),
        events.c.component == bindparam("component"),
        events.c.sort_key > bindparam("key"),
        events.c.revoked == false(),  # a revoked event no longer counts
    )
    .order_by(events.c.sort_key)
    .limit(bindparam("limit"))
    .offset(bindparam("skip"))  # SQLite writes LIMIT ? OFFSET ?; a named offset keeps every parameter ours
)


def event_by_client_id(conn: Connection, contract_id: int, event_id: str) -> StoredEvent | None:
    rows = _event_by_client_id.rows(conn, {"contract_id": contract_id, "event_id": event_id})
    return StoredEvent(*rows[0]) if rows else None


def event_by_key(conn: Connection, contract_id: int, component: str, key: str) -> StoredEvent | None:
    rows = _event_by_key.rows(conn, {"contract_id": contract_id, "component": component, "key": key})
    return StoredEvent(*rows[0]) if rows else None


def events_after(
    conn: Connection, contract_id: int, component: str, key: str, *, first_chunk: int = 32
) -> Iterator[StoredEvent]:
    """The component's stored events after ``key``, in order, read in growing chunks as consumed.

    A late event usually stops replaying after a few stored events (see domain/replay.py), so
    reading the whole tail up front would cost more than the replay itself."""
    limit = first_chunk
    while True:
        rows = _events_after.rows(
            conn, {"contract_id": contract_id, "component": component, "key": key, "limit": limit, "skip": 0}
        )
        for row in rows:
            yield StoredEvent(*row)
        if len(rows) < limit:
            return
        key, limit = rows[-1][2], min(limit * 4, 2048)


_timeline_before = Prepared(
    select(events.c.state_after, events.c.start_after, events.c.end_after, events.c.dates_after)
    .where(
        events.c.contract_id == bindparam("contract_id"),
        events.c.component == bindparam("component"),
        events.c.sort_key < bindparam("key"),
        events.c.revoked == false(),
    )
    .order_by(events.c.sort_key.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("skip"))  # as in _events_after: every parameter named, on every dialect
)


def timeline_before(conn: Connection, contract_id: int, component: str, key: str) -> ComponentTimeline | None:
    """The component's timeline after its last stored (and not revoked) event before ``key``, if there is one."""
    rows = _timeline_before.rows(
        conn, {"contract_id": contract_id, "component": component, "key": key, "limit": 1, "skip": 0}
    )
    return stored_timeline(*rows[0]) if rows else None


def contract_events(conn: Connection, contract_id: int) -> list[Row[Any]]:
    """The contract's events that count (not revoked), in key order."""
    stmt = select(events).where(events.c.contract_id == contract_id, events.c.revoked == false())
    return list(conn.execute(stmt.order_by(events.c.sort_key, events.c.id)))


_insert_events = InsertMany(
    events,
    [c.key for c in events.columns if c.key != "id"],
    [events.c.id, events.c.contract_id, events.c.component, events.c.sort_key],
)


def insert_events(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> dict[tuple[int, str, str], int]:
    """Insert ``rows`` in their order (ids ascend with it), a few multi-row statements in all; the
    new ids by (contract id, component, ordering key)."""
    return {(cid, component, key): row_id for row_id, cid, component, key in _insert_events.rows(conn, rows)}


_update_event = Prepared(
    update(events)
    .where(events.c.id == bindparam("b_id"))
    .values(
        accepted=bindparam("accepted"),
        code=bindparam("code"),
        message=bindparam("message"),
        rules_version=bindparam("rules_version"),
        state_after=bindparam("state_after"),
        start_after=bindparam("start_after"),
        end_after=bindparam("end_after"),
        dates_after=bindparam("dates_after"),
    )
)
_insert_verdict_changes = InsertMany(verdict_changes, [c.key for c in verdict_changes.columns if c.key != "id"])


def event_update(
    row_id: int, previous: Verdict, verdict: Verdict, after: ComponentTimeline, version: str
) -> dict[str, Any]:
    """The parameters of ``update_events`` for one re-judged event."""
    return {
        "b_id": row_id,
        "prev_accepted": previous.accepted,
        "prev_code": previous.code,
        "prev_message": previous.message,
        "accepted": verdict.accepted,
        "code": verdict.code,
        "message": verdict.message,
        "rules_version": version,
        "state_after": after.state,
        "start_after": after.start,
        "end_after": after.end,
        "dates_after": dates_json(after),
    }


def update_events(conn: Connection, rows: Sequence[dict[str, Any]], *, changed_at: datetime) -> None:
    """Rewrite re-judged events. Each row also names the verdict it replaces (``prev_accepted``,
    ``prev_code``, ``prev_message``); a real change of verdict is kept in ``verdict_changes``."""
    _update_event.execute_many(conn, rows)
    changes = [
        {
            "event_row_id": row["b_id"],
            "changed_at": changed_at,
            "accepted": row["prev_accepted"],
            "code": row["prev_code"],
            "message": row["prev_message"],
        }
        for row in rows
        if (row["prev_accepted"], row["prev_code"]) != (row["accepted"], row["code"])
    ]
    _insert_verdict_changes.rows(conn, changes)


# --- rule versions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredVersion:
    id: int
    hash: str
    content: str
    effective_from: datetime
    published_at: datetime


def rule_versions(conn: Connection) -> list[StoredVersion]:
    """Every published version, in publishing order."""
    stmt = select(*(rv.c[f.name] for f in fields(StoredVersion))).order_by(rv.c.id)
    return [StoredVersion(*row) for row in conn.execute(stmt)]


def rule_versions_mark(conn: Connection) -> tuple[int, int]:
    """(count, highest id) of the versions table: cheap to poll, and changes with every publish."""
    count, highest = conn.execute(select(func.count(), func.max(rv.c.id))).one()
    return int(count), int(highest or 0)


def insert_rule_version(
    conn: Connection, *, hash: str, content: str, effective_from: datetime, published_at: datetime
) -> None:
    conn.execute(
        insert(rv).values(hash=hash, content=content, effective_from=effective_from, published_at=published_at)
    )


def events_created_from(conn: Connection, instant: datetime) -> list[tuple[int, str]]:
    """(contract id, number) of the contracts holding an event created at or after ``instant``."""
    stmt = (
        select(contracts.c.id, contracts.c.number)
        .where(contracts.c.id.in_(select(events.c.contract_id).where(events.c.created_at >= instant)))
        .order_by(contracts.c.id)
    )
    return [(cid, number) for cid, number in conn.execute(stmt)]


def name_usage(conn: Connection) -> dict[str, dict[str, tuple[int, int]]]:
    """Stored names and how much uses each: kind -> name -> (contracts, events).

    Kinds: ``states`` (the projection's and events' states), ``event_types``, ``components``."""
    usage: dict[str, dict[str, tuple[int, int]]] = {"states": {}, "event_types": {}, "components": {}}
    state_rows = select(cc.c.state, func.count(func.distinct(cc.c.contract_id)), func.count()).group_by(cc.c.state)
    for name, n_contracts, _ in conn.execute(state_rows):
        usage["states"][name] = (int(n_contracts), 0)
    event_states = select(events.c.state_after, func.count(func.distinct(events.c.contract_id)), func.count()).group_by(
        events.c.state_after
    )
    for name, n_contracts, n_events in conn.execute(event_states):
        held = usage["states"].get(name, (0, 0))
        usage["states"][name] = (max(held[0], int(n_contracts)), int(n_events))
    for kind, column in (("event_types", events.c.type), ("components", events.c.component)):
        stmt = select(column, func.count(func.distinct(events.c.contract_id)), func.count()).group_by(column)
        for name, n_contracts, n_events in conn.execute(stmt):
            usage[kind][name] = (int(n_contracts), int(n_events))
    held_components = select(cc.c.component, func.count(func.distinct(cc.c.contract_id))).group_by(cc.c.component)
    for name, n_contracts in conn.execute(held_components):
        n_events = usage["components"].get(name, (0, 0))[1]
        usage["components"][name] = (int(n_contracts), n_events)
    return usage
