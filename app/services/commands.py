"""What the service layer takes in and gives back for events, independent of HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from app.domain.timeline import Verdict


class EventCommand(NamedTuple):
    """One event as the service judges it. A named tuple: made for every event received, and a
    frozen dataclass of eight fields costs five times as much to make."""

    type: str
    contract_number: str
    day: date
    created_at: datetime
    """Naive UTC."""
    received_at: datetime
    event_id: str | None = None
    created_at_given: bool = True
    """False when the client left ``created_at`` out and the service chose it."""


@dataclass(frozen=True, slots=True)
class ChangedEvent:
    """An earlier-recorded event whose verdict a late event or a revocation changed."""

    id: str
    """The stored event's public id (``ev_<n>``)."""
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
    id: str | None = None
    """The stored event's public id; ``None`` for an event not stored (a verdict on no contract or
    component, or a new event in a dry run)."""
    duplicate: bool = False
    replayed: int = 0
    """How many stored events this event made the service judge again."""
    changed: list[ChangedEvent] = field(default_factory=list)
    """The first ``CHANGED_LIMIT`` stored events whose verdict this request changed."""
    changed_total: int = 0
