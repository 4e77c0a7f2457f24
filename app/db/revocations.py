"""Statements of revocations: finding the event to revoke, and recording its revocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from app.db.queries import STORED_COLUMNS, StoredEvent
from app.db.tables import contracts, events, revocations


@dataclass(frozen=True, slots=True)
class StoredRevocation:
    id: int
    reason: str | None
    received_at: datetime
    committed_at: datetime


def contract_of_event_row(conn: Connection, row_id: int) -> str | None:
    """The number of the contract that holds event ``row_id``, if the event is stored."""
    stmt = select(contracts.c.number).join(events, events.c.contract_id == contracts.c.id).where(events.c.id == row_id)
    return conn.execute(stmt).scalar_one_or_none()


def event_by_row_id(conn: Connection, contract_id: int, row_id: int) -> StoredEvent | None:
    stmt = select(*STORED_COLUMNS).where(events.c.id == row_id, events.c.contract_id == contract_id)
    row = conn.execute(stmt).first()
    return None if row is None else StoredEvent(*row)


def revocation_of(conn: Connection, event_row_id: int) -> StoredRevocation | None:
    stmt = select(revocations.c.id, revocations.c.reason, revocations.c.received_at, revocations.c.committed_at).where(
        revocations.c.event_row_id == event_row_id
    )
    row = conn.execute(stmt).first()
    return None if row is None else StoredRevocation(*row)


def insert_revocation(
    conn: Connection,
    *,
    contract_id: int,
    event_row_id: int,
    reason: str | None,
    received_at: datetime,
    committed_at: datetime,
) -> int:
    """Record the revocation and mark its event revoked; the revocation's row id."""
    conn.execute(update(events).where(events.c.id == event_row_id).values(revoked=True))
    stmt = (
        insert(revocations)
        .values(
            contract_id=contract_id,
            event_row_id=event_row_id,
            reason=reason,
            received_at=received_at,
            committed_at=committed_at,
        )
        .returning(revocations.c.id)
    )
    return int(conn.execute(stmt).scalar_one())
