"""What the service layer takes in and gives back for events, independent of HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from app.domain.timeline import Verdict


@dataclass(frozen=True, slots=True)
class EventCommand:
    type: str
    contract_number: str
    day: date
    created_at: datetime
    """Naive UTC."""
    received_at: datetime
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChangedEvent:
    """An earlier-recorded event whose verdict a late event changed."""

    type: str
    day: date
    created_at: datetime
    event_id: str | None
    previous: Verdict
    current: Verdict


@dataclass(slots=True)
class EventOutcome:
    verdict: Verdict
    created_at: datetime | None = None
    duplicate: bool = False
    replayed: int = 0
    """How many stored events this event made the service re-evaluate."""
    changed: list[ChangedEvent] = field(default_factory=list)
