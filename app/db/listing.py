"""The contract listing (GET /contracts): one index range per page, whatever the table's size.

- No component filter: ``contracts`` in number order through its unique index on ``number``
  (the "C" collation on PostgreSQL, so order and prefix ranges are byte-wise, as on SQLite); a
  ``state`` or ``active_on`` filter is an ``EXISTS`` on ``contract_components``' primary key.
- A component filter: ``contract_components`` through ``ix_contract_components_listing``
  (component, contract_number, state, start_date, end_date), or with a ``state`` through
  ``ix_contract_components_listing_state`` (component, state, contract_number, ...). Both start
  with the equality columns and continue in number order, so the page is a range scan that
  stops after ``limit`` matches, and both cover the date filter, so no table row is read to
  reject a contract.

A prefix is the range [prefix, prefix + "~"): contract numbers use only ``A-Za-z0-9._-``, all
below "~". ``after`` is the last number of the previous page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from app.db.tables import contract_components as cc
from app.db.tables import contracts
from app.domain.timeline import ComponentTimeline

PREFIX_END = "~"


@dataclass(frozen=True, slots=True)
class ListingFilter:
    prefix: str | None = None
    component: str | None = None
    state: str | None = None
    active_on: date | None = None
    other_names: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    """Other stored names of ``component`` and of ``state`` (renamed by a later rule version)."""


def _number_range(column: Any, listing: ListingFilter, after: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if listing.prefix:
        conditions += [column >= listing.prefix, column < listing.prefix + PREFIX_END]
    if after is not None:
        conditions.append(column > after)
    return conditions


def _component_conditions(listing: ListingFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    components, states = listing.other_names
    if listing.component is not None:
        conditions.append(_one_of(cc.c.component, listing.component, components))
    if listing.state is not None:
        conditions.append(_one_of(cc.c.state, listing.state, states))
    if listing.active_on is not None:
        day = listing.active_on
        conditions += [cc.c.start_date <= day, or_(cc.c.end_date.is_(None), cc.c.end_date >= day)]
    return conditions


def _one_of(column: ColumnElement[str], name: str, others: tuple[str, ...]) -> ColumnElement[bool]:
    others = tuple(o for o in others if o != name)
    return column == name if not others else column.in_((name, *others))


def contract_page(
    conn: Connection, listing: ListingFilter, after: str | None, limit: int
) -> list[tuple[int, str, datetime]]:
    """Up to ``limit`` (id, number, created_at) of the contracts that match, by number, after ``after``."""
    component_conditions = _component_conditions(listing)
    if not component_conditions:
        stmt = (
            select(contracts.c.id, contracts.c.number, contracts.c.created_at)
            .where(and_(True, *_number_range(contracts.c.number, listing, after)))
            .order_by(contracts.c.number)
            .limit(limit)
        )
        return [(row.id, row.number, row.created_at) for row in conn.execute(stmt)]
    conditions = [*component_conditions, *_number_range(cc.c.contract_number, listing, after)]
    if listing.component is not None:
        # One row per contract: (contract_id, component) is the primary key.
        numbers = select(cc.c.contract_id, cc.c.contract_number).where(*conditions)
    else:
        # Any component: a contract may match with several, so one group per number; the index
        # walk is in number order, so the groups come out in order and the limit stops it.
        numbers = (
            select(func.min(cc.c.contract_id), cc.c.contract_number).where(*conditions).group_by(cc.c.contract_number)
        )
    found = [(cid, number) for cid, number in conn.execute(numbers.order_by(cc.c.contract_number).limit(limit))]
    if not found:
        return []
    stmt = select(contracts.c.id, contracts.c.created_at).where(contracts.c.id.in_([c for c, _ in found]))
    created = {row.id: row.created_at for row in conn.execute(stmt)}
    return [(cid, number, created[cid]) for cid, number in found]


def components_of(conn: Connection, ids: Sequence[int]) -> dict[int, list[tuple[str, ComponentTimeline]]]:
    """The components of the contracts ``ids``, each contract's in its order."""
    held: dict[int, list[tuple[str, ComponentTimeline]]] = defaultdict(list)
    if not ids:
        return held
    stmt = (
        select(cc.c.contract_id, cc.c.component, cc.c.state, cc.c.start_date, cc.c.end_date)
        .where(cc.c.contract_id.in_(list(ids)))
        .order_by(cc.c.contract_id, cc.c.position)
    )
    for cid, component, state, start, end in conn.execute(stmt):
        held[cid].append((component, ComponentTimeline(state, start, end)))
    return held
