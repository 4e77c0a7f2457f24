"""The typed, immutable rulebook that the YAML rule tables become."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.guards import DateWindow
from app.domain.timeline import DEFAULT_DATES


@dataclass(frozen=True, slots=True)
class TransitionRule:
    trigger: str
    source: str
    dest: str
    guards: tuple[str, ...] = ()
    set: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    trigger: str
    source: str
    code: str


@dataclass(frozen=True, slots=True)
class Lifecycle:
    name: str
    initial: str
    states: tuple[str, ...]
    triggers: tuple[str, ...]
    transitions: tuple[TransitionRule, ...]
    rejections: tuple[Rejection, ...]
    description: str = ""
    dates: tuple[str, ...] = DEFAULT_DATES
    """The component's date fields: what ``set:`` may write and guards may compare with."""

    def rejection_for(self, source: str, trigger: str) -> Rejection | None:
        for rejection in self.rejections:
            if rejection.source == source and rejection.trigger == trigger:
                return rejection
        return None


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    lifecycle: str
    events: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class EventType:
    """One event type: the component it acts on and the lifecycle trigger it fires."""

    name: str
    component: str
    trigger: str
    rank: int
    """Position of the trigger in its lifecycle; breaks ties between equal ``created_at``."""


@dataclass(frozen=True, slots=True)
class GuardRule:
    name: str
    code: str
    window: DateWindow
    params: Mapping[str, Any] = field(default_factory=dict)
    """The guard's parameters as written in the tables (kind, of, offset, calendar)."""


@dataclass(frozen=True, slots=True)
class Renames:
    """How names stored under earlier versions map onto this version (``renamed:``/``removed:``)."""

    states: Mapping[str, str] = field(default_factory=dict)
    event_types: Mapping[str, str] = field(default_factory=dict)
    components: Mapping[str, str] = field(default_factory=dict)
    removed_event_types: frozenset[str] = frozenset()
    removed_components: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rulebook:
    lifecycles: Mapping[str, Lifecycle]
    components: Mapping[str, Component]
    guards: Mapping[str, GuardRule]
    messages: Mapping[str, str]
    version: str
    """Content hash of the tables; formatting and comments do not change it."""
    renames: Renames = field(default_factory=Renames)
    content: Mapping[str, Any] = field(default_factory=dict)
    """The merged tables as plain data (what a version stores, and what ``version`` hashes)."""
    event_types: Mapping[str, EventType] = field(init=False)

    def __post_init__(self) -> None:
        event_types: dict[str, EventType] = {}
        for component in self.components.values():
            triggers = self.lifecycles[component.lifecycle].triggers
            for name, trigger in component.events.items():
                event_types[name] = EventType(name, component.name, trigger, triggers.index(trigger))
        object.__setattr__(self, "event_types", event_types)

    def lifecycle_of(self, component: str) -> Lifecycle:
        return self.lifecycles[self.components[component].lifecycle]

    def message(self, code: str) -> str:
        return self.messages[code]

    def as_document(self) -> dict[str, Any]:
        """The tables as plain JSON-ready data, in the shape of the YAML files."""
        return {
            "version": self.version,
            "components": {
                c.name: {"lifecycle": c.lifecycle, "events": dict(c.events)} for c in self.components.values()
            },
            "lifecycles": {
                lc.name: {
                    "description": lc.description,
                    "initial": lc.initial,
                    "dates": list(lc.dates),
                    "states": list(lc.states),
                    "triggers": list(lc.triggers),
                    "transitions": [
                        {
                            "trigger": t.trigger,
                            "source": t.source,
                            "dest": t.dest,
                            "guards": list(t.guards),
                            "set": t.set,
                        }
                        for t in lc.transitions
                    ],
                    "rejections": [{"trigger": r.trigger, "source": r.source, "code": r.code} for r in lc.rejections],
                }
                for lc in self.lifecycles.values()
            },
            "guards": {g.name: {"code": g.code, **g.params} for g in self.guards.values()},
            "messages": dict(self.messages),
            "event_types": {
                e.name: {"component": e.component, "trigger": e.trigger} for e in self.event_types.values()
            },
            "renamed": {
                "states": dict(self.renames.states),
                "event_types": dict(self.renames.event_types),
                "components": dict(self.renames.components),
            },
            "removed": {
                "event_types": sorted(self.renames.removed_event_types),
                "components": sorted(self.renames.removed_components),
            },
        }
