"""Statements of contract amendments: components added and removed, each an entry with its commit time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, false, func, insert, select

from app.db.tables import component_amendments as amendments
from app.db.tables import contract_components as cc
from app.db.tables import events


def counting_events(conn: Connection, contract_id: int, component: str) -> int:
    """How many of the component's stored events still count (are not revoked)."""
    stmt = select(func.count()).where(
        events.c.contract_id == contract_id, events.c.component == component, events.c.revoked == false()
    )
    return int(conn.execute(stmt).scalar_one())


def last_event_key(conn: Connection, contract_id: int, component: str) -> str | None:
    """The greatest ordering key of the component's stored events, revoked ones included."""
    stmt = select(func.max(events.c.sort_key)).where(
        events.c.contract_id == contract_id, events.c.component == component
    )
    return conn.execute(stmt).scalar_one_or_none()


def next_position(conn: Connection, contract_id: int) -> int:
    stmt = select(func.max(amendments.c.position)).where(amendments.c.contract_id == contract_id)
    highest = conn.execute(stmt).scalar_one_or_none()
    return 0 if highest is None else int(highest) + 1


def add_component(
    conn: Connection,
    *,
    contract_id: int,
    number: str,
    component: str,
    position: int,
    state: str,
    last_key: str | None,
    at: datetime,
) -> None:
    """The component's projection row (initial state) and the amendment that adds it.

    ``last_key`` is that of the component's revoked events from an earlier membership, if any, so
    that an event repeating one of them is found as a repeat, not inserted twice."""
    conn.execute(
        insert(cc).values(
            contract_id=contract_id,
            contract_number=number,
            component=component,
            position=position,
            state=state,
            start_date=None,
            end_date=None,
            last_key=last_key,
        )
    )
    conn.execute(
        insert(amendments).values(
            contract_id=contract_id, component=component, added=True, position=position, committed_at=at
        )
    )


def remove_component(conn: Connection, *, contract_id: int, component: str, position: int, at: datetime) -> None:
    conn.execute(delete(cc).where(cc.c.contract_id == contract_id, cc.c.component == component))
    conn.execute(
        insert(amendments).values(
            contract_id=contract_id, component=component, added=False, position=position, committed_at=at
        )
    )
