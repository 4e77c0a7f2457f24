"""Issue 8 §6: ``status`` says one thing per kind of outcome, in the answers and in /docs alike.

- ``accepted``: an event was accepted;
- ``rejected``: a verdict on an event that was not accepted (rule rejections, unknown contract,
  unsupported type, component not on the contract);
- ``accepted`` with code ``revoked``: a revocation went through (issue 10 §2), a repeat included;
- ``ok``: any other success (delete, health, readiness);
- ``error``: a malformed request, or a missing resource on a read or a delete.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.rules import load_rulebook
from tests.conftest import ALL_COMPONENTS, RULES, make_contract

EVENT_OPERATIONS = {"post_event", "post_events"}
REVOCATION_OPERATIONS = {"revoke_event", "revoke_event_by_event_id"}
DOMAIN_VERDICTS = {"contract_not_found", "unsupported_event_type", "component_not_in_contract"}
VERDICTS = DOMAIN_VERDICTS | set(load_rulebook(RULES).as_document()["messages"])


def expected_status(operation: str, http_status: int, code: str) -> str:
    """The rule above, for an answer of ``operation`` with this HTTP status and code."""
    if operation in EVENT_OPERATIONS and code == "accepted":
        return "accepted"
    if operation in EVENT_OPERATIONS and code in VERDICTS:
        return "rejected"
    if operation in REVOCATION_OPERATIONS and code == "revoked" and 200 <= http_status < 300:
        return "accepted"
    return "ok" if 200 <= http_status < 300 else "error"


def documented_examples(document: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    found = []
    for operations in document["paths"].values():
        for operation in operations.values():
            for status_code, response in operation["responses"].items():
                media = response.get("content", {}).get("application/json", {})
                values = [e["value"] for e in media.get("examples", {}).values()]
                values += [media["example"]] if "example" in media else []
                found += [(operation["operationId"], int(status_code), value) for value in values]
    return found


def test_every_documented_example_has_the_status_of_its_outcome(client: TestClient) -> None:
    examples = documented_examples(client.get("/openapi.json").json())
    enveloped = [(op, http, value) for op, http, value in examples if "status" in value]
    assert {http for _, http, _ in enveloped} >= {200, 400, 404, 409, 413, 422}
    for operation, http_status, value in enveloped:
        assert value["status"] == expected_status(operation, http_status, value["code"]), (operation, value)


def test_every_envelope_answer_is_documented_with_an_example(client: TestClient) -> None:
    """Without one, /docs invents a body from the schema, and shows "accepted" on a 413."""
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for status_code, response in operation["responses"].items():
                media = response.get("content", {}).get("application/json", {})
                if media.get("schema", {}).get("$ref", "").endswith("/Envelope"):
                    assert media.get("examples"), (path, operation["operationId"], status_code)


EVENT = {"type": "battery_optimization_start", "contract_number": "1234", "date": "2024-03-03"}
END_BEFORE = {**EVENT, "type": "battery_optimization_end", "date": "2024-01-01"}


def answers(client: TestClient) -> list[tuple[str, Any]]:
    """One request for each kind of outcome of every endpoint, with the operation it reached."""
    make_contract(client, "1234", ["energy_supply", "battery_optimization"])
    post = client.post
    return [
        ("post_event", post("/event", json=EVENT)),
        ("post_event", post("/event", json=EVENT)),  # a duplicate repeats the verdict
        ("post_event", post("/event", json=END_BEFORE)),
        ("post_event", post("/event", json={**EVENT, "contract_number": "9999"})),
        ("post_event", post("/event", json={**EVENT, "type": "solar_start"})),
        ("post_event", post("/event", json={**EVENT, "type": "heatpump_optimization_start"})),
        ("post_event", post("/event", json={**EVENT, "date": "tomorrow"})),
        ("post_event", post("/event?dry_run=true", json={**EVENT, "date": "2024-03-04"})),
        ("post_event", post("/event", content=b"{not json", headers={"Content-Type": "application/json"})),
        ("post_events", post("/events", json=[EVENT, END_BEFORE, {**EVENT, "contract_number": "9999"}])),
        ("post_events", post("/events", json=[EVENT, {**EVENT, "date": 3}])),
        ("create_contract", post("/contract/", json={"contract_number": "1234", "components": ALL_COMPONENTS})),
        ("create_contract", post("/contract/", json={"contract_number": "events", "components": ALL_COMPONENTS})),
        ("create_contract", post("/contract/", json={"contract_number": "7", "components": ["solar"]})),
        ("get_contract", client.get("/contract/9999")),
        ("get_timeline", client.get("/9999/contract_timeline")),
        ("get_history", client.get("/9999/events")),
        ("revoke_event", post("/events/ev_1/revoke")),
        ("revoke_event", post("/events/ev_1/revoke")),  # a repeat
        ("revoke_event", post("/events/ev_1/revoke?dry_run=true")),
        ("revoke_event", post("/events/ev_999/revoke")),
        ("revoke_event", post("/events/ev_1/revoke", json={"reason": 3})),
        ("revoke_event_by_event_id", post("/events/revoke", json={"contract_number": "1234", "event_id": "x"})),
        ("amend_contract", client.patch("/contract/1234", json={"add_components": ["heatpump_optimization"]})),
        ("amend_contract", client.patch("/contract/1234", json={"add_components": ["energy_supply"]})),
        ("amend_contract", client.patch("/contract/1234", json={"remove_components": ["battery_optimization"]})),
        ("amend_contract", client.patch("/contract/1234", json={"add_components": ["solar"]})),
        ("list_contracts", client.get("/contracts?after=nonsense")),
        ("get_timeline", client.get("/1234/contract_timeline?as_known_at=2000-01-01T00:00:00Z")),
        ("delete_contract", client.delete("/contract/9999")),
        ("delete_contract", client.delete("/contract/1234")),
        ("unrouted", client.get("/no/such/path/here")),
        ("unrouted", client.put("/event", json=EVENT)),
    ]


def enveloped(body: Any) -> list[dict[str, Any]]:
    """The envelopes of an answer: itself, or each result of a batch, with their changes."""
    items: list[Any] = body.get("results", [body])
    nested = [side for item in items for change in item.get("changed", []) for side in change.values()]
    return [e for e in items + nested if isinstance(e, dict) and "status" in e]


def test_every_answer_has_the_status_of_its_outcome(client: TestClient) -> None:
    seen = set()
    for operation, response in answers(client):
        for envelope in enveloped(response.json()):
            http_status = 200 if "results" in response.json() else response.status_code
            expected = expected_status(operation, http_status, envelope["code"])
            assert envelope["status"] == expected, (operation, response.status_code, envelope)
            seen.add(envelope["status"])
    assert seen == {"accepted", "rejected", "ok", "error"}


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_health_and_readiness_answer_ok(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
