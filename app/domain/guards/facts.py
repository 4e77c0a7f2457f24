"""What a guard may look at about the event itself, besides the component's timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple


class Facts(NamedTuple):
    """The event's date, and the UTC days it was created and received (a named tuple: made for
    every event judged, and cheaper to make than a frozen dataclass).

    ``received_on`` is stored with every event, so re-judging a stored event later (a late
    event replays it) sees the day it was really received, not the day of the replay."""

    day: date
    created_on: date
    received_on: date

    @classmethod
    def of(cls, day: date, created_at: datetime, received_at: datetime) -> Facts:
        return cls(day, created_at.date(), received_at.date())
