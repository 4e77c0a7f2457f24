"""The challenge's "Example Events", sent in one list and one by one."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_contract

SEED = [
    ("supply_energy_start", "1234", "2024-12-01", "accepted"),
    ("supply_energy_end", "1234", "2024-12-31", "accepted"),
    ("battery_optimization_start", "1234", "2024-03-03", "accepted"),
    ("battery_optimization_end", "1234", "2024-04-04", "accepted"),
    ("heatpump_optimization_start", "1234", "2025-03-03", "accepted"),
    ("heatpump_optimization_end", "1234", "2025-04-04", "accepted"),
    ("battery_optimization_end", "1234", "2024-02-01", "end_before_start"),
    ("supply_energy_start", "1234", "2024-12-01", "restart_after_end"),
    ("supply_energy_start", "9999", "2024-12-01", "contract_not_found"),
    ("battery_optimization_start", "1234", "2024-03-15", "restart_after_end"),
    ("battery_optimization_end", "1234", "2024-04-15", "accepted"),
    ("heatpump_optimization_end", "1234", "2024-04-01", "end_before_start"),
]
EXPECTED_TIMELINE = {
    "energy_supply": {"start": "2024-12-01", "end": "2024-12-31", "state": "ended"},
    "battery_optimization": {"start": "2024-03-03", "end": "2024-04-15", "state": "ended"},
    "heatpump_optimization": {"start": "2025-03-03", "end": "2025-04-04", "state": "ended"},
}


def seed_events() -> list[dict[str, Any]]:
    return [{"type": t, "contract_number": n, "date": d} for t, n, d, _ in SEED]


def test_seed_fixture_matches_the_challenge_text() -> None:
    fixture = Path(__file__).parent.parent / "fixtures" / "seed_events.json"
    if fixture.exists():
        assert json.loads(fixture.read_text()) == seed_events()


def test_seed_through_post_events(client: TestClient) -> None:
    make_contract(client)
    response = client.post("/events", json=seed_events())
    assert [r["code"] for r in response.json()["results"]] == [code for *_, code in SEED]
    assert client.get("/1234/contract_timeline").json() == {"contract_number": "1234", "components": EXPECTED_TIMELINE}


@pytest.mark.parametrize("with_created_at", [False, True])
def test_seed_one_by_one(client: TestClient, with_created_at: bool) -> None:
    make_contract(client)
    codes = []
    for second, body in enumerate(seed_events()):
        if with_created_at:
            body["created_at"] = f"2024-01-01T00:00:{second:02d}"
        codes.append(client.post("/event", json=body).json()["code"])
    assert codes == [code for *_, code in SEED]
    assert client.get("/1234/contract_timeline").json()["components"] == EXPECTED_TIMELINE
