"""Events judged and not yet written: a writer group's event requests share their statements.

The writer runs a group's requests one after another in one transaction, each judged against
what the requests before it wrote (app/db/writer.py). Writing each request's rows before the
next one runs would cost every request its own statements; instead the group's requests share
one ``PendingEvents`` (the writer's group buffer for them):

- it reads the contracts and components of every contract the group's coming requests name in
  one go, and then serves them from memory, as each judged request leaves them (``contracts``);
- it holds each request's new events, rewritten events, projection rows, numbered answers and
  change-feed records, and writes them all at once (``flush``): one insert for the new events,
  whose ids come back with it and number the answers and the changes' causes, one update per
  component of the projection, the rewritten events and their verdict changes;
- a request that must read stored events it holds (a late event or a repeated ordering key on a
  component it holds rows for, a reused ``event_id`` it holds) first has everything written
  (``readable``, ``event_by_client_id``), so the read sees what serial writes would have left.

The writer flushes it before any other kind of write and before the commit. Off the writer (a
dry run, a tool) nothing is held across requests: a dry run reads through one that never holds a
row, and a direct call of ``record_events`` flushes its own before it returns.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection

from app.db import queries
from app.db.writer import contracts_ahead, group_time
from app.domain.timeline import ComponentTimeline
from app.feed import outbox
from app.feed.changes import Cause, Change, Flip, component_change
from app.services.commands import EventOutcome
from app.services.history_cursor import event_public_id

EventKey = tuple[int, str, str]
"""(contract id, component, ordering key): names one stored event."""


class ComponentEffect(NamedTuple):
    """What one request did to one component, for the change feed; ``first_key`` is the key of
    its earliest new event, the cause. (A named tuple: one is made per event that changes state.)"""

    cid: int
    contract_number: str
    component: str
    first_key: str
    late: bool
    before: ComponentTimeline
    after: ComponentTimeline
    flips: tuple[Flip, ...]


@dataclass(slots=True)
class Judgement:
    """One request judged: its answers, and the rows that storing it writes."""

    outcomes: list[EventOutcome]
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    projection: dict[tuple[int, str], queries.ComponentRow] = field(default_factory=dict)
    """Each changed component's projection row after the request, by (contract id, component)."""
    unnumbered: dict[tuple[int, str], list[tuple[str, EventOutcome]]] = field(default_factory=dict)
    """Answers about events this request inserts, by (contract id, component): their ids are known once stored."""
    effects: list[ComponentEffect] = field(default_factory=list)


class PendingEvents:
    """Reads for judging events, and the judged rows held until ``flush``."""

    def __init__(self, conn: Connection, *, lock: bool, ahead: Collection[str] = ()) -> None:
        self.conn, self._lock, self._ahead = conn, lock, ahead
        self._serialised = frozenset(ahead)
        """Contracts the writer already serialised for this transaction: reading them needs no lock."""
        self._ids: dict[str, int | None] = {}
        """Contract ids by number; ``None`` for a number known to name no contract."""
        self._components: dict[tuple[int, str], queries.ComponentRow] = {}
        self._inserts: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._projection: dict[tuple[int, str], queries.ComponentRow] = {}
        self._answers: list[tuple[EventKey, EventOutcome]] = []
        self._effects: list[ComponentEffect] = []
        self._held: set[tuple[int, str]] = set()
        """(contract id, component) of every held row, new or rewritten."""
        self._held_client_ids: set[tuple[int, str]] = set()

    @classmethod
    def of_group(cls, conn: Connection) -> PendingEvents:
        """The writer group's (``group_buffer``): it reads ahead the contracts of the group's coming
        writes, which the writer has serialised (locked them, or holds the SQLite write lock)."""
        return cls(conn, lock=True, ahead=contracts_ahead(conn))

    def contracts(self, numbers: Collection[str]) -> tuple[dict[str, int], dict[tuple[int, str], queries.ComponentRow]]:
        """The contracts among ``numbers`` that exist, and components (of these and perhaps of
        others), as the judged requests left them."""
        missing = [n for n in numbers if n not in self._ids]
        if missing:
            wanted = {*missing, *self._ahead}
            self._ahead = ()
            lock = self._lock and not wanted <= self._serialised
            ids, components = queries.contracts_with_components(self.conn, wanted, lock=lock)
            for number in wanted:
                self._ids.setdefault(number, ids.get(number))
            for key, row in components.items():
                self._components.setdefault(key, row)
        found = {n: cid for n in numbers if (cid := self._ids[n]) is not None}
        return found, self._components

    def readable(self, cid: int, component: str) -> None:
        """Make the component's stored events readable as serial writes would have left them."""
        if (cid, component) in self._held:
            self.flush()

    def event_by_client_id(self, cid: int, event_id: str) -> queries.StoredEvent | None:
        if (cid, event_id) in self._held_client_ids:
            self.flush()
        return queries.event_by_client_id(self.conn, cid, event_id)

    def add(self, judgement: Judgement) -> None:
        """Hold a judged request's rows; later requests read the projection it leaves."""
        for row in judgement.inserts:
            self._held.add((row["contract_id"], row["component"]))
            if row["event_id"] is not None:
                self._held_client_ids.add((row["contract_id"], row["event_id"]))
        self._inserts += judgement.inserts
        self._updates += judgement.updates
        self._components.update(judgement.projection)
        self._projection.update(judgement.projection)
        for (cid, component), answers in judgement.unnumbered.items():
            self._answers += [((cid, component, key), outcome) for key, outcome in answers]
        self._effects += judgement.effects

    def flush(self) -> None:
        """Write every held row, number the answers, and record the changes for the feed."""
        if not (self._inserts or self._updates or self._projection):
            return
        conn = self.conn
        committed_at = group_time(conn)
        for row in self._inserts:
            row["committed_at"] = committed_at
        row_ids = queries.insert_events(conn, self._inserts)
        queries.update_events(conn, self._updates, changed_at=committed_at)
        queries.update_components(
            conn, [_projection_row(cid, component, row) for (cid, component), row in self._projection.items()]
        )
        for key, outcome in self._answers:
            outcome.id = event_public_id(row_ids[key])
        outbox.record(conn, _changes(self._effects, row_ids))
        self._inserts, self._updates, self._projection, self._answers, self._effects = [], [], {}, [], []
        self._held.clear()
        self._held_client_ids.clear()


def _changes(effects: list[ComponentEffect], row_ids: dict[EventKey, int]) -> list[Change]:
    found: list[Change] = []
    for e in effects:
        cause = Cause("late_event" if e.late else "event", event_public_id(row_ids[(e.cid, e.component, e.first_key)]))
        change = component_change(e.contract_number, e.component, e.before, e.after, cause=cause, flips=e.flips)
        if change is not None:
            found.append(change)
    return found


def _projection_row(cid: int, component: str, row: queries.ComponentRow) -> dict[str, Any]:
    final = row.timeline
    return {
        "b_contract_id": cid,
        "b_component": component,
        "state": final.state,
        "start_date": final.start,
        "end_date": final.end,
        "dates": queries.dates_json(final),
        "last_key": row.last_key,
    }
