"""Issue 10 §4: GET /contracts, its filters (which combine) and its paging, on either database."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_contract


def numbers(client: TestClient, query: str) -> list[str]:
    response = client.get(f"/contracts?{query}")
    assert response.status_code == 200, response.text
    return [item["contract_number"] for item in response.json()["items"]]


def event(number: str, kind: str, day: str, hour: int) -> dict[str, Any]:
    return {"type": kind, "contract_number": number, "date": day, "created_at": f"2024-01-01T{hour:02d}:00:00Z"}


@pytest.fixture
def portfolio(client: TestClient) -> TestClient:
    make_contract(client, "A-1", ["energy_supply", "battery_optimization"])
    make_contract(client, "A-2", ["battery_optimization"])
    make_contract(client, "B-1", ["energy_supply", "battery_optimization"])
    make_contract(client, "b-2", ["heatpump_optimization"])
    client.post(
        "/events",
        json=[
            event("A-1", "battery_optimization_start", "2024-03-01", 1),
            event("A-1", "battery_optimization_end", "2024-03-20", 2),
            event("A-2", "battery_optimization_start", "2024-03-21", 1),
            event("B-1", "battery_optimization_start", "2024-02-01", 1),
            event("B-1", "supply_energy_start", "2024-01-01", 2),
            event("b-2", "heatpump_optimization_start", "2024-01-01", 1),
        ],
    )
    return client


def test_each_item_holds_its_components(portfolio: TestClient) -> None:
    body = portfolio.get("/contracts?prefix=A-1").json()
    assert body["next"] is None
    [item] = body["items"]
    assert item["contract_number"] == "A-1"
    assert item["created_at"].endswith("Z")
    assert item["components"] == {
        "energy_supply": {"start": None, "end": None, "state": "not_started"},
        "battery_optimization": {"start": "2024-03-01", "end": "2024-03-20", "state": "ended"},
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["A-1", "A-2", "B-1", "b-2"]),  # byte order: upper case before lower case on both databases
        ("prefix=A", ["A-1", "A-2"]),
        ("prefix=b", ["b-2"]),
        ("component=battery_optimization", ["A-1", "A-2", "B-1"]),
        ("component=battery_optimization&active_on=2024-03-20", ["A-1", "B-1"]),
        ("component=battery_optimization&active_on=2024-03-21", ["A-2", "B-1"]),
        ("component=battery_optimization&active_on=2024-01-15", []),
        ("component=battery_optimization&state=ended", ["A-1"]),
        ("component=energy_supply&state=not_started", ["A-1"]),
        ("state=started", ["A-2", "B-1", "b-2"]),
        ("active_on=2024-01-15", ["B-1", "b-2"]),
        ("state=started&active_on=2024-01-15", ["B-1", "b-2"]),
        ("prefix=B&component=battery_optimization&state=started&active_on=2024-03-01", ["B-1"]),
        ("component=heatpump_optimization&prefix=A", []),
    ],
)
def test_filters_combine(portfolio: TestClient, query: str, expected: list[str]) -> None:
    assert numbers(portfolio, query) == expected


def test_paging_visits_every_match_once(portfolio: TestClient) -> None:
    for query in ("limit=1", "limit=1&component=battery_optimization", "limit=2&state=started"):
        seen, after = [], None
        while True:
            page = portfolio.get(f"/contracts?{query}" + (f"&after={after}" if after else "")).json()
            seen += [item["contract_number"] for item in page["items"]]
            after = page["next"]
            if after is None:
                break
        assert seen == numbers(portfolio, query.split("&", 1)[1] if "&" in query else ""), query


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=0", "invalid_payload"),
        ("limit=1001", "invalid_payload"),
        ("active_on=2024-3-1", "invalid_payload"),
        ("prefix=a%2Fb", "invalid_payload"),
        ("state=a%00b", "invalid_payload"),
        ("after=bm90IGEgY3Vyc29y", "invalid_cursor"),
        ("after=%%%", "invalid_cursor"),
    ],
)
def test_malformed_queries_are_refused(client: TestClient, query: str, code: str) -> None:
    response = client.get(f"/contracts?{query}")
    assert (response.status_code, response.json()["status"], response.json()["code"]) == (422, "error", code)


def test_the_default_page_is_100(client: TestClient) -> None:
    client.post("/contract/", json={"contract_number": "x", "components": ["energy_supply"]})
    for i in range(101):
        client.post("/contract/", json={"contract_number": f"c{i:03d}", "components": ["energy_supply"]})
    page = client.get("/contracts?prefix=c").json()
    assert len(page["items"]) == 100
    assert page["next"] is not None
    assert numbers(client, f"prefix=c&after={page['next']}") == ["c100"]
