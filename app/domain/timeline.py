"""Value objects of a component's timeline and of an event's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_DATES = ("start", "end")
"""The date fields of a lifecycle that declares none."""


@dataclass(slots=True)
class ComponentTimeline:
    """The state of one component and its dates. ``transitions`` drives ``state``.

    ``start`` and ``end`` are every lifecycle's default dates and have columns of their own;
    ``others`` holds the dates a lifecycle declares beyond them (``paused_from``), as sorted
    (name, date) pairs, so that two timelines with the same dates compare equal, cheaply."""

    state: str
    start: date | None = None
    end: date | None = None
    others: tuple[tuple[str, date], ...] = ()

    def copy(self) -> ComponentTimeline:
        return ComponentTimeline(self.state, self.start, self.end, self.others)

    def date_of(self, name: str) -> date | None:
        if name == "start":
            return self.start
        if name == "end":
            return self.end
        return dict(self.others).get(name)

    def set_date(self, name: str, day: date) -> None:
        if name == "start":
            self.start = day
        elif name == "end":
            self.end = day
        else:
            self.others = tuple(sorted({**dict(self.others), name: day}.items()))

    def dates(self) -> dict[str, date | None]:
        """Every date that is set, plus ``start`` and ``end`` always, by name."""
        return {"start": self.start, "end": self.end, **dict(self.others)}


@dataclass(frozen=True, slots=True)
class Verdict:
    accepted: bool
    code: str
    message: str


ACCEPTED = Verdict(True, "accepted", "Event processed successfully.")
