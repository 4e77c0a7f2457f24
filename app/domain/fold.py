"""The timeline fold: a contract's events, applied in order, give verdicts and timelines.

This is the definition the stored projection must always equal. The service computes the
same result incrementally; the simulator, the impact report and the tests use this directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from app.domain.engine import RulesEngine
from app.domain.errors import component_not_in_contract, unsupported_event_type
from app.domain.ordering import sort_key, to_utc
from app.domain.timeline import ComponentTimeline, Verdict


@dataclass(frozen=True, slots=True)
class EventFacts:
    type: str
    day: date
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Step:
    """One event applied: its verdict and the timeline of its component afterwards."""

    verdict: Verdict
    after: ComponentTimeline


def replay(
    engine: RulesEngine, component: str, before: ComponentTimeline, moves: Iterable[tuple[str, date]]
) -> list[Step]:
    """Apply ``(trigger, day)`` moves in order to one component, starting from ``before``."""
    steps, timeline = [], before
    for trigger, day in moves:
        verdict, timeline = engine.apply(component, timeline, trigger, day)
        steps.append(Step(verdict, timeline))
    return steps


@dataclass
class ContractFold:
    timelines: dict[str, ComponentTimeline]
    verdicts: list[Verdict | None] = field(default_factory=list)
    """Per input event, in input order; ``None`` marks a duplicate of an earlier event."""


def fold_contract(engine: RulesEngine, components: Sequence[str], events: Sequence[EventFacts]) -> ContractFold:
    """Verdicts and final timelines of ``events`` on a contract holding ``components``."""
    rulebook = engine.rulebook
    result = ContractFold({c: engine.initial(c) for c in components}, [None] * len(events))
    keyed: dict[str, int] = {}
    for index, event in enumerate(events):
        event_type = rulebook.event_types.get(event.type)
        if event_type is None:
            result.verdicts[index] = unsupported_event_type(event.type, rulebook.event_types)
            continue
        if event_type.component not in result.timelines:
            result.verdicts[index] = component_not_in_contract(event_type.component)
            continue
        keyed.setdefault(sort_key(to_utc(event.created_at), event_type.rank, event.day, event.type), index)
    for key in sorted(keyed):
        index = keyed[key]
        event, event_type = events[index], rulebook.event_types[events[index].type]
        timeline = result.timelines[event_type.component]
        verdict, result.timelines[event_type.component] = engine.apply(
            event_type.component, timeline, event_type.trigger, event.day
        )
        result.verdicts[index] = verdict
    return result
