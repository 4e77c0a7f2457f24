"""GET /{number}/events, paged: ``limit``, the opaque ``after`` cursor, ``next`` and event ids."""

from __future__ import annotations

import base64
import json
import random
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_contract

START = datetime(2024, 1, 1, 8, 0, 0)


def starts(count: int, number: str = "1234", *, offset_minutes: int = 0) -> list[dict[str, Any]]:
    """``count`` battery starts one minute apart, in UTC written with Z as the service writes it back."""
    return [
        {
            "type": "battery_optimization_start",
            "contract_number": number,
            "date": "2024-01-01",
            "created_at": (START + timedelta(minutes=offset_minutes + i)).isoformat() + "Z",
        }
        for i in range(count)
    ]


def post_all(client: TestClient, bodies: list[dict[str, Any]]) -> None:
    response = client.post("/events", json=bodies)
    assert response.status_code == 200, response.text


def page(client: TestClient, number: str = "1234", **params: Any) -> dict[str, Any]:
    response = client.get(f"/{number}/events", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def walk(client: TestClient, limit: int, number: str = "1234") -> list[list[dict[str, Any]]]:
    """Every page, following ``next`` until it is null."""
    pages, after = [], None
    while True:
        body = page(client, number, limit=limit, **({"after": after} if after else {}))
        pages.append(body["events"])
        after = body["next"]
        if after is None:
            return pages
        assert len(pages) < 1000, "next never became null"


def test_pages_walk_the_whole_history_in_created_at_order_once(client: TestClient) -> None:
    make_contract(client)
    bodies = starts(25)
    random.Random(8).shuffle(bodies)  # arrival order differs from created_at order: late events
    for body in bodies:
        assert client.post("/event", json=body).status_code == 200

    pages = walk(client, limit=7)

    assert [len(p) for p in pages] == [7, 7, 7, 4]
    walked = [e for p in pages for e in p]
    assert [e["created_at"] for e in walked] == sorted(b["created_at"] for b in bodies)
    assert len({e["id"] for e in walked}) == 25
    assert walked == page(client, limit=1000)["events"]


def test_default_page_is_100_events(client: TestClient) -> None:
    make_contract(client)
    post_all(client, starts(150))
    first = page(client)
    assert len(first["events"]) == 100
    assert first["next"] is not None
    second = page(client, after=first["next"])
    assert len(second["events"]) == 50
    assert second["next"] is None


def test_a_page_that_ends_the_history_exactly_says_next_null(client: TestClient) -> None:
    make_contract(client)
    post_all(client, starts(10))
    assert page(client, limit=10)["next"] is None
    first = page(client, limit=5)
    assert first["next"] is not None
    assert page(client, limit=5, after=first["next"])["next"] is None


def test_the_fields_of_an_event_and_its_id(client: TestClient) -> None:
    make_contract(client)
    post_all(client, [*starts(1), {**starts(1)[0], "type": "battery_optimization_end", "event_id": "e-1"}])
    [start, end] = page(client)["events"]
    assert set(start) == {
        "id",
        "type",
        "component",
        "date",
        "created_at",
        "received_at",
        "event_id",
        "status",
        "code",
        "message",
        "rules_version",
        "committed_at",
        "revoked",
        "revoked_at",
        "revocation_reason",
        "previous_verdict",
        "state_after",
        "dates_after",
    }
    assert (start["revoked"], start["revoked_at"], start["revocation_reason"]) == (False, None, None)
    assert start["received_at"] <= start["committed_at"]
    assert re.fullmatch(r"ev_[0-9]+", start["id"])
    assert re.fullmatch(r"ev_[0-9]+", end["id"])
    assert start["id"] != end["id"]
    assert (start["status"], start["code"], start["event_id"]) == ("accepted", "accepted", None)
    assert (end["type"], end["event_id"]) == ("battery_optimization_end", "e-1")
    assert end["component"] == "battery_optimization"


def test_an_event_keeps_its_id_when_a_late_event_changes_its_verdict(client: TestClient) -> None:
    make_contract(client)
    end = {**starts(1, offset_minutes=10)[0], "type": "battery_optimization_end"}
    post_all(client, [end])
    [before] = page(client)["events"]
    assert before["code"] == "end_without_start"

    post_all(client, starts(1))  # earlier start: the stored end is re-judged and now accepted
    after = {e["type"]: e for e in page(client)["events"]}["battery_optimization_end"]

    assert after["code"] == "accepted"
    assert after["id"] == before["id"]


def test_a_late_event_before_the_cursor_does_not_shift_the_next_page(client: TestClient) -> None:
    make_contract(client)
    post_all(client, starts(6, offset_minutes=100))
    first = page(client, limit=3)
    post_all(client, starts(1))  # created before every stored event: sorts before the cursor
    second = page(client, limit=3, after=first["next"])

    seen = [e["created_at"] for e in first["events"] + second["events"]]
    assert seen == [b["created_at"] for b in starts(6, offset_minutes=100)]
    assert second["next"] is None
    assert len(page(client, limit=1000)["events"]) == 7


def test_unknown_contract_is_404_and_an_empty_history_one_empty_page(client: TestClient) -> None:
    missing = client.get("/9999/events")
    assert missing.status_code == 404
    assert missing.json()["code"] == "contract_not_found"
    make_contract(client)
    assert page(client) == {"contract_number": "1234", "events": [], "next": None}


@pytest.mark.parametrize("limit", ["0", "-1", "1001", "ten", "1.5"])
def test_a_limit_outside_1_to_1000_is_a_422_envelope(client: TestClient, limit: str) -> None:
    make_contract(client)
    response = client.get("/1234/events", params={"limit": limit})
    assert response.status_code == 422
    body = response.json()
    assert (body["status"], body["code"]) == ("error", "invalid_payload")
    assert "limit" in body["message"]


def test_limit_1000_is_allowed(client: TestClient) -> None:
    make_contract(client)
    post_all(client, starts(3))
    assert len(page(client, limit=1000)["events"]) == 3


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _cursor_of(client: TestClient, number: str) -> str:
    cursor = page(client, number, limit=1)["next"]
    assert isinstance(cursor, str)
    return cursor


BAD_CURSORS = {
    "not base64": "%%%not-a-cursor%%%",
    "base64 of no JSON": _b64(b"\xff\xfe not json"),
    "JSON of the wrong shape": _b64(json.dumps({"sort_key": "x", "id": 1}).encode()),
    "an unknown version": _b64(json.dumps(["h0", "1234", "2024", 1]).encode()),
    "a boolean id": _b64(json.dumps(["h1", "1234", "2024", True]).encode()),
    "a negative id": _b64(json.dumps(["h1", "1234", "2024", -1]).encode()),
    "far too long": "A" * 5000,
}


@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_a_malformed_cursor_is_a_422_invalid_cursor(client: TestClient, cursor: str) -> None:
    make_contract(client)
    post_all(client, starts(2))
    response = client.get("/1234/events", params={"after": cursor})
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"status", "message", "code"}
    assert (body["status"], body["code"]) == ("error", "invalid_cursor")


def test_another_contracts_cursor_is_a_422_invalid_cursor(client: TestClient) -> None:
    make_contract(client, "1234")
    make_contract(client, "5678")
    post_all(client, starts(2, "1234") + starts(2, "5678"))
    foreign = _cursor_of(client, "5678")
    assert page(client, "5678", after=foreign)["events"]  # the cursor works where it was issued

    response = client.get("/1234/events", params={"after": foreign})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_cursor"
    assert "5678" not in response.json()["message"]
