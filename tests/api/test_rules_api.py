"""The service shows its rules, and answers what-if questions without storing anything."""

from fastapi.testclient import TestClient

from tests.api.test_events import event, history
from tests.conftest import make_contract


def test_get_rules_lists_tables_and_version(client: TestClient) -> None:
    body = client.get("/rules").json()
    assert set(body["components"]) == {"energy_supply", "battery_optimization", "heatpump_optimization"}
    assert body["event_types"]["supply_energy_end"] == {"component": "energy_supply", "trigger": "end"}
    assert body["messages"]["end_before_start"] == "End event cannot occur before start event."
    assert len(body["version"]) == 12


def test_diagram_is_mermaid_with_guards_and_rejections(client: TestClient) -> None:
    text = client.get("/rules/diagram").text
    assert "stateDiagram-v2" in text
    assert "date_not_before_start" in text
    assert "end_without_start" in text


def test_schema_is_served(client: TestClient) -> None:
    schema = client.get("/rules/schema").json()
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"lifecycles", "components", "guards", "messages", "renamed", "removed"}


def test_stored_events_record_the_rules_version(client: TestClient) -> None:
    make_contract(client)
    client.post("/event", json=event("supply_energy_start", "2024-01-01"))
    assert [e["rules_version"] for e in history(client)] == [client.get("/rules").json()["version"]]


def test_dry_run_answers_without_storing(client: TestClient) -> None:
    make_contract(client)
    client.post("/event", json=event("supply_energy_end", "2024-12-31", "2024-01-02T00:00:00"))
    before = (history(client), client.get("/1234/contract_timeline").json())
    preview = client.post(
        "/events?dry_run=true",
        json=[
            event("supply_energy_start", "2024-12-01", "2024-01-01T00:00:00"),
            event("supply_energy_end", "2024-11-01", "2024-01-03T00:00:00"),
        ],
    )
    assert preview.status_code == 200
    first, second = preview.json()["results"]
    assert first["code"] == "accepted"
    assert [c["current"]["code"] for c in first["changed"]] == ["accepted"]
    assert second["code"] == "end_before_start"
    single = client.post("/event?dry_run=true", json=event("supply_energy_start", "2024-12-01", "2024-01-01T00:00:00"))
    assert single.status_code == 200
    assert (history(client), client.get("/1234/contract_timeline").json()) == before
