"""Reading back what a server stored and comparing it with the fold of the same events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx

from tests.e2e.scenario import EventKey, fold_of


@dataclass(frozen=True, slots=True)
class Stored:
    """One contract as the server reports it."""

    codes: dict[EventKey, str]
    copies: Counter[EventKey]
    timeline: dict[str, Any]

    @property
    def stored_twice(self) -> int:
        return sum(n - 1 for n in self.copies.values())


def read_contract(client: httpx.Client, number: str) -> Stored:
    events = read_history(client, number)
    timeline = client.get(f"/{number}/contract_timeline")
    assert timeline.status_code == 200, timeline.text
    keys = [_key(e) for e in events]
    return Stored(
        {k: e["code"] for k, e in zip(keys, events, strict=True)}, Counter(keys), timeline.json()["components"]
    )


def read_history(client: httpx.Client, number: str) -> list[dict[str, Any]]:
    """The contract's whole stored history, page after page, in ``created_at`` order."""
    events: list[dict[str, Any]] = []
    params: dict[str, str | int] = {"limit": 1000}
    while True:
        response = client.get(f"/{number}/events", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        events.extend(body["events"])
        if body["next"] is None:
            return events
        params["after"] = body["next"]


def _key(event: dict[str, Any]) -> EventKey:
    return (event["type"], date.fromisoformat(event["date"]), _naive_utc(event["created_at"]))


def _naive_utc(text: str) -> datetime:
    """The service writes times in UTC with ``Z``; the scenario's facts are naive UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def expected_view(keys: Iterable[EventKey]) -> tuple[dict[EventKey, str], dict[str, Any]]:
    """Verdict codes and timeline of the ``created_at``-ordered fold, shaped like the API's answers."""
    ordered = sorted(set(keys))
    fold = fold_of(ordered)
    codes = {k: v.code for k, v in zip(ordered, fold.verdicts, strict=True) if v is not None}
    timeline = {
        name: {
            "start": t.start.isoformat() if t.start else None,
            "end": t.end.isoformat() if t.end else None,
            "state": t.state,
        }
        for name, t in fold.timelines.items()
    }
    return codes, timeline
