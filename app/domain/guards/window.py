"""The one guard kind family: the event's date is not before, or not after, a bound.

The bound is a reference date moved by an offset. References are the component's declared
dates (``start``, ``end``, or a lifecycle's own such as ``paused_from``), ``created`` (the UTC
day of the event's ``created_at``) and ``received`` (the UTC day the service received it). A
component date that is not set yet gives no bound, and the guard passes: "not before the start"
says nothing before there is a start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol

from app.domain.guards.calendar import ONE_DAY, WorkingCalendar
from app.domain.guards.facts import Facts


class Dated(Protocol):
    """What a guard reads of a component: any declared date, by name."""

    def date_of(self, name: str) -> date | None: ...


@dataclass(frozen=True, slots=True)
class GuardExamples:
    """Event dates at the guard's limit: ``passing`` exactly on it, ``failing`` one day past it."""

    passing: date
    failing: date


@dataclass(frozen=True, slots=True)
class DateWindow:
    kind: Literal["not_before", "not_after"]
    of: str
    """``created``, ``received`` or a date field of the lifecycle."""
    offset: int = 0
    """Signed: negative moves the bound into the past (``days_before``), positive into the future."""
    calendar: WorkingCalendar | None = None
    """Set when the offset counts working days."""

    def reference(self, timeline: Dated, facts: Facts) -> date | None:
        if self.of == "received":
            return facts.received_on
        if self.of == "created":
            return facts.created_on
        return timeline.date_of(self.of)

    def bound(self, timeline: Dated, facts: Facts) -> date | None:
        reference = self.reference(timeline, facts)
        if reference is None or not self.offset:
            return reference
        if self.calendar is not None:
            return self.calendar.shift(reference, self.offset)
        try:
            return reference + timedelta(days=self.offset)
        except OverflowError:  # the bound lies beyond the calendar: no date can be past it
            return date.min if self.offset < 0 else date.max

    def check(self, timeline: Dated, facts: Facts) -> bool:
        bound = self.bound(timeline, facts)
        if bound is None:
            return True
        return facts.day >= bound if self.kind == "not_before" else facts.day <= bound

    def examples(self, timeline: Dated, facts: Facts) -> GuardExamples:
        """Dates on the limit and one day past it; without a bound, the event's own date twice."""
        bound = self.bound(timeline, facts)
        if bound is None:
            return GuardExamples(facts.day, facts.day)
        return GuardExamples(bound, bound - ONE_DAY if self.kind == "not_before" else bound + ONE_DAY)
