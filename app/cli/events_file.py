"""Reading an events file for ``rules simulate``: the seed's "Example Events" JSON format.

The file is a JSON list of objects ``{"type", "contract_number", "date", "created_at"?}``.
``date`` is ``YYYY-MM-DD``; ``created_at`` is an ISO 8601 date-time (an offset is converted to
UTC, a value without offset is taken as UTC). An event without ``created_at`` is taken as
created at ``POSITION_EPOCH`` plus its position in the file (0, 1, 2, ...) in microseconds:
such events apply in file order, and before every event that has a ``created_at``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from app.domain.fold import EventFacts

POSITION_EPOCH = datetime(1970, 1, 1)


class EventsFileError(ValueError):
    """The events file cannot be read; the message says where and why."""


@dataclass(frozen=True, slots=True)
class FileEvent:
    contract_number: str
    facts: EventFacts


def read_events(path: Path) -> list[FileEvent]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EventsFileError(f"{path}: cannot read the file ({exc.strerror}).") from exc
    except UnicodeDecodeError as exc:
        raise EventsFileError(f"{path}: not valid JSON ({exc}).") from exc
    return events_from_json(text, str(path))


def events_from_json(text: str, source: str) -> list[FileEvent]:
    """The events of a JSON text; ``source`` names it in errors (a file's path, or the console's form)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventsFileError(f"{source}: not valid JSON ({exc}).") from exc
    if not isinstance(document, list):
        raise EventsFileError(f"{source}: expected a JSON list of events, found {type(document).__name__}.")
    return [_event(source, position, item) for position, item in enumerate(document)]


def _event(source: str, position: int, item: Any) -> FileEvent:
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
    created_at = POSITION_EPOCH + timedelta(microseconds=position)
    if item.get("created_at") is not None:
        try:
            created_at = datetime.fromisoformat(str(item["created_at"]))
        except ValueError as exc:
            raise EventsFileError(f"{where}: 'created_at' {item['created_at']!r} is not an ISO date-time.") from exc
    return FileEvent(item["contract_number"], EventFacts(item["type"], day, created_at))
