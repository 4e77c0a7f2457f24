"""Contracts: create, read and delete. Components come from the rule tables.

Creating and deleting record a contract-level change for the feed (app/feed/outbox.py): the
contract's components with their timelines after creation, and before deletion."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app.db import queries
from app.domain.engine import RulesEngine
from app.domain.errors import Conflict, Invalid, NotFound
from app.domain.timeline import ComponentTimeline
from app.feed import outbox
from app.feed.changes import CONTRACT_CREATED, CONTRACT_DELETED, Cause, ContractChange


@dataclass(frozen=True, slots=True)
class ContractView:
    contract_number: str
    created_at: datetime
    components: list[str]


def not_found(number: str) -> NotFound:
    return NotFound(f"Contract {number} not found.", "contract_not_found")


def refuse_reserved_number(number: str, reserved: Collection[str]) -> None:
    """A number equal to a route's first path segment would make ``/{number}/...`` reach that
    route instead; compared without case, and numbers made only of dots, which clients fold
    away as ``.`` and ``..`` path segments."""
    if number.casefold() in reserved or not number.strip("."):
        raise Invalid(
            f"Contract number {number!r} is reserved: it would collide with a path of the API "
            f"({', '.join(sorted(reserved))}, or dots only).",
            "reserved_contract_number",
        )


def create_contract(
    conn: Connection, *, engine: RulesEngine, number: str, components: Sequence[str], created_at: datetime
) -> ContractView:
    supported = list(engine.rulebook.components)
    unknown = [c for c in components if c not in engine.rulebook.components]
    problem = (
        "Unsupported component(s): " + ", ".join(unknown)
        if unknown
        else "A contract needs at least one component"
        if not components
        else "Components must not repeat"
        if len(set(components)) != len(components)
        else None
    )
    if problem:
        raise Invalid(f"{problem}. Supported components: {', '.join(supported)}.", "invalid_components")
    if queries.contract_by_number(conn, number) is not None:
        raise Conflict(f"Contract {number} already exists.", "contract_exists")
    initial = {c: engine.initial(c) for c in components}
    try:
        with conn.begin_nested():
            queries.insert_contract(conn, number, created_at, components, {c: t.state for c, t in initial.items()})
    except IntegrityError as exc:  # created by another worker since the check above
        raise Conflict(f"Contract {number} already exists.", "contract_exists") from exc
    outbox.record(conn, [ContractChange(number, CONTRACT_CREATED, Cause("contract", number), after=initial)])
    return ContractView(number, created_at, list(components))


def get_contract(conn: Connection, *, number: str) -> ContractView:
    row = queries.contract_by_number(conn, number)
    if row is None:
        raise not_found(number)
    return ContractView(row.number, row.created_at, [r.component for r in queries.timeline_rows(conn, row.id)])


def delete_contract(conn: Connection, *, number: str) -> None:
    ids = queries.lock_contracts(conn, [number])
    if number not in ids:
        raise not_found(number)
    before = {
        r.component: ComponentTimeline(r.state, r.start_date, r.end_date)
        for r in queries.timeline_rows(conn, ids[number])
    }
    queries.delete_contract(conn, ids[number])
    outbox.record(conn, [ContractChange(number, CONTRACT_DELETED, Cause("contract", number), before=before)])
