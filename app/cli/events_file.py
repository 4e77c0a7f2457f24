"""Reading an events file for ``rules simulate``: the seed's "Example Events" JSON format.

The file is a JSON list of objects ``{"type", "contract_number", "date", "created_at"?}``.
``date`` is ``YYYY-MM-DD``; ``created_at`` is an ISO 8601 date-time (an offset is converted to
UTC, a value without offset is taken as UTC). An event without ``created_at`` is stamped as the
service stamps it (``app.domain.ordering.created_or_received``): the time the file is read plus
its position in the file in microseconds, as if the file were posted as one batch then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.domain.fold import EventFacts
from app.domain.ordering import created_or_received


class EventsFileError(ValueError):
    """The events file cannot be read; the message says where and why."""


@dataclass(frozen=True, slots=True)
class FileEvent:
    contract_number: str
    facts: EventFacts


def read_events(path: Path, received_at: datetime) -> list[FileEvent]:
    """The file's events, received at ``received_at`` (naive UTC) as one batch."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EventsFileError(f"{path}: cannot read the file ({exc.strerror}).") from exc
    except UnicodeDecodeError as exc:
        raise EventsFileError(f"{path}: not valid JSON ({exc}).") from exc
    return events_from_json(text, str(path), received_at)


def events_from_json(text: str, source: str, received_at: datetime) -> list[FileEvent]:
    """The events of a JSON text received at ``received_at``; ``source`` names it in errors (a
    file's path, or the console's form)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventsFileError(f"{source}: not valid JSON ({exc}).") from exc
    if not isinstance(document, list):
        raise EventsFileError(f"{source}: expected a JSON list of events, found {type(document).__name__}.")
    return [_event(source, position, item, received_at) for position, item in enumerate(document)]


def _event(source: str, position: int, item: Any, received_at: datetime) -> FileEvent:
    where = f"{source}: event {position + 1}"
    if not isinstance(item, dict):
        raise EventsFileError(f"{where}: expected an object, found {type(item).__name__}.")
    for key in ("type", "contract_number", "date"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise EventsFileError(f"{where}: '{key}' is missing or not a non-empty string.")
    try:
        day = date.fromisoformat(item["date"])
    except ValueError as exc:
        raise EventsFileError(f"{where}: 'date' {item['date']!r} is not a YYYY-MM-DD date.") from exc
    given = None
    if item.get("created_at") is not None:
        try:
            given = datetime.fromisoformat(str(item["created_at"]))
        except ValueError as exc:
            raise EventsFileError(f"{where}: 'created_at' {item['created_at']!r} is not an ISO date-time.") from exc
    created_at = created_or_received(given, received_at, position)
    return FileEvent(item["contract_number"], EventFacts(item["type"], day, created_at, received_at))
