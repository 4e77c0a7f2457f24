"""A sequential model of POST /event and POST /events, for differential testing.

The model answers one request as if it alone were applied at a given place in a contract's
committed order: on top of the first ``p`` stored events of that contract (the ``events`` rows
in ``id`` order). The verdicts come from the domain's own fold (app.domain.fold), run over the
stored events plus the request's new ones; the rest of the semantics (duplicates, reused event
ids, ``changed``) is written out here, independently of the service's write path:

- an item whose content (type, date, ``created_at`` in UTC) is stored, or repeats an earlier
  item of the request, is a duplicate and repeats the verdict that content has after the request;
- an ``event_id`` stored, or used earlier in the request, with other content refuses the whole
  request (409 ``event_id_conflict``) and stores nothing;
- ``changed`` lists the stored events of a component whose verdict differs after the request,
  on the earliest (by ordering key) new event of that component in the request;
- an unknown contract, an unsupported type or a component not on the contract is rejected,
  whatever the stored history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from app.domain.errors import component_not_in_contract, contract_not_found, unsupported_event_type
from app.domain.fold import EventFacts, fold_contract
from app.domain.ordering import sort_key
from app.domain.timeline import Verdict
from tests.e2e.scenario import ENGINE

Content = tuple[str, date, datetime]
"""What makes an event the same event within a contract: type, date and ``created_at`` (naive UTC)."""

EVENT_TYPES = ENGINE.rulebook.event_types


def naive_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def key_of(content: Content) -> str:
    event_type, day, created_at = content
    return sort_key(created_at, EVENT_TYPES[event_type].rank, day, event_type)


def component_of(event_type: str) -> str:
    return EVENT_TYPES[event_type].component


@dataclass(frozen=True, slots=True)
class Item:
    """One event as a client sends it; ``spelling`` is ``created_at`` as written in the body."""

    number: str
    type: str
    day: date
    created_at: datetime
    spelling: str
    event_id: str | None = None

    @property
    def content(self) -> Content:
        return (self.type, self.day, self.created_at)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "contract_number": self.number,
            "date": self.day.isoformat(),
            "created_at": self.spelling,
        }
        if self.event_id is not None:
            body["event_id"] = self.event_id
        return body


@dataclass(frozen=True, slots=True)
class Row:
    """One stored event, as read from the ``events`` table."""

    id: int
    number: str
    type: str
    day: date
    created_at: datetime
    event_id: str | None
    verdict: Verdict

    @property
    def content(self) -> Content:
        return (self.type, self.day, self.created_at)


Envelope = tuple[str, str, str]
"""(status, code, message)."""
Change = tuple[str, str, datetime, str | None, Envelope, Envelope]
"""A ``changed`` entry: type, date, created_at, event_id, previous and current envelopes."""


def envelope(verdict: Verdict) -> Envelope:
    return ("accepted" if verdict.accepted else "rejected", verdict.code, verdict.message)


@dataclass(frozen=True, slots=True)
class Result:
    """One item's answer, reduced to what must be equal. ``created_at`` is None when not compared."""

    status: str
    code: str
    message: str
    duplicate: bool = False
    changed: tuple[Change, ...] = ()
    created_at: datetime | None = None
    changed_total: int = 0
    """The full count of changed verdicts (the list may be capped); when an answer has no
    ``changed_total`` field, the length of its list stands for it."""

    @staticmethod
    def of(verdict: Verdict, *, duplicate: bool = False, changed: tuple[Change, ...] = ()) -> Result:
        return Result(*envelope(verdict), duplicate=duplicate, changed=changed, changed_total=len(changed))

    @property
    def http_status(self) -> int:
        """The status of this result as the answer to POST /event (README's API table)."""
        return {"accepted": 200, "contract_not_found": 404, "unsupported_event_type": 422}.get(self.code, 409)

    def show(self) -> str:
        text = f"{self.status}/{self.code}{' duplicate' if self.duplicate else ''}"
        if self.changed:
            changes = (f"{c[0]}@{c[2].isoformat()}:{c[4][1]}->{c[5][1]}" for c in self.changed)
            text += f" changed=[{', '.join(changes)}]"
        return text


def observed_result(body: Mapping[str, Any], *, with_created_at: bool) -> Result:
    """An item's answer from the service, reduced like the model's."""
    changed = tuple(
        sorted(
            (
                c["type"],
                c["date"],
                naive_utc(c["created_at"]),
                c.get("event_id"),
                (c["previous"]["status"], c["previous"]["code"], c["previous"]["message"]),
                (c["current"]["status"], c["current"]["code"], c["current"]["message"]),
            )
            for c in body.get("changed") or ()
        )
    )
    created_at = body.get("created_at")
    return Result(
        body.get("status", "?"),
        body.get("code", "?"),
        body.get("message", "?"),
        bool(body.get("duplicate")),
        changed,
        naive_utc(created_at) if with_created_at and isinstance(created_at, str) else None,
        body.get("changed_total", len(changed)),
    )


def state_free_result(item: Item, components: Mapping[str, Sequence[str]]) -> Result | None:
    """The answer of an item that no stored history can change, or None for an ordinary event."""
    if item.type not in EVENT_TYPES:
        return Result.of(unsupported_event_type(item.type, EVENT_TYPES))
    if item.number not in components:
        return Result.of(contract_not_found(item.number))
    component = component_of(item.type)
    if component not in components[item.number]:
        return Result.of(component_not_in_contract(component))
    return None


@dataclass(slots=True)
class Outcome:
    """What one request gets for its items of one contract, applied at one place."""

    conflict: bool = False
    results: dict[int, Result] = field(default_factory=dict)
    """Item index in the request → its answer."""
    stored: set[tuple[Content, str | None]] = field(default_factory=set)
    """The rows the request stores in this contract: content and event id."""
    late: int = 0
    """New events ordered before an event already stored for their component."""

    def show(self) -> str:
        if self.conflict:
            return "409 event_id_conflict"
        return "{" + ", ".join(f"#{i}: {r.show()}" for i, r in sorted(self.results.items())) + "}"


class Model:
    """The committed order of each contract, and answers of requests applied within it."""

    def __init__(self, components: Mapping[str, Sequence[str]], rows: Mapping[str, Sequence[Row]]) -> None:
        self.components = components
        self.rows = {number: list(rows.get(number, ())) for number in components}
        self._before: dict[tuple[str, int], dict[Content, Verdict]] = {}

    def verdicts(self, number: str, contents: Sequence[Content]) -> dict[Content, Verdict]:
        """The fold of a contract's distinct events: each one's verdict."""
        fold = fold_contract(ENGINE, self.components[number], [EventFacts(*c) for c in contents])
        return {c: v for c, v in zip(contents, fold.verdicts, strict=True) if v is not None}

    def before(self, number: str, p: int) -> dict[Content, Verdict]:
        """Verdicts of the first ``p`` stored events of a contract (cached: checks revisit places)."""
        cached = self._before.get((number, p))
        if cached is None:
            cached = self._before[(number, p)] = self.verdicts(number, [r.content for r in self.rows[number][:p]])
        return cached

    def outcome(self, number: str, p: int, items: Sequence[tuple[int, Item]]) -> Outcome:
        """The answer to ``items`` (ordinary events of contract ``number``) applied after ``p`` stored events."""
        prefix = self.rows[number][:p]
        stored_content = {r.content: r for r in prefix}
        stored_ids = {r.event_id: r.content for r in prefix if r.event_id is not None}
        used_ids: dict[str, Content] = {}
        new: dict[Content, tuple[int, str | None]] = {}
        for index, item in items:
            content = item.content
            if item.event_id is not None:
                if stored_ids.get(item.event_id, content) != content:
                    return Outcome(conflict=True)
                if used_ids.setdefault(item.event_id, content) != content:
                    return Outcome(conflict=True)
            if content not in stored_content and content not in new:
                new[content] = (index, item.event_id)
        before = self.before(number, p)
        after = self.verdicts(number, [*stored_content, *new]) if new else before
        outcome = Outcome(stored={(c, event_id) for c, (_, event_id) in new.items()})
        last_key: dict[str, str] = {}
        for row in prefix:
            component = component_of(row.type)
            last_key[component] = max(last_key.get(component, ""), key_of(row.content))
        outcome.late = sum(key_of(c) < last_key.get(component_of(c[0]), "") for c in new)
        changed: dict[str, list[Change]] = {}
        for row in prefix:
            if before[row.content] != after[row.content]:
                changed.setdefault(component_of(row.type), []).append(
                    (
                        row.type,
                        row.day.isoformat(),
                        row.created_at,
                        row.event_id,
                        envelope(before[row.content]),
                        envelope(after[row.content]),
                    )
                )
        carriers: dict[str, Content] = {}
        for content in new:
            component = component_of(content[0])
            if component not in carriers or key_of(content) < key_of(carriers[component]):
                carriers[component] = content
        carried = {new[c][0]: tuple(sorted(changed.get(component, ()))) for component, c in carriers.items()}
        for index, item in items:
            content = item.content
            duplicate = new.get(content, (None,))[0] != index
            result = Result.of(after[content], duplicate=duplicate, changed=carried.get(index, ()))
            outcome.results[index] = replace(result, created_at=item.created_at)
        return outcome
