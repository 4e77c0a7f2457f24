"""What a guard may look at about the event itself, besides the component's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Facts:
    """The event's date, and the UTC days it was created and received.

    ``received_on`` is stored with every event, so re-judging a stored event later (a late
    event replays it) sees the day it was really received, not the day of the replay."""

    day: date
    created_on: date
    received_on: date

    @classmethod
    def of(cls, day: date, created_at: datetime, received_at: datetime) -> Facts:
        return cls(day, created_at.date(), received_at.date())
