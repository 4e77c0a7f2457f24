"""Model-based test cases generated from the rule tables, in the manner of XState's ``@xstate/graph``.

For each component, a breadth-first search over the transition rows finds the shortest list of
events that brings the component from its lifecycle's initial state to each state. Every setup
event is dated ``base``; a guarded row is used only if it fires on that date. From each reached
state the generator then makes:

* one passing case per transition row (the row fires and the component moves to its ``dest``),
  dated the day after ``base`` when the row fires then, so that an overwritten date shows;
* one failing case per guard of each row, dated with the guard's ``examples(base).failing``;
* one case per rejection cell.

Expectations come from ``app.domain.outcomes`` (the tables read directly), not from the engine.
A case is only made when it really exercises its target; ``uncovered`` lists the targets left
without a case, for example a row whose trigger no component maps to an event type.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

from app.domain.guards import GUARDS
from app.domain.outcomes import cell_rows, fire, first_failing_guard, outcome
from app.domain.rules.model import Component, Lifecycle, Rulebook
from app.domain.timeline import ACCEPTED, ComponentTimeline

BASE_DATE = date(2024, 1, 10)

Move = tuple[str, date]
"""An event: its type and its date."""


@dataclass(frozen=True, slots=True)
class Target:
    """The part of a lifecycle table a case exercises: a row, a guard of a row, or a rejection cell."""

    lifecycle: str
    source: str
    trigger: str
    row: int | None = None
    """Index into ``lifecycle.transitions``; ``None`` for a rejection cell."""
    guard: str | None = None
    """The guard made to fail, for a failing case."""

    @property
    def kind(self) -> str:
        return "rejection" if self.row is None else "row" if self.guard is None else "guard"


@dataclass(frozen=True, slots=True)
class Expected:
    accepted: bool
    code: str
    message: str
    state: str
    start: date | None
    end: date | None


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    component: str
    lifecycle: str
    path: tuple[Move, ...]
    """Setup events that bring the component from its initial state to ``target.source``."""
    event: Move
    expected: Expected
    target: Target


@dataclass(frozen=True, slots=True)
class _Reached:
    path: tuple[Move, ...]
    timeline: ComponentTimeline


def _event_types(component: Component) -> dict[str, str]:
    """Trigger to the first event type (in table order) that fires it."""
    found: dict[str, str] = {}
    for event_type, trigger in component.events.items():
        found.setdefault(trigger, event_type)
    return found


def shortest_paths(rulebook: Rulebook, component: str, base: date = BASE_DATE) -> dict[str, _Reached]:
    """For each state the component can reach with events dated ``base``, the shortest way there."""
    lifecycle, events = rulebook.lifecycle_of(component), _event_types(rulebook.components[component])
    reached = {lifecycle.initial: _Reached((), ComponentTimeline(lifecycle.initial))}
    queue = deque([lifecycle.initial])
    while queue:
        here = reached[queue.popleft()]
        for trigger in (t for t in lifecycle.triggers if t in events):
            row = outcome(rulebook, lifecycle, here.timeline, trigger, base).row
            if row is None or lifecycle.transitions[row].dest in reached:
                continue
            rule = lifecycle.transitions[row]
            reached[rule.dest] = _Reached((*here.path, (events[trigger], base)), fire(rule, here.timeline, base))
            queue.append(rule.dest)
    return reached


def _candidate_days(lifecycle: Lifecycle, rows: list[int], base: date) -> list[date]:
    """Dates to try for a passing case; the day after ``base`` comes first, so a ``set`` is visible."""
    days = [base + timedelta(days=1), base]
    for index in rows:
        for name in lifecycle.transitions[index].guards:
            examples = GUARDS[name].examples(base)
            days.extend(d for d in (examples.passing, examples.failing) if d not in days)
    return days


def _expect(rulebook: Rulebook, lifecycle: Lifecycle, timeline: ComponentTimeline, trigger: str, day: date) -> Expected:
    result = outcome(rulebook, lifecycle, timeline, trigger, day)
    if result.row is None:
        code = result.code or ""
        return Expected(False, code, rulebook.message(code), timeline.state, timeline.start, timeline.end)
    after = fire(lifecycle.transitions[result.row], timeline, day)
    return Expected(True, ACCEPTED.code, ACCEPTED.message, after.state, after.start, after.end)


def _cell_cases(
    rulebook: Rulebook, lifecycle: Lifecycle, here: _Reached, trigger: str, base: date
) -> Iterator[tuple[Target, date]]:
    state, timeline = here.timeline.state, here.timeline
    rows = cell_rows(lifecycle, state, trigger)
    for index in rows:
        fires = [
            d
            for d in _candidate_days(lifecycle, rows, base)
            if outcome(rulebook, lifecycle, timeline, trigger, d).row == index
        ]
        if fires:
            yield Target(lifecycle.name, state, trigger, index), fires[0]
        tried_before = rows[: rows.index(index)]
        for name in lifecycle.transitions[index].guards:
            day = GUARDS[name].examples(base).failing
            earlier_rows_skip = all(first_failing_guard(lifecycle.transitions[i], timeline, day) for i in tried_before)
            if earlier_rows_skip and first_failing_guard(lifecycle.transitions[index], timeline, day) == name:
                yield Target(lifecycle.name, state, trigger, index, name), day
    if lifecycle.rejection_for(state, trigger) is not None:
        yield Target(lifecycle.name, state, trigger), base


def _case_id(component: str, target: Target, lifecycle: Lifecycle, expected: Expected) -> str:
    head = f"{component}:{target.source}--{target.trigger}"
    if target.kind == "row":
        return f"{head}-->{lifecycle.transitions[target.row or 0].dest}"
    if target.kind == "guard":
        return f"{head}[!{target.guard}]"
    return f"{head}--x {expected.code}"


def component_cases(rulebook: Rulebook, component: str, base: date = BASE_DATE) -> Iterator[Case]:
    lifecycle, events = rulebook.lifecycle_of(component), _event_types(rulebook.components[component])
    reached = shortest_paths(rulebook, component, base)
    for state in (s for s in lifecycle.states if s in reached):
        here = reached[state]
        for trigger in (t for t in lifecycle.triggers if t in events):
            for target, day in _cell_cases(rulebook, lifecycle, here, trigger, base):
                expected = _expect(rulebook, lifecycle, here.timeline, trigger, day)
                case_id = _case_id(component, target, lifecycle, expected)
                yield Case(case_id, component, lifecycle.name, here.path, (events[trigger], day), expected, target)


def generate_cases(rulebook: Rulebook, base: date = BASE_DATE) -> list[Case]:
    """Every case for every component, in table order; ids are unique and stable."""
    cases, seen = [], set()
    for component in rulebook.components:
        for case in component_cases(rulebook, component, base):
            case_id, n = case.id, 1
            while case_id in seen:
                n += 1
                case_id = f"{case.id}#{n}"
            seen.add(case_id)
            cases.append(case if case_id == case.id else replace(case, id=case_id))
    return cases


def targets(rulebook: Rulebook) -> list[Target]:
    """Everything that should have a case, for each lifecycle some component follows."""
    found: list[Target] = []
    for lifecycle in (rulebook.lifecycles[n] for n in dict.fromkeys(c.lifecycle for c in rulebook.components.values())):
        for index, row in enumerate(lifecycle.transitions):
            found.append(Target(lifecycle.name, row.source, row.trigger, index))
            found.extend(Target(lifecycle.name, row.source, row.trigger, index, g) for g in row.guards)
        found.extend(Target(lifecycle.name, r.source, r.trigger) for r in lifecycle.rejections)
    return found


def uncovered(rulebook: Rulebook, cases: Iterable[Case]) -> list[Target]:
    """Targets of ``rulebook`` that no case exercises."""
    covered = {case.target for case in cases}
    return [target for target in targets(rulebook) if target not in covered]
