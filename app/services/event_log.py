"""Recording events: judge each one with the engine and keep log and projection in step.

Events are applied per component in ``created_at`` order. An event newer than everything
stored for its component (the common case) is applied to the stored projection directly.
An older one (a late event) makes the component replay from the stored timeline just before
it; stored events after it are re-judged, and those whose outcome changed are rewritten.
Components are independent, so a replay touches one component of one contract.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from app.db import queries
from app.domain.engine import RulesEngine
from app.domain.errors import component_not_in_contract, contract_not_found, unsupported_event_type
from app.domain.ordering import sort_key
from app.domain.rules.model import EventType
from app.domain.timeline import ComponentTimeline, Verdict
from app.services.commands import ChangedEvent, EventCommand, EventOutcome


@dataclass(slots=True)
class _New:
    key: str
    index: int
    command: EventCommand
    type: EventType


def record_events(conn: Connection, commands: Sequence[EventCommand], *, engine: RulesEngine) -> list[EventOutcome]:
    """Judge and store ``commands``; the outcomes are in input order. The caller commits."""
    return _Batch(conn, engine).run(commands)


class _Batch:
    def __init__(self, conn: Connection, engine: RulesEngine) -> None:
        self.conn, self.engine = conn, engine
        self.version = engine.rulebook.version
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.projection: list[dict[str, Any]] = []

    def run(self, commands: Sequence[EventCommand]) -> list[EventOutcome]:
        outcomes: list[EventOutcome | None] = [None] * len(commands)
        aliases: list[tuple[int, int]] = []  # (duplicate, original) within this batch
        event_types = self.engine.rulebook.event_types
        ids, components = queries.lock_with_components(self.conn, {c.contract_number for c in commands})
        client_ids = {
            (ids[c.contract_number], c.event_id)
            for c in commands
            if c.event_id is not None and c.contract_number in ids
        }
        stored_by_client_id = queries.events_by_client_id(self.conn, client_ids)
        seen_client_ids: dict[tuple[int, str], int] = {}
        groups: dict[tuple[int, str], list[_New]] = defaultdict(list)
        for index, command in enumerate(commands):
            event_type = event_types.get(command.type)
            cid = ids.get(command.contract_number)
            if event_type is None:
                outcomes[index] = EventOutcome(unsupported_event_type(command.type, event_types))
            elif cid is None:
                outcomes[index] = EventOutcome(contract_not_found(command.contract_number))
            elif (cid, event_type.component) not in components:
                outcomes[index] = EventOutcome(component_not_in_contract(event_type.component))
            elif command.event_id is not None and (cid, command.event_id) in stored_by_client_id:
                outcomes[index] = _repeat(stored_by_client_id[(cid, command.event_id)])
            elif command.event_id is not None and (cid, command.event_id) in seen_client_ids:
                aliases.append((index, seen_client_ids[(cid, command.event_id)]))
            else:
                if command.event_id is not None:
                    seen_client_ids[(cid, command.event_id)] = index
                key = sort_key(command.created_at, event_type.rank, command.day, command.type)
                groups[(cid, event_type.component)].append(_New(key, index, command, event_type))
        for (cid, component), new in groups.items():
            new.sort(key=lambda n: n.key)
            self._apply(cid, component, components[(cid, component)], new, outcomes)
        queries.insert_events(self.conn, self.inserts)
        queries.update_events(self.conn, self.updates)
        queries.update_components(self.conn, self.projection)
        for duplicate, original in aliases:
            first = outcomes[original]
            assert first is not None
            outcomes[duplicate] = EventOutcome(first.verdict, first.created_at, duplicate=True)
        return [o for o in outcomes if o is not None]

    def _apply(
        self, cid: int, component: str, row: queries.ComponentRow, new: list[_New], outcomes: list[EventOutcome | None]
    ) -> None:
        first_key = new[0].key
        late = row.last_key is not None and first_key <= row.last_key
        stored = queries.events_from(self.conn, cid, component, first_key) if late else []
        before = row.timeline
        if late:
            before = queries.timeline_before(self.conn, cid, component, first_key) or self.engine.initial(component)
        by_key: dict[str, queries.StoredEvent | _New] = {s.sort_key: s for s in stored}
        repeats: list[tuple[int, str]] = []
        for item in new:
            if item.key in by_key:
                repeats.append((item.index, item.key))
            else:
                by_key[item.key] = item
        timeline, changed = before, list[ChangedEvent]()
        judged: dict[str, EventOutcome] = {}
        for key in sorted(by_key):
            entry = by_key[key]
            if isinstance(entry, _New):
                verdict, timeline = self.engine.apply(component, timeline, entry.type.trigger, entry.command.day)
                judged[key] = outcomes[entry.index] = EventOutcome(
                    verdict, entry.command.created_at, replayed=len(stored)
                )
                self.inserts.append(self._row(cid, component, entry, verdict, timeline))
                continue
            verdict, timeline = self.engine.apply(component, timeline, self._trigger_of(entry.type), entry.day)
            judged[key] = EventOutcome(verdict, entry.created_at, duplicate=True)
            previous = Verdict(entry.accepted, entry.code, entry.message)
            if self._rewrite(entry, verdict, timeline) and previous != verdict:
                changed.append(ChangedEvent(entry.type, entry.day, entry.created_at, entry.event_id, previous, verdict))
        for index, key in repeats:
            outcomes[index] = EventOutcome(judged[key].verdict, judged[key].created_at, duplicate=True)
        first = outcomes[new[0].index]
        if first is not None and not first.duplicate:
            first.changed = changed
        self.projection.append(
            {
                "b_contract_id": cid,
                "b_component": component,
                "state": timeline.state,
                "start_date": timeline.start,
                "end_date": timeline.end,
                "last_key": max(new[-1].key, row.last_key or ""),
            }
        )

    def _trigger_of(self, event_type: str) -> str:
        return self.engine.rulebook.event_types[event_type].trigger

    def _rewrite(self, row: queries.StoredEvent, verdict: Verdict, after: ComponentTimeline) -> bool:
        """Queue an update when re-judging ``row`` changed anything; say whether it did."""
        values = {
            "accepted": verdict.accepted,
            "code": verdict.code,
            "message": verdict.message,
            "state_after": after.state,
            "start_after": after.start,
            "end_after": after.end,
        }
        if all(getattr(row, k) == v for k, v in values.items()):
            return False
        self.updates.append({"b_id": row.id, "rules_version": self.version, **values})
        return True

    def _row(self, cid: int, component: str, item: _New, verdict: Verdict, after: ComponentTimeline) -> dict[str, Any]:
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
            "rules_version": self.version,
            "state_after": after.state,
            "start_after": after.start,
            "end_after": after.end,
        }


def _repeat(stored: queries.StoredVerdict) -> EventOutcome:
    return EventOutcome(Verdict(stored.accepted, stored.code, stored.message), stored.created_at, duplicate=True)
