"""What a change of stored state is, and the record a feed reader receives for it. Pure.

A write path describes each change it made as a value (``ComponentChange``, ``ContractChange``)
and hands it to ``app.feed.outbox.record``; the outbox numbers it at commit and stores
``to_record``'s JSON. ``fold`` is the consumer's side: applying every record's ``after`` in seq
order gives every contract's current timeline, which the tests compare with the service's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.domain.timeline import ComponentTimeline, Verdict

TIMELINE, VERDICTS = "timeline", "verdicts"
CONTRACT_CREATED, CONTRACT_AMENDED, CONTRACT_DELETED = "contract_created", "contract_amended", "contract_deleted"


@dataclass(frozen=True, slots=True)
class Cause:
    """What made a change: ``kind`` is ``event``, ``late_event``, ``revocation``, ``reevaluation``
    or ``contract``; ``id`` names that entry (``ev_<n>`` for an event, the rules version for a
    re-evaluation, the contract number for a contract's creation or deletion)."""

    kind: str
    id: str | None


@dataclass(frozen=True, slots=True)
class Flip:
    """A stored event whose verdict changed: its id as the history shows it (``ev_<n>``)."""

    event_id: str
    previous: Verdict
    current: Verdict


@dataclass(frozen=True, slots=True)
class ComponentChange:
    """A component's timeline changed, or verdicts of its earlier events flipped, or both."""

    contract_number: str
    component: str
    before: ComponentTimeline
    after: ComponentTimeline
    cause: Cause
    flips: tuple[Flip, ...] = ()

    @property
    def kind(self) -> str:
        return TIMELINE if self.before != self.after else VERDICTS


@dataclass(frozen=True, slots=True)
class ContractChange:
    """A contract created (``before`` None), amended, or deleted (``after`` None); each side maps
    the contract's components to their timelines."""

    contract_number: str
    kind: str
    cause: Cause
    before: Mapping[str, ComponentTimeline] | None = None
    after: Mapping[str, ComponentTimeline] | None = None
    component: None = field(default=None, init=False)


Change = ComponentChange | ContractChange


def component_change(
    contract_number: str,
    component: str,
    before: ComponentTimeline,
    after: ComponentTimeline,
    *,
    cause: Cause,
    flips: Iterable[Flip] = (),
) -> ComponentChange | None:
    """The change, or None when neither the timeline nor any verdict changed (a rejected event
    that changes nothing, an accepted one that restates the timeline)."""
    flipped = tuple(flips)
    if before == after and not flipped:
        return None
    return ComponentChange(contract_number, component, before.copy(), after.copy(), cause, flipped)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def timeline_json(timeline: ComponentTimeline) -> dict[str, Any]:
    return {"start": _day(timeline.start), "end": _day(timeline.end), "state": timeline.state}


def verdict_json(verdict: Verdict) -> dict[str, str]:
    return {"status": "accepted" if verdict.accepted else "rejected", "code": verdict.code, "message": verdict.message}


def _components_json(components: Mapping[str, ComponentTimeline] | None) -> dict[str, Any] | None:
    if components is None:
        return None
    return {"components": {name: timeline_json(t) for name, t in components.items()}}


def utc_text(moment: datetime) -> str:
    """Naive UTC as RFC 3339 with ``Z``, as every other answer of the service writes times."""
    return moment.isoformat(timespec="microseconds") + "Z"


def to_record(change: Change, seq: int, committed_at: datetime) -> dict[str, Any]:
    """The record as readers, streams and webhooks receive it."""
    if isinstance(change, ComponentChange):
        before: dict[str, Any] | None = timeline_json(change.before)
        after: dict[str, Any] | None = timeline_json(change.after)
        verdicts = [
            {"event_id": f.event_id, "previous": verdict_json(f.previous), "current": verdict_json(f.current)}
            for f in change.flips
        ]
    else:
        before, after, verdicts = _components_json(change.before), _components_json(change.after), []
    return {
        "seq": seq,
        "committed_at": utc_text(committed_at),
        "contract_number": change.contract_number,
        "component": change.component,
        "kind": change.kind,
        "before": before,
        "after": after,
        "cause": {"kind": change.cause.kind, "id": change.cause.id},
        "verdicts": verdicts,
    }


def fold(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every contract's components and timelines, from records applied in seq order.

    A contract-level record replaces the contract's components (``after`` None removes the
    contract); a component-level record replaces that component's timeline."""
    state: dict[str, dict[str, Any]] = {}
    for record in records:
        number, after = record["contract_number"], record["after"]
        if record["component"] is None:
            if after is None:
                state.pop(number, None)
            else:
                state[number] = dict(after["components"])
        else:
            state.setdefault(number, {})[record["component"]] = after
    return state
