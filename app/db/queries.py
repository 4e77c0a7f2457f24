"""Every statement the service runs, in one place. Functions take an open connection.

The statements on the path of every event and timeline read are ``Prepared`` (see prepared.py);
the rest go through SQLAlchemy's ``Connection`` as usual.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from app.db.prepared import Prepared
from app.db.tables import contract_components as cc
from app.db.tables import contracts, events
from app.domain.timeline import ComponentTimeline


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
    conn: Connection, number: str, created_at: Any, components: Sequence[str], initial_states: Mapping[str, str]
) -> int:
    cid: int = conn.execute(
        insert(contracts).values(number=number, created_at=created_at).returning(contracts.c.id)
    ).scalar_one()
    conn.execute(
        insert(cc),
        [
            {
                "contract_id": cid,
                "component": name,
                "position": pos,
                "state": initial_states[name],
                "start_date": None,
                "end_date": None,
                "last_key": None,
            }
            for pos, name in enumerate(components)
        ],
    )
    return cid


def delete_contract(conn: Connection, contract_id: int) -> None:
    conn.execute(delete(events).where(events.c.contract_id == contract_id))
    conn.execute(delete(cc).where(cc.c.contract_id == contract_id))
    conn.execute(delete(contracts).where(contracts.c.id == contract_id))


def contract_ids(conn: Connection) -> list[tuple[int, str]]:
    return [
        (cid, number)
        for cid, number in conn.execute(select(contracts.c.id, contracts.c.number).order_by(contracts.c.id))
    ]


# --- components (the projection) ----------------------------------------------------------------

_lock_contract = Prepared(select(contracts.c.id).where(contracts.c.number == bindparam("number")).with_for_update())
_find_contract = Prepared(select(contracts.c.id).where(contracts.c.number == bindparam("number")))
_components_of_contract = Prepared(
    select(cc.c.component, cc.c.state, cc.c.start_date, cc.c.end_date, cc.c.last_key).where(
        cc.c.contract_id == bindparam("contract_id")
    )
)


def contracts_with_components(
    conn: Connection, numbers: Collection[str], *, lock: bool = True
) -> tuple[dict[str, int], dict[tuple[int, str], ComponentRow]]:
    """The contracts that exist and their components; with ``lock``, each contract locked for this transaction.

    Locks are taken in contract-number order, so concurrent writers cannot deadlock. The
    components are read by a statement of their own, after the lock: on PostgreSQL a statement
    that waited for a row lock still reads the other tables as they were when it started, so
    reading them in the locking statement would miss what the lock holder just committed."""
    ids: dict[str, int] = {}
    components: dict[tuple[int, str], ComponentRow] = {}
    find = _lock_contract if lock else _find_contract
    for number in sorted(numbers):
        for (cid,) in find.rows(conn, {"number": number}):
            ids[number] = cid
            for component, state, start, end, last_key in _components_of_contract.rows(conn, {"contract_id": cid}):
                components[(cid, component)] = ComponentRow(ComponentTimeline(state, start, end), last_key)
    return ids, components


def timeline_rows(conn: Connection, contract_id: int) -> list[Row[Any]]:
    stmt = (
        select(cc.c.component, cc.c.state, cc.c.start_date, cc.c.end_date)
        .where(cc.c.contract_id == contract_id)
        .order_by(cc.c.position)
    )
    return list(conn.execute(stmt))


_timeline_by_number = Prepared(
    select(cc.c.component, cc.c.state, cc.c.start_date, cc.c.end_date)
    .join(contracts, contracts.c.id == cc.c.contract_id)
    .where(contracts.c.number == bindparam("number"))
    .order_by(cc.c.position)
)


def timeline_by_number(conn: Connection, number: str) -> list[tuple[str, ComponentTimeline]]:
    """The contract's components and their timelines in order; empty when there is no such contract."""
    return [
        (component, ComponentTimeline(state, start, end))
        for component, state, start, end in _timeline_by_number.rows(conn, {"number": number})
    ]


_update_component = Prepared(
    update(cc)
    .where(cc.c.contract_id == bindparam("b_contract_id"), cc.c.component == bindparam("b_component"))
    .values(
        state=bindparam("state"),
        start_date=bindparam("start_date"),
        end_date=bindparam("end_date"),
        last_key=bindparam("last_key"),
    )
)


def update_components(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    _update_component.execute_many(conn, rows)


# --- the event log ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredEvent:
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


_STORED = tuple(events.c[f.name] for f in fields(StoredEvent))
_event_by_client_id = Prepared(
    select(*_STORED).where(events.c.contract_id == bindparam("contract_id"), events.c.event_id == bindparam("event_id"))
)
_event_by_key = Prepared(
    select(*_STORED).where(
        events.c.contract_id == bindparam("contract_id"),
        events.c.component == bindparam("component"),
        events.c.sort_key == bindparam("key"),
    )
)
_events_after = Prepared(
    select(*_STORED)
    .where(
        events.c.contract_id == bindparam("contract_id"),
        events.c.component == bindparam("component"),
        events.c.sort_key > bindparam("key"),
    )
    .order_by(events.c.sort_key)
    .limit(bindparam("limit"))
    .offset(bindparam("skip"))  # SQLite writes LIMIT ? OFFSET ?; a named offset keeps every parameter ours
)


_event_row_id = Prepared(
    select(events.c.id).where(
        events.c.contract_id == bindparam("contract_id"),
        events.c.component == bindparam("component"),
        events.c.sort_key == bindparam("key"),
    )
)


def event_row_id(conn: Connection, contract_id: int, component: str, key: str) -> int:
    """The table key of a stored event, by its unique (contract, component, ordering key); the
    change feed names a just-inserted event by it, since bulk inserts return no keys."""
    [(row_id,)] = _event_row_id.rows(conn, {"contract_id": contract_id, "component": component, "key": key})
    return int(row_id)


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


def timeline_before(conn: Connection, contract_id: int, component: str, key: str) -> ComponentTimeline | None:
    """The component's timeline after its last stored event before ``key``, if there is one."""
    stmt = (
        select(events.c.state_after, events.c.start_after, events.c.end_after)
        .where(events.c.contract_id == contract_id, events.c.component == component, events.c.sort_key < key)
        .order_by(events.c.sort_key.desc())
        .limit(1)
    )
    row = conn.execute(stmt).first()
    return None if row is None else ComponentTimeline(row.state_after, row.start_after, row.end_after)


def contract_events(conn: Connection, contract_id: int) -> list[Row[Any]]:
    return list(
        conn.execute(select(events).where(events.c.contract_id == contract_id).order_by(events.c.sort_key, events.c.id))
    )


_insert_event = Prepared(insert(events).values({c.key: bindparam(c.key) for c in events.columns if c.key != "id"}))


def insert_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    _insert_event.execute_many(conn, rows)


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
    )
)


def update_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    _update_event.execute_many(conn, rows)


# --- history pages ------------------------------------------------------------------------------


HISTORY_COLUMNS = (
    "id",
    "sort_key",
    "type",
    "component",
    "day",
    "created_at",
    "received_at",
    "event_id",
    "accepted",
    "code",
    "message",
    "rules_version",
)
"""The columns of a history page, in the order ``history_page`` returns them."""


def history_page(
    conn: Connection, contract_id: int, after: tuple[str, int] | None, limit: int
) -> list[tuple[Any, ...]]:
    """Up to ``limit`` of the contract's stored events in (sort_key, id) order, after ``after``,
    as plain tuples of ``HISTORY_COLUMNS``.

    Keyset paging rather than OFFSET: each page costs the same however deep the client has
    read, and an event inserted before the cursor (a late event) cannot shift a later page.
    Tuples unpacked by position: shaping 1,000 named ``Row``s took about three times as long."""
    stmt = select(*(events.c[name] for name in HISTORY_COLUMNS)).where(events.c.contract_id == contract_id)
    if after is not None:
        key, event_id = after
        stmt = stmt.where((events.c.sort_key > key) | ((events.c.sort_key == key) & (events.c.id > event_id)))
    return [tuple(row) for row in conn.execute(stmt.order_by(events.c.sort_key, events.c.id).limit(limit))]
