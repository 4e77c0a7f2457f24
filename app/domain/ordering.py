"""The order in which a contract's events apply: ``created_at``, then content, never arrival.

Ties on ``created_at`` are broken by the trigger's position in its lifecycle (start before
end), then the event's date, then its type. The key is a string that sorts the same way in
Python, SQLite and PostgreSQL, so one indexed column orders the event log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def to_utc(moment: datetime) -> datetime:
    """A naive UTC datetime: offsets are converted, a naive value is taken as UTC."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def sort_key(created_at: datetime, rank: int, day: date, event_type: str) -> str:
    return f"{created_at.isoformat(timespec='microseconds')}|{rank:03d}|{day.isoformat()}|{event_type}"


def created_or_received(created_at: datetime | None, received_at: datetime, position: int) -> datetime:
    """An event's ``created_at`` in naive UTC; without one, the time of receipt plus its position
    in the request in microseconds, so events of one request without times keep their order.
    The service and ``rules simulate`` both stamp events so, and so order them alike."""
    return to_utc(created_at) if created_at is not None else received_at + timedelta(microseconds=position)
