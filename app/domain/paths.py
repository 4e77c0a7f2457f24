"""Model-based test cases generated from the rule tables, in the manner of XState's ``@xstate/graph``.

For each component, a breadth-first search over the transition rows finds the shortest list of
events that brings the component from its lifecycle's initial state to each state. Every setup
event is dated ``base``; a guarded row is used only if it fires on that date. From each reached
state the generator then makes:

* one passing case per transition row (the row fires and the component moves to its ``dest``),
  dated the day after ``base`` when the row fires then, so that an overwritten date shows;
* one case per guard of each row dated exactly at the guard's limit, which passes, and one dated
  a day past it, which fails (``DateWindow.examples``);
* one case per rejection cell.

Every event of a case is created and received at ``base`` 08:00 (``Case.at``), so guards that
compare with the day of receipt or of creation have their limit near ``base`` too. A guarded
row on the way to a state fires on the first of ``base`` and its guards' limits that passes.

Expectations come from ``app.domain.outcomes`` (the tables read directly), not from the engine.
A case is only made when it really exercises its target; ``uncovered`` lists the targets left
without a case, for example a row whose trigger no component maps to an event type.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from app.domain.guards import Facts
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
    """The guard made to fail, for a failing case, or met exactly, for a limit case."""
    limit: bool = False
    """A case dated exactly at ``guard``'s limit, which passes."""

    @property
    def kind(self) -> str:
        if self.row is None:
            return "rejection"
        return "row" if self.guard is None else "limit" if self.limit else "guard"


@dataclass(frozen=True, slots=True)
class Expected:
    accepted: bool
    code: str
    message: str
    state: str
    start: date | None
    end: date | None
    others: tuple[tuple[str, date], ...] = ()
    """Declared dates beyond start and end."""


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
    at: datetime
    """When every event of the case is created and received (add seconds to keep their order)."""


def _facts(day: date, base: date) -> Facts:
    return Facts(day, base, base)


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
    """For each state the component can reach, the shortest way there, dated ``base`` where that fires."""
    lifecycle, events = rulebook.lifecycle_of(component), _event_types(rulebook.components[component])
    reached = {lifecycle.initial: _Reached((), ComponentTimeline(lifecycle.initial))}
    queue = deque([lifecycle.initial])
    while queue:
        here = reached[queue.popleft()]
        for trigger in (t for t in lifecycle.triggers if t in events):
            rows = cell_rows(lifecycle, here.timeline.state, trigger)
            for day in [base, *_limits(rulebook, lifecycle, rows, here.timeline, base)]:
                row = outcome(rulebook, lifecycle, here.timeline, trigger, _facts(day, base)).row
                if row is not None:
                    break
            if row is None or lifecycle.transitions[row].dest in reached:
                continue
            rule = lifecycle.transitions[row]
            reached[rule.dest] = _Reached((*here.path, (events[trigger], day)), fire(rule, here.timeline, day))
            queue.append(rule.dest)
    return reached


def _limits(
    rulebook: Rulebook, lifecycle: Lifecycle, rows: list[int], timeline: ComponentTimeline, base: date
) -> list[date]:
    """The limits of the guards of ``rows``: the last dates they pass on."""
    return [
        rulebook.guards[name].window.examples(timeline, _facts(base, base)).passing
        for index in rows
        for name in lifecycle.transitions[index].guards
    ]


def _candidate_days(
    rulebook: Rulebook, lifecycle: Lifecycle, rows: list[int], timeline: ComponentTimeline, base: date
) -> list[date]:
    """Dates to try for a passing case; the day after ``base`` comes first, so a ``set`` is visible."""
    days = [base + timedelta(days=1), base]
    for index in rows:
        for name in lifecycle.transitions[index].guards:
            examples = rulebook.guards[name].window.examples(timeline, _facts(base, base))
            days.extend(d for d in (examples.passing, examples.failing) if d not in days)
    return days


def _expect(
    rulebook: Rulebook, lifecycle: Lifecycle, timeline: ComponentTimeline, trigger: str, day: date, *, base: date
) -> Expected:
    result = outcome(rulebook, lifecycle, timeline, trigger, _facts(day, base))
    if result.row is None:
        code = result.code or ""
        t = timeline
        return Expected(False, code, rulebook.message(code), t.state, t.start, t.end, t.others)
    after = fire(lifecycle.transitions[result.row], timeline, day)
    return Expected(True, ACCEPTED.code, ACCEPTED.message, after.state, after.start, after.end, after.others)


def _cell_cases(
    rulebook: Rulebook, lifecycle: Lifecycle, here: _Reached, trigger: str, base: date
) -> Iterator[tuple[Target, date]]:
    state, timeline = here.timeline.state, here.timeline
    rows = cell_rows(lifecycle, state, trigger)

    def fires(index: int, day: date) -> bool:
        return outcome(rulebook, lifecycle, timeline, trigger, _facts(day, base)).row == index

    for index in rows:
        firing = [d for d in _candidate_days(rulebook, lifecycle, rows, timeline, base) if fires(index, d)]
        if firing:
            yield Target(lifecycle.name, state, trigger, index), firing[0]
        tried_before = rows[: rows.index(index)]
        for name in lifecycle.transitions[index].guards:
            examples = rulebook.guards[name].window.examples(timeline, _facts(base, base))
            if fires(index, examples.passing):
                yield Target(lifecycle.name, state, trigger, index, name, limit=True), examples.passing
            day = examples.failing
            facts = _facts(day, base)
            earlier_rows_skip = all(
                first_failing_guard(rulebook, lifecycle.transitions[i], timeline, facts) for i in tried_before
            )
            if (
                earlier_rows_skip
                and first_failing_guard(rulebook, lifecycle.transitions[index], timeline, facts) == name
            ):
                yield Target(lifecycle.name, state, trigger, index, name), day
    if lifecycle.rejection_for(state, trigger) is not None:
        yield Target(lifecycle.name, state, trigger), base


def _case_id(component: str, target: Target, lifecycle: Lifecycle, expected: Expected) -> str:
    head = f"{component}:{target.source}--{target.trigger}"
    if target.kind == "row":
        return f"{head}-->{lifecycle.transitions[target.row or 0].dest}"
    if target.kind == "guard":
        return f"{head}[!{target.guard}]"
    if target.kind == "limit":
        return f"{head}[={target.guard}]"
    return f"{head}--x {expected.code}"


def component_cases(rulebook: Rulebook, component: str, base: date = BASE_DATE) -> Iterator[Case]:
    lifecycle, events = rulebook.lifecycle_of(component), _event_types(rulebook.components[component])
    reached = shortest_paths(rulebook, component, base)
    for state in (s for s in lifecycle.states if s in reached):
        here = reached[state]
        for trigger in (t for t in lifecycle.triggers if t in events):
            for target, day in _cell_cases(rulebook, lifecycle, here, trigger, base):
                expected = _expect(rulebook, lifecycle, here.timeline, trigger, day, base=base)
                case_id = _case_id(component, target, lifecycle, expected)
                at = datetime.combine(base, time(8))
                yield Case(case_id, component, lifecycle.name, here.path, (events[trigger], day), expected, target, at)


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
            found.extend(Target(lifecycle.name, row.source, row.trigger, index, g, limit=True) for g in row.guards)
        found.extend(Target(lifecycle.name, r.source, r.trigger) for r in lifecycle.rejections)
    return found


def uncovered(rulebook: Rulebook, cases: Iterable[Case]) -> list[Target]:
    """Targets of ``rulebook`` that no case exercises."""
    covered = {case.target for case in cases}
    return [target for target in targets(rulebook) if target not in covered]
