"""The rules engine: one shared ``transitions`` machine per lifecycle, built once from the tables.

Per event the engine fires ``machine.events[trigger].trigger(subject)`` on a small plain object;
no machine is built per request and no model is registered with the machine. A trigger that is
not valid in the current state raises ``MachineError``, which becomes the table's rejection for
that cell; a guard that fails becomes that guard's rejection code.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from transitions import Machine, MachineError, Transition
from transitions.core import EventData

from app.domain.guards import GUARDS, Guard
from app.domain.rules.model import Lifecycle, Rulebook
from app.domain.timeline import ACCEPTED, ComponentTimeline, Verdict


class _Subject:
    """What a machine drives for one event: the component's timeline and the guard that failed."""

    __slots__ = ("end", "failed_guard", "start", "state")

    def __init__(self, timeline: ComponentTimeline) -> None:
        self.state = timeline.state
        self.start = timeline.start
        self.end = timeline.end
        self.failed_guard: str | None = None

    def timeline(self) -> ComponentTimeline:
        return ComponentTimeline(self.state, self.start, self.end)


class _GuardCondition:
    """A table guard as a ``transitions`` condition; the event's date travels in kwargs."""

    __slots__ = ("guard", "name")

    def __init__(self, guard: Guard) -> None:
        self.guard, self.name = guard, guard.name

    def __call__(self, event: EventData) -> bool:
        subject = cast(_Subject, event.model)
        return self.guard.check(subject, event.kwargs["day"])  # type: ignore[arg-type]


class _SetDate:
    """The ``set:`` effect of a transition row: write the event's date to a timeline field."""

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        self.field = field

    def __call__(self, event: EventData) -> None:
        setattr(event.model, self.field, event.kwargs["day"])


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


def build_machine(lifecycle: Lifecycle) -> Machine:
    """A model-less machine for ``lifecycle``; models are passed per trigger."""
    transitions: list[dict[str, Any]] = [
        {
            "trigger": row.trigger,
            "source": row.source,
            "dest": row.dest,
            "conditions": [_GuardCondition(GUARDS[name]) for name in row.guards],
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


class RulesEngine:
    """Applies triggers to component timelines according to a rulebook."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook = rulebook
        machines = {name: build_machine(lc) for name, lc in rulebook.lifecycles.items()}
        self._machine_of = {name: machines[c.lifecycle] for name, c in rulebook.components.items()}
        self._lifecycle_of = {name: rulebook.lifecycles[c.lifecycle] for name, c in rulebook.components.items()}

    def initial(self, component: str) -> ComponentTimeline:
        return ComponentTimeline(self._lifecycle_of[component].initial)

    def apply(
        self, component: str, timeline: ComponentTimeline, trigger: str, day: date
    ) -> tuple[Verdict, ComponentTimeline]:
        """Fire ``trigger`` on a copy of ``timeline``; a rejection leaves the timeline as it was."""
        subject = _Subject(timeline)
        try:
            fired = self._machine_of[component].events[trigger].trigger(subject, day=day)
        except MachineError:
            rejection = self._lifecycle_of[component].rejection_for(timeline.state, trigger)
            assert rejection is not None, "checked tables give every cell an outcome"
            return self._reject(rejection.code), timeline
        if not fired:
            guard = subject.failed_guard
            assert guard is not None, "a trigger fails only through a guard"
            return self._reject(self.rulebook.guards[guard].code), timeline
        return ACCEPTED, subject.timeline()

    def _reject(self, code: str) -> Verdict:
        return Verdict(False, code, self.rulebook.message(code))
