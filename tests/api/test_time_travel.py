"""Issue 10 §3: ``as_known_at=T`` answers exactly what the plain endpoint answered at instant T.

A random single-threaded ingestion (events in and out of order, duplicates, revocations,
components added and removed) records each answer of the timeline and of the history with the
instant right after it arrived; afterwards ``as_known_at`` must reproduce every one of them.
"""

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_contract

TYPES = [
    "supply_energy_start",
    "supply_energy_end",
    "battery_optimization_start",
    "battery_optimization_end",
    "heatpump_optimization_start",
    "heatpump_optimization_end",
]


def now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z"


def snapshot(client: TestClient, number: str, at: str | None = None) -> tuple[int, Any, Any]:
    query = "" if at is None else f"&as_known_at={at}"
    timeline = client.get(f"/{number}/contract_timeline?x=1{query}")
    history = client.get(f"/{number}/events?limit=1000{query}")
    return timeline.status_code, timeline.json(), history.json()


def ingest(client: TestClient, rng: random.Random, number: str, steps: int) -> list[tuple[str, Any]]:
    recorded = []
    ids: list[str] = []
    for _ in range(steps):
        roll = rng.random()
        if roll < 0.12 and ids:
            reason = rng.choice([None, "wrong meter"])
            client.post(f"/events/{rng.choice(ids)}/revoke", json={"reason": reason} if reason else None)
        elif roll < 0.18:
            component = rng.choice(["heatpump_optimization", "battery_optimization"])
            held = client.get(f"/contract/{number}").json()["components"]
            change = "remove_components" if component in held else "add_components"
            client.patch(f"/contract/{number}", json={change: [component]})
        else:
            created = datetime(2024, 1, 1) + timedelta(hours=rng.randint(0, 200))  # often late
            body = {
                "type": rng.choice(TYPES),
                "contract_number": number,
                "date": (date(2024, 1, 1) + timedelta(days=rng.randint(0, 20))).isoformat(),
                "created_at": created.isoformat(),
            }
            answer = client.post("/event", json=body).json()
            if answer.get("id"):
                ids.append(answer["id"])
        status, timeline, history = snapshot(client, number)
        recorded.append((now(), (status, timeline, history)))
    return recorded


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_as_known_at_reproduces_every_recorded_answer(client: TestClient, seed: int) -> None:
    rng = random.Random(seed)
    before_creation = now()
    make_contract(client, "tt", ["energy_supply", "battery_optimization"])
    recorded = [(now(), snapshot(client, "tt"))]
    recorded += ingest(client, rng, "tt", 60)
    assert any(e["revoked"] for e in recorded[-1][1][2]["events"]), "the ingestion revoked nothing"
    for instant, answer in recorded:
        assert snapshot(client, "tt", instant) == answer, instant
    assert client.get(f"/tt/contract_timeline?as_known_at={before_creation}").status_code == 404
    assert client.get(f"/tt/events?as_known_at={before_creation}").json()["code"] == "contract_not_found"


def test_as_known_at_pages_like_the_plain_history(client: TestClient) -> None:
    make_contract(client, "pages", ["energy_supply"])
    for day in range(1, 8):
        client.post(
            "/event",
            json={"type": "supply_energy_start", "contract_number": "pages", "date": f"2024-01-0{day}"},
        )
    at = now()
    plain = client.get("/pages/events?limit=3").json()
    known = client.get(f"/pages/events?limit=3&as_known_at={at}").json()
    assert known == plain
    assert (
        client.get(f"/pages/events?limit=3&after={plain['next']}&as_known_at={at}").json()
        == client.get(f"/pages/events?limit=3&after={plain['next']}").json()
    )


@pytest.mark.parametrize("value", ["yesterday", "20240303", "1709460000", "2024-03-03T10:00:00\x00"])
def test_a_malformed_as_known_at_is_refused(client: TestClient, value: str) -> None:
    make_contract(client)
    for path in ("/1234/contract_timeline", "/1234/events"):
        response = client.get(path, params={"as_known_at": value})
        assert (response.status_code, response.json()["code"]) == (422, "invalid_payload")


def test_an_unknown_contract_is_404_at_any_instant(client: TestClient) -> None:
    response = client.get(f"/nope/contract_timeline?as_known_at={now()}")
    assert (response.status_code, response.json()["code"]) == (404, "contract_not_found")
