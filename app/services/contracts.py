"""Contracts: create, read and delete. Components come from the rule tables.

Creating and deleting record a contract-level change for the feed (app/feed/outbox.py): the
contract's components with their timelines after creation, and before deletion."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app.db import amendments, queries
from app.db.writer import group_time
from app.domain.engine import RulesEngine
from app.domain.errors import Conflict, Invalid, NotFound
from app.domain.timeline import ComponentTimeline
from app.feed import outbox
from app.feed.changes import CONTRACT_AMENDED, CONTRACT_CREATED, CONTRACT_DELETED, Cause, ContractChange


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
    _check_components(engine, components, empty="A contract needs at least one component")
    if queries.contract_by_number(conn, number) is not None:
        raise Conflict(f"Contract {number} already exists.", "contract_exists")
    initial = {c: engine.initial(c) for c in components}
    try:
        with conn.begin_nested():
            queries.insert_contract(
                conn,
                number,
                created_at,
                components,
                {c: t.state for c, t in initial.items()},
                recorded_at=group_time(conn),
            )
    except IntegrityError as exc:  # created by another worker since the check above
        raise Conflict(f"Contract {number} already exists.", "contract_exists") from exc
    outbox.record(conn, [ContractChange(number, CONTRACT_CREATED, Cause("contract", number), after=initial)])
    return ContractView(number, created_at, list(components))


def _check_components(engine: RulesEngine, components: Sequence[str], *, empty: str) -> None:
    supported = list(engine.rulebook.components)
    unknown = [c for c in components if c not in engine.rulebook.components]
    problem = (
        "Unsupported component(s): " + ", ".join(unknown)
        if unknown
        else empty
        if not components
        else "Components must not repeat"
        if len(set(components)) != len(components)
        else None
    )
    if problem:
        raise Invalid(f"{problem}. Supported components: {', '.join(supported)}.", "invalid_components")


def amend_contract(
    conn: Connection, *, engine: RulesEngine, number: str, add: Sequence[str], remove: Sequence[str]
) -> ContractView:
    """Add and remove components; each change is an amendment entry with the group's commit time.

    Events sent while a component was not on the contract were answered
    ``component_not_in_contract`` and not stored, so adding it changes no stored verdict."""
    _check_components(engine, [*add, *remove], empty="Name at least one component to add or remove")
    ids = queries.lock_contracts(conn, [number])
    if number not in ids:
        raise not_found(number)
    cid = ids[number]
    held = [r.component for r in queries.timeline_rows(conn, cid)]
    for component in add:
        if any(name in held for name in engine.stored_names(component)):
            raise Conflict(f"Contract {number} already holds component {component}.", "component_exists")
    # A component may be stored under an earlier name (renamed: components): remove that row.
    remove = [next((n for n in engine.stored_names(c) if n in held), c) for c in remove]
    for component in remove:
        if component not in held:
            raise Conflict(f"Contract {number} does not hold component {component}.", "component_not_held")
        count = amendments.counting_events(conn, cid, component)
        if count:
            raise Conflict(
                f"Component {component} of contract {number} has {count} stored event(s) that count. "
                "Revoke them first (POST /events/{id}/revoke), then remove the component.",
                "component_has_events",
            )
    if not [c for c in held if c not in remove] + list(add):
        raise Invalid(
            "A contract needs at least one component; add one before removing the last.", "invalid_components"
        )
    before = _timelines(conn, cid)
    at, position = group_time(conn), amendments.next_position(conn, cid)
    for component in remove:
        amendments.remove_component(conn, contract_id=cid, component=component, position=held.index(component), at=at)
    for offset, component in enumerate(add):
        amendments.add_component(
            conn,
            contract_id=cid,
            number=number,
            component=component,
            position=position + offset,
            state=engine.initial(component).state,
            last_key=amendments.last_event_key(conn, cid, component),
            at=at,
        )
    cause = Cause("amendment", number)
    outbox.record(conn, [ContractChange(number, CONTRACT_AMENDED, cause, before=before, after=_timelines(conn, cid))])
    return get_contract(conn, number=number, engine=engine)


def _timelines(conn: Connection, contract_id: int) -> dict[str, ComponentTimeline]:
    return {
        r.component: ComponentTimeline(r.state, r.start_date, r.end_date)
        for r in queries.timeline_rows(conn, contract_id)
    }


def get_contract(conn: Connection, *, number: str, engine: RulesEngine) -> ContractView:
    """The contract with its components named as ``engine`` (the version in force) names them."""
    row = queries.contract_by_number(conn, number)
    if row is None:
        raise not_found(number)
    held = [engine.shown_component(r.component) for r in queries.timeline_rows(conn, row.id)]
    return ContractView(row.number, row.created_at, held)


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
