"""What the rule tables say one event does, read straight from the rows, without ``transitions``.

The generated test cases use this as their oracle, so the engine is checked against the tables
rather than against itself. The reading is the engine's: the rows of a cell are tried in table
order and the first row whose guards all pass fires. When none fires, the event is rejected
with the code of the first failing guard of the last row tried, or, for a cell without
transitions, with the cell's rejection code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.guards import Facts
from app.domain.rules.model import Lifecycle, Rulebook, TransitionRule
from app.domain.timeline import ComponentTimeline


@dataclass(frozen=True, slots=True)
class Outcome:
    """The row that fires (its index in ``lifecycle.transitions``), or the rejection code."""

    row: int | None
    code: str | None


def cell_rows(lifecycle: Lifecycle, state: str, trigger: str) -> list[int]:
    """Indexes of the transition rows of one state x trigger cell, in table order."""
    return [i for i, row in enumerate(lifecycle.transitions) if row.source == state and row.trigger == trigger]


def first_failing_guard(
    rulebook: Rulebook, row: TransitionRule, timeline: ComponentTimeline, facts: Facts
) -> str | None:
    return next((name for name in row.guards if not rulebook.guards[name].window.check(timeline, facts)), None)


def outcome(
    rulebook: Rulebook, lifecycle: Lifecycle, timeline: ComponentTimeline, trigger: str, facts: Facts
) -> Outcome:
    code: str | None = None
    for index in cell_rows(lifecycle, timeline.state, trigger):
        failed = first_failing_guard(rulebook, lifecycle.transitions[index], timeline, facts)
        if failed is None:
            return Outcome(index, None)
        code = rulebook.guards[failed].code
    if code is None:
        rejection = lifecycle.rejection_for(timeline.state, trigger)
        if rejection is None:
            raise ValueError(f"lifecycle {lifecycle.name!r}: cell {timeline.state} x {trigger} has no outcome")
        code = rejection.code
    return Outcome(None, code)


def fire(row: TransitionRule, timeline: ComponentTimeline, day: date) -> ComponentTimeline:
    """The timeline after ``row`` fired on ``day``: its dest state, and ``set`` written."""
    after = timeline.copy()
    after.state = row.dest
    if row.set:
        after.set_date(row.set, day)
    return after
