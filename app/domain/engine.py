"""The rules engine: one shared ``transitions`` machine per lifecycle, built once from the tables.

Per event the engine fires ``machine.events[trigger].trigger(subject)`` on a small plain object;
no machine is built per request and no model is registered with the machine. A trigger that is
not valid in the current state raises ``MachineError``, which becomes the table's rejection for
that cell; a guard that fails becomes that guard's rejection code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from transitions import Machine, MachineError, Transition
from transitions.core import EventData

from app.domain.errors import Conflict, unsupported_event_type
from app.domain.guards import DateWindow, Facts
from app.domain.rules.model import EventType, Lifecycle, Renames, Rulebook
from app.domain.timeline import ACCEPTED, ComponentTimeline, Verdict


class _Subject:
    """What a machine drives for one event: the component's timeline and the guard that failed."""

    __slots__ = ("failed_guard", "state", "timeline")

    def __init__(self, timeline: ComponentTimeline, state: str) -> None:
        self.state = state
        self.timeline = timeline.copy()
        self.failed_guard: str | None = None

    def date_of(self, name: str) -> date | None:
        return self.timeline.date_of(name)

    def result(self) -> ComponentTimeline:
        self.timeline.state = self.state
        return self.timeline


class _GuardCondition:
    """A table guard as a ``transitions`` condition; the event's facts travel in kwargs."""

    __slots__ = ("name", "window")

    def __init__(self, name: str, window: DateWindow) -> None:
        self.name, self.window = name, window

    def __call__(self, event: EventData) -> bool:
        return self.window.check(cast(_Subject, event.model), event.kwargs["facts"])


class _SetDate:
    """The ``set:`` effect of a transition row: write the event's date to a declared date field."""

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        self.field = field

    def __call__(self, event: EventData) -> None:
        cast(_Subject, event.model).timeline.set_date(self.field, event.kwargs["facts"].day)


class _GuardRecordingTransition(Transition):
    """Records which guard failed, as the ``transitions`` maintainers suggest (issues #346, #733)."""

    def _eval_conditions(self, event_data: EventData) -> bool:
        for condition in self.conditions:
            if not condition.check(event_data):
                cast(_Subject, event_data.model).failed_guard = cast(_GuardCondition, condition.func).name
                return False
        return True


class _LifecycleMachine(Machine):
    transition_cls = _GuardRecordingTransition


def build_machine(lifecycle: Lifecycle, rulebook: Rulebook) -> Machine:
    """A model-less machine for ``lifecycle``; models are passed per trigger."""
    transitions: list[dict[str, Any]] = [
        {
            "trigger": row.trigger,
            "source": row.source,
            "dest": row.dest,
            "conditions": [_GuardCondition(name, rulebook.guards[name].window) for name in row.guards],
            "after": [_SetDate(row.set)] if row.set else [],
        }
        for row in lifecycle.transitions
    ]
    return _LifecycleMachine(
        model=None,
        states=list(lifecycle.states),
        initial=lifecycle.initial,
        transitions=transitions,
        auto_transitions=False,
        send_event=True,
    )


@dataclass(frozen=True, slots=True)
class Aliases:
    """Old name to current name, for names stored under earlier versions."""

    states: Mapping[str, str] = field(default_factory=dict)
    event_types: Mapping[str, str] = field(default_factory=dict)
    components: Mapping[str, str] = field(default_factory=dict)

    def then(self, renames: Renames) -> Aliases:
        """These aliases followed by one more version's ``renamed:`` section."""

        def compose(before: Mapping[str, str], now: Mapping[str, str]) -> dict[str, str]:
            return {**{old: now.get(new, new) for old, new in before.items()}, **now}

        return Aliases(
            compose(self.states, renames.states),
            compose(self.event_types, renames.event_types),
            compose(self.components, renames.components),
        )


class RulesEngine:
    """Applies triggers to component timelines according to a rulebook.

    ``aliases`` map names stored under earlier versions onto this version's (the ``renamed:``
    sections of every version up to this one, composed by the catalog): a component stored in
    a renamed state is judged in the state it became, and a stored event of a renamed type as
    that type, never a 500."""

    def __init__(self, rulebook: Rulebook, *, aliases: Aliases | None = None) -> None:
        self.rulebook = rulebook
        self.aliases = aliases or Aliases().then(rulebook.renames)
        self.state_aliases = self.aliases.states
        machines = {name: build_machine(lc, rulebook) for name, lc in rulebook.lifecycles.items()}
        self._machine_of = {name: machines[c.lifecycle] for name, c in rulebook.components.items()}
        self._lifecycle_of = {name: rulebook.lifecycles[c.lifecycle] for name, c in rulebook.components.items()}
        self._states_of = {name: frozenset(lc.states) for name, lc in self._lifecycle_of.items()}
        self._stored_names = {
            name: (name, *(old for old, new in self.aliases.components.items() if new == name))
            for name in rulebook.components
        }
        self._renames = bool(self.aliases.states or self.aliases.components)
        """Whether any stored name may read differently under this version (else ``shown`` is the identity)."""
        self._rejections: dict[str, Verdict] = {}

    @property
    def version(self) -> str:
        return self.rulebook.version

    def component_of(self, stored: str) -> str | None:
        """The name this version gives a component stored as ``stored``; None if it has none."""
        if stored in self._lifecycle_of:
            return stored
        renamed = self.aliases.components.get(stored)
        return renamed if renamed in self._lifecycle_of else None

    def stored_names(self, component: str) -> tuple[str, ...]:
        """``component`` and every other name of it (earlier, or later for a version superseded
        by a rename), as contracts may hold them."""
        return self._stored_names.get(component, (component,))

    def shown_component(self, stored: str) -> str:
        """The name answers give a component stored as ``stored``: this version's name for it.

        Stored rows keep the name they were written with (the log is not rewritten by a rule
        change); reads show them under the name of the version in force."""
        return self.component_of(stored) or stored

    def shown_state(self, stored_component: str, state: str) -> str:
        """``state`` as this version spells it, where a ``renamed: states`` mapping covers it."""
        component = self.component_of(stored_component)
        if component is None or state in self._states_of[component]:
            return state
        mapped = self.state_aliases.get(state)
        return mapped if mapped is not None and mapped in self._states_of[component] else state

    def shown(self, stored_component: str, timeline: ComponentTimeline) -> tuple[str, ComponentTimeline]:
        """A stored component and its timeline under this version's names."""
        if not self._renames:  # every timeline read takes this path, once per component
            return stored_component, timeline
        return self.shown_component(stored_component), _named(
            timeline, self.shown_state(stored_component, timeline.state)
        )

    def shown_filter(self, component: str | None, state: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The stored names a filter by ``component`` and ``state`` (this version's names) matches."""
        components = () if component is None else self.stored_names(self.component_of(component) or component)
        if state is None:
            return components, ()
        return components, (state, *(old for old, new in self.state_aliases.items() if new == state))

    def event_type(self, name: str) -> EventType | None:
        """The event type ``name`` is in this version, through a rename if it has one."""
        found = self.rulebook.event_types.get(name)
        if found is None and name in self.aliases.event_types:
            found = self.rulebook.event_types.get(self.aliases.event_types[name])
        return found

    def judge(
        self, stored_component: str, timeline: ComponentTimeline, event_type: str, facts: Facts
    ) -> tuple[Verdict, ComponentTimeline]:
        """``apply`` for an event known by its type, as stored: a type (or component) this version
        neither defines nor maps is judged ``unsupported_event_type`` and changes nothing."""
        component, known = self.component_of(stored_component), self.event_type(event_type)
        if component is None or known is None or known.component != component:
            return unsupported_event_type(event_type, self.rulebook.event_types), timeline
        return self.apply(component, timeline, known.trigger, facts)

    def initial(self, component: str) -> ComponentTimeline:
        """The initial timeline of ``component``, also when given by a name it is stored under."""
        lifecycle = self._lifecycle_of.get(component)
        if lifecycle is None:
            lifecycle = self._lifecycle_of[self.component_of(component) or component]
        return ComponentTimeline(lifecycle.initial)

    def state_of(self, component: str, state: str) -> str:
        """``state`` in this version's names; a stored name that no mapping covers is refused."""
        if state in self._states_of[component]:
            return state
        mapped = self.state_aliases.get(state)
        if mapped is None or mapped not in self._states_of[component]:
            raise Conflict(
                f"Component {component} is stored in state '{state}', which rules {self.version} neither "
                "define nor map. Publish tables that map it under 'renamed: states'; nothing was stored.",
                "unmapped_stored_state",
            )
        return mapped

    def apply(
        self, component: str, timeline: ComponentTimeline, trigger: str, facts: Facts
    ) -> tuple[Verdict, ComponentTimeline]:
        """Fire ``trigger`` on a copy of ``timeline``; a rejection leaves the timeline as it was
        (its state spelled as this version spells it)."""
        state = self.state_of(component, timeline.state)
        subject = _Subject(timeline, state)
        try:
            fired = self._machine_of[component].events[trigger].trigger(subject, facts=facts)
        except MachineError:
            rejection = self._lifecycle_of[component].rejection_for(state, trigger)
            assert rejection is not None, "checked tables give every cell an outcome"
            return self._reject(rejection.code), _named(timeline, state)
        if not fired:
            guard = subject.failed_guard
            assert guard is not None, "a trigger fails only through a guard"
            return self._reject(self.rulebook.guards[guard].code), _named(timeline, state)
        return ACCEPTED, subject.result()

    def _reject(self, code: str) -> Verdict:
        """The rejection ``code``, made once per engine: verdicts are values, and a replay judges
        hundreds of events, each rejection otherwise a new frozen dataclass."""
        verdict = self._rejections.get(code)
        if verdict is None:
            verdict = self._rejections[code] = Verdict(False, code, self.rulebook.message(code))
        return verdict


def _named(timeline: ComponentTimeline, state: str) -> ComponentTimeline:
    if timeline.state == state:
        return timeline
    renamed = timeline.copy()
    renamed.state = state
    return renamed
