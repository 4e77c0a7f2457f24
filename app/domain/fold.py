"""The timeline fold: a contract's events, applied in order, give verdicts and timelines.

This is the definition the stored projection must always equal. The service computes the
same result incrementally; the simulator, the impact report and the tests use this directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from app.domain.catalog import EngineAt
from app.domain.engine import RulesEngine
from app.domain.errors import component_not_in_contract, unsupported_event_type
from app.domain.guards import Facts
from app.domain.ordering import sort_key, to_utc
from app.domain.timeline import ComponentTimeline, Verdict


@dataclass(frozen=True, slots=True)
class EventFacts:
    type: str
    day: date
    created_at: datetime
    received_at: datetime | None = None
    """When the service received it; ``None`` means at its ``created_at``."""

    def facts(self) -> Facts:
        created = to_utc(self.created_at)
        return Facts.of(self.day, created, created if self.received_at is None else to_utc(self.received_at))


@dataclass
class ContractFold:
    timelines: dict[str, ComponentTimeline]
    verdicts: list[Verdict | None] = field(default_factory=list)
    """Per input event, in input order; ``None`` marks a duplicate of an earlier event."""


def chooser(engines: RulesEngine | EngineAt) -> EngineAt:
    """An engine chooser; one engine stands for a catalog of one version."""
    if isinstance(engines, RulesEngine):
        engine = engines
        return lambda _: engine
    return engines


def fold_contract(
    engines: RulesEngine | EngineAt, components: Sequence[str], events: Sequence[EventFacts]
) -> ContractFold:
    """Verdicts and final timelines of ``events`` on a contract holding ``components``, each event
    judged by the version in force at its ``created_at``."""
    engine_at = chooser(engines)
    latest = engine_at(datetime.max)
    result = ContractFold({c: latest.initial(latest.component_of(c) or c) for c in components}, [None] * len(events))
    keyed: dict[tuple[str, str], int] = {}
    for index, event in enumerate(events):
        created = to_utc(event.created_at)
        engine = engine_at(created)
        event_type = engine.event_type(event.type)
        if event_type is None:
            result.verdicts[index] = unsupported_event_type(event.type, engine.rulebook.event_types)
            continue
        held = next((name for name in engine.stored_names(event_type.component) if name in result.timelines), None)
        if held is None:
            result.verdicts[index] = component_not_in_contract(event_type.component)
            continue
        keyed.setdefault((sort_key(created, event_type.rank, event.day, event.type), held), index)
    for key in sorted(keyed):
        index, held = keyed[key], key[1]
        event = events[index]
        verdict, result.timelines[held] = engine_at(to_utc(event.created_at)).judge(
            held, result.timelines[held], event.type, event.facts()
        )
        result.verdicts[index] = verdict
    return result
