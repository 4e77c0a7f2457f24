"""Value objects of a component's timeline and of an event's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(slots=True)
class ComponentTimeline:
    """The state of one component and its dates. ``transitions`` drives ``state``."""

    state: str
    start: date | None = None
    end: date | None = None

    def copy(self) -> ComponentTimeline:
        return ComponentTimeline(self.state, self.start, self.end)


@dataclass(frozen=True, slots=True)
class Verdict:
    accepted: bool
    code: str
    message: str


ACCEPTED = Verdict(True, "accepted", "Event processed successfully.")
