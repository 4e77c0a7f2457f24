"""Guards: named predicates that rule tables reference and code implements.

A guard looks at the component's timeline so far and the event's date. Each guard also
gives example dates that make it pass and fail, so tests can be generated for any table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from app.domain.timeline import ComponentTimeline


@dataclass(frozen=True, slots=True)
class GuardExamples:
    """Event dates for a component whose timeline dates all equal ``base``."""

    passing: date
    failing: date


@dataclass(frozen=True, slots=True)
class Guard:
    name: str
    description: str
    check: Callable[[ComponentTimeline, date], bool]
    examples: Callable[[date], GuardExamples]


def _not_before_start(timeline: ComponentTimeline, day: date) -> bool:
    return timeline.start is None or day >= timeline.start


def _not_after_end(timeline: ComponentTimeline, day: date) -> bool:
    return timeline.end is None or day <= timeline.end


GUARDS: Mapping[str, Guard] = {
    guard.name: guard
    for guard in (
        Guard(
            "date_not_before_start",
            "The event's date is on or after the component's start date.",
            _not_before_start,
            lambda base: GuardExamples(passing=base, failing=base - timedelta(days=1)),
        ),
        Guard(
            "date_not_after_end",
            "The event's date is on or before the component's end date, if it has one.",
            _not_after_end,
            lambda base: GuardExamples(passing=base, failing=base + timedelta(days=1)),
        ),
    )
}
