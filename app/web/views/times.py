"""Every time the console shows is UTC, and says so."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_instant(text: str) -> datetime:
    """An RFC 3339 time from the API (``...Z``), as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def show_instant(text: str | None) -> str:
    """``2024-03-03 10:00:00 UTC`` (microseconds kept when there are any); an empty string for None."""
    if not text:
        return ""
    moment = parse_instant(text)
    # Not strftime("%Y"): glibc writes year 1 (the first rule version's effective_from) as "1".
    shown = f"{moment.year:04d}-{moment:%m-%d %H:%M:%S}" + (f".{moment.microsecond:06d}" if moment.microsecond else "")
    return f"{shown} UTC"


def instant_from_form(text: str) -> str:
    """A ``datetime-local`` field's value, which the form labels as UTC, written the API's way.

    ``2024-03-03T10:00`` -> ``2024-03-03T10:00:00Z``. An explicit offset is converted to UTC.
    Raises ValueError with a sentence for anything else."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date and time (YYYY-MM-DDTHH:MM, UTC).") from exc
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{moment.microsecond:06d}" if moment.microsecond else "") + "Z"


def form_value(instant: str | None) -> str:
    """The API's instant as a ``datetime-local`` value (UTC, to the second)."""
    return parse_instant(instant).strftime("%Y-%m-%dT%H:%M:%S") if instant else ""
