"""Client event ids: a repeat is a duplicate, a reuse with other content is refused.

An ``event_id`` names one event of a contract for good. Sent again with the same type, date and
``created_at`` it is a redelivery, answered with the stored verdict. Sent with anything else it
is refused as a whole (409 ``event_id_conflict``), so that a second payload is never silently
dropped; a ``created_at`` the client left out is not compared, since the service chose it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from app.db import queries
from app.domain.errors import Conflict
from app.domain.rules.model import EventType
from app.services.commands import EventCommand


@dataclass(frozen=True, slots=True)
class Item:
    """An event of the request on a known contract and component, with its ordering key."""

    index: int
    cid: int
    command: EventCommand
    event_type: EventType
    key: str


class StoredByClientId(Protocol):
    def event_by_client_id(self, cid: int, event_id: str) -> queries.StoredEvent | None: ...


class ClientIds:
    def __init__(self, stored: StoredByClientId, *, batch: bool) -> None:
        self._stored, self._batch = stored, batch
        self._seen: dict[tuple[int, str], Item] = {}

    def resolve(self, item: Item) -> Item:
        """``item``, keyed as the event its ``event_id`` already names; raises on a conflicting reuse."""
        event_id = item.command.event_id
        if event_id is None:
            return item
        earlier = self._seen.get((item.cid, event_id))
        if earlier is not None:
            given = earlier.command.created_at if earlier.command.created_at_given else None
            self._check(item, earlier.command.type, earlier.command.day, given, f"item {earlier.index} of this request")
            return replace(item, key=earlier.key)
        stored = self._stored.event_by_client_id(item.cid, event_id)
        if stored is not None:
            self._check(item, stored.type, stored.day, stored.created_at, "a stored event")
            return replace(item, key=stored.sort_key)
        self._seen[(item.cid, event_id)] = item
        return item

    def _check(self, item: Item, type_: str, day: date, created_at: datetime | None, holder: str) -> None:
        command = item.command
        differs = [
            f"{name} {theirs} instead of {ours}"
            for name, ours, theirs in (
                ("type", type_, command.type),
                ("date", day.isoformat(), command.day.isoformat()),
                (
                    "created_at",
                    _utc(created_at) if created_at else None,
                    _utc(command.created_at) if command.created_at_given else None,
                ),
            )
            if ours is not None and theirs is not None and ours != theirs
        ]
        if not differs:
            return
        where = f"events[{item.index}]: " if self._batch else ""
        stored = f"{type_} dated {day.isoformat()}" + (f" created at {_utc(created_at)}" if created_at else "")
        raise Conflict(
            f"{where}event_id '{command.event_id}' of contract {command.contract_number} already names {holder}: "
            f"{stored}. This event has {', '.join(differs)}. Nothing was stored; "
            "send a new event_id for a different event.",
            "event_id_conflict",
        )


def _utc(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").removesuffix(".000000") + "Z"
