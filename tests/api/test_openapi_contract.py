"""Issue 8 §6: the OpenAPI document names operations readably, types every time and documents
only bodies the service sends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

OPERATIONS = {
    ("post", "/event"): "post_event",
    ("post", "/events"): "post_events",
    ("post", "/contract/"): "create_contract",
    ("get", "/contract/{contract_number}"): "get_contract",
    ("delete", "/contract/{contract_number}"): "delete_contract",
    ("get", "/{contract_number}/contract_timeline"): "get_timeline",
    ("get", "/{contract_number}/events"): "get_history",
    ("get", "/rules"): "get_rules",
    ("get", "/rules/diagram"): "get_rules_diagram",
    ("get", "/rules/schema"): "get_rules_schema",
}


def test_operations_have_stable_readable_ids(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    ids = {(method, path): op["operationId"] for path, ops in paths.items() for method, op in ops.items()}
    assert {key: ids.get(key) for key in OPERATIONS} == OPERATIONS
    assert len(set(ids.values())) == len(ids)


def test_no_body_the_service_never_sends(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert not {"HTTPValidationError", "ValidationError"} & set(document["components"]["schemas"])
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for status_code, response in operation["responses"].items():
                if status_code >= "400":
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Envelope"}, (path, status_code)


def _properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, prop in schema.get("properties", {}).items():
        yield name, prop
        for option in prop.get("anyOf", []):
            yield name, option


def test_every_time_is_an_rfc3339_date_time(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    times = [
        (model, name, prop)
        for model, schema in schemas.items()
        for name, prop in _properties(schema)
        if name.endswith("_at") and prop.get("type") == "string"
    ]
    typed = {(model, name) for model, name, _ in times}
    assert typed >= {("EventResult", "created_at"), ("ContractRead", "created_at"), ("ChangedEventRead", "created_at")}
    for model, name, prop in times:
        assert prop.get("format") == "date-time", (model, name)
        assert "pattern" not in prop, (model, name)


def test_answers_write_times_in_utc_with_z(client: TestClient) -> None:
    made = client.post("/contract/", json={"contract_number": "1", "components": ["energy_supply"]}).json()
    assert made["created_at"].endswith("Z")
    event = {"type": "supply_energy_start", "contract_number": "1", "date": "2024-01-01"}
    answer = client.post("/event", json={**event, "created_at": "2024-01-01T01:30:00.25+01:30"}).json()
    assert answer["created_at"] == "2024-01-01T00:00:00.250000Z"
    stored = client.get("/1/events").json()["events"][0]
    assert stored["created_at"] == "2024-01-01T00:00:00.250000Z"
    assert stored["received_at"].endswith("Z")
    assert client.get("/contract/1").json()["created_at"] == made["created_at"]
