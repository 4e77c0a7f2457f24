"""POST /event and POST /events: verdicts, error paths, redelivery and late events."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_contract

REJECTION_KEYS = {"status", "message", "code"}


def event(kind: str, day: str, created_at: str | None = None, number: str = "1234", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "contract_number": number, "date": day, **extra}
    if created_at:
        body["created_at"] = created_at
    return body


def history(client: TestClient, number: str = "1234") -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = client.get(f"/{number}/events").json()["events"]
    return events


def test_accepted_event_answers_the_challenge_envelope(client: TestClient) -> None:
    make_contract(client)
    response = client.post("/event", json=event("battery_optimization_start", "2024-03-03", "2024-03-03T10:00:00"))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["message"], body["code"]) == ("accepted", "Event processed successfully.", "accepted")
    assert client.get("/1234/contract_timeline").json()["components"]["battery_optimization"] == {
        "start": "2024-03-03",
        "end": None,
        "state": "started",
    }


def test_unknown_contract(client: TestClient) -> None:
    response = client.post("/event", json=event("supply_energy_start", "2024-12-01", number="9999"))
    assert response.status_code == 404
    body = response.json()
    assert {k: body[k] for k in REJECTION_KEYS} == {
        "status": "rejected",
        "message": "Contract 9999 not found.",
        "code": "contract_not_found",
    }


def test_rule_rejection_is_409_with_table_message_and_stored(client: TestClient) -> None:
    make_contract(client)
    client.post("/event", json=event("supply_energy_start", "2024-12-01", "2024-01-01T00:00:00"))
    response = client.post("/event", json=event("supply_energy_end", "2024-11-30", "2024-01-02T00:00:00"))
    assert response.status_code == 409
    assert response.json()["message"] == "End event cannot occur before start event."
    assert response.json()["code"] == "end_before_start"
    assert [e["code"] for e in history(client)] == ["accepted", "end_before_start"]
    assert client.get("/1234/contract_timeline").json()["components"]["energy_supply"] == {
        "start": "2024-12-01",
        "end": None,
        "state": "started",
    }


def test_component_not_in_contract(client: TestClient) -> None:
    make_contract(client, components=["energy_supply"])
    response = client.post("/event", json=event("heatpump_optimization_start", "2024-01-01"))
    assert response.status_code == 409
    assert response.json()["code"] == "component_not_in_contract"
    assert history(client) == []


def test_unsupported_type_lists_supported_types(client: TestClient) -> None:
    make_contract(client)
    response = client.post("/event", json=event("solar_start", "2024-01-01"))
    assert response.status_code == 422
    assert response.json()["code"] == "unsupported_event_type"
    assert "supply_energy_start" in response.json()["message"]
    assert history(client) == []


@pytest.mark.parametrize(
    "body",
    [
        event("supply_energy_start", "2024-02-30"),
        event("supply_energy_start", "2024-02-03T00:00:00"),
        event("supply_energy_start", "20240203"),
        event("supply_energy_start", "2024-01-01", created_at="yesterday"),
        event("supply_energy_start", "2024-01-01", unexpected=1),
        {"type": "supply_energy_start", "contract_number": "1234"},
        {"type": 5, "contract_number": "1234", "date": "2024-01-01"},
        event("supply_energy_start", "2024-01-01", event_id=""),
        [],
        "text",
    ],
)
def test_malformed_payloads_are_422_envelopes(client: TestClient, body: Any) -> None:
    make_contract(client)
    response = client.post("/event", json=body)
    assert response.status_code == 422
    assert set(response.json()) == REJECTION_KEYS
    assert response.json()["code"] == "invalid_payload"
    assert history(client) == []


def test_invalid_json_is_422(client: TestClient) -> None:
    response = client.post("/event", content=b'{"type": ', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert set(response.json()) == REJECTION_KEYS


def test_redelivery_is_not_stored_twice(client: TestClient) -> None:
    make_contract(client)
    body = event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00")
    first, again = client.post("/event", json=body), client.post("/event", json=body)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert again.json()["code"] == "accepted"
    rejected = event("supply_energy_end", "2023-01-01", "2024-01-02T00:00:00")
    assert client.post("/event", json=rejected).status_code == 409
    repeated = client.post("/event", json=rejected)
    assert (repeated.status_code, repeated.json()["duplicate"]) == (409, True)
    assert len(history(client)) == 2


def test_repeated_event_id_is_not_stored_twice(client: TestClient) -> None:
    make_contract(client)
    client.post("/event", json=event("supply_energy_start", "2024-01-01", event_id="evt-1"))
    again = client.post("/event", json=event("supply_energy_start", "2024-01-01", event_id="evt-1"))
    assert (again.status_code, again.json()["duplicate"], again.json()["code"]) == (200, True, "accepted")
    assert [e["event_id"] for e in history(client)] == ["evt-1"]


def test_event_id_reused_with_other_content_is_refused_and_stores_nothing(client: TestClient) -> None:
    make_contract(client)
    client.post("/event", json=event("supply_energy_start", "2024-01-01", "2024-01-01T08:00:00", event_id="evt-1"))
    clash = client.post(
        "/event", json=event("supply_energy_start", "2024-02-02", "2024-01-01T08:00:00", event_id="evt-1")
    )
    assert clash.status_code == 409
    body = clash.json()
    assert (body["status"], body["code"]) == ("error", "event_id_conflict")
    assert "supply_energy_start dated 2024-01-01" in body["message"]
    assert "date 2024-02-02 instead of 2024-01-01" in body["message"]
    in_batch = client.post(
        "/events",
        json=[
            event("battery_optimization_start", "2024-03-01", "2024-03-01T00:00:00", event_id="evt-2"),
            event("battery_optimization_start", "2024-03-02", "2024-03-01T00:00:00", event_id="evt-2"),
        ],
    )
    assert (in_batch.status_code, in_batch.json()["code"]) == (409, "event_id_conflict")
    assert in_batch.json()["message"].startswith("events[1]: ")
    assert [e["event_id"] for e in history(client)] == ["evt-1"]
    assert client.get("/1234/contract_timeline").json()["components"]["energy_supply"]["start"] == "2024-01-01"


def test_late_start_turns_earlier_rejected_end_into_accepted(client: TestClient) -> None:
    make_contract(client)
    end = client.post("/event", json=event("supply_energy_end", "2024-12-31", "2024-01-02T00:00:00"))
    assert end.json()["code"] == "end_without_start"
    start = client.post("/event", json=event("supply_energy_start", "2024-12-01", "2024-01-01T00:00:00"))
    assert start.status_code == 200
    [changed] = start.json()["changed"]
    assert (changed["type"], changed["previous"]["code"], changed["current"]["code"]) == (
        "supply_energy_end",
        "end_without_start",
        "accepted",
    )
    assert [e["code"] for e in history(client)] == ["accepted", "accepted"]
    assert client.get("/1234/contract_timeline").json()["components"]["energy_supply"] == {
        "start": "2024-12-01",
        "end": "2024-12-31",
        "state": "ended",
    }


def test_late_end_makes_later_start_a_restart(client: TestClient) -> None:
    make_contract(client)
    client.post("/event", json=event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00"))
    client.post("/event", json=event("supply_energy_start", "2024-02-01", "2024-01-03T00:00:00"))
    late = client.post("/event", json=event("supply_energy_end", "2024-06-01", "2024-01-02T00:00:00"))
    assert late.status_code == 200
    assert [c["current"]["code"] for c in late.json()["changed"]] == ["restart_after_end"]
    assert client.get("/1234/contract_timeline").json()["components"]["energy_supply"] == {
        "start": "2024-01-01",
        "end": "2024-06-01",
        "state": "ended",
    }


def test_created_at_offsets_are_converted_to_utc(client: TestClient) -> None:
    make_contract(client)
    client.post("/event", json=event("supply_energy_end", "2024-12-31", "2024-01-01T00:30:00Z"))
    # 01:00 at +01:00 is 00:00 UTC: before the end, so the end becomes valid.
    late = client.post("/event", json=event("supply_energy_start", "2024-12-01", "2024-01-01T01:00:00+01:00"))
    assert late.json()["created_at"] == "2024-01-01T00:00:00Z"
    assert late.json()["changed"][0]["created_at"] == "2024-01-01T00:30:00Z"
    assert late.json()["changed"][0]["current"]["code"] == "accepted"


def test_equal_created_at_applies_start_before_end(client: TestClient) -> None:
    make_contract(client)
    at = "2024-01-01T00:00:00"
    client.post("/event", json=event("supply_energy_end", "2024-12-31", at))
    client.post("/event", json=event("supply_energy_start", "2024-12-01", at))
    assert [e["type"] for e in history(client)] == ["supply_energy_start", "supply_energy_end"]
    assert [e["status"] for e in history(client)] == ["accepted", "accepted"]


def test_batch_results_in_input_order(client: TestClient) -> None:
    make_contract(client)
    body = [
        event("supply_energy_end", "2024-12-31"),
        event("supply_energy_start", "2024-12-01"),
        event("supply_energy_start", "2024-12-01", number="9999"),
        event("nope", "2024-01-01"),
    ]
    response = client.post("/events", json=body)
    assert response.status_code == 200
    # Without created_at, list position decides the order: the end comes first and has no start.
    assert [r["code"] for r in response.json()["results"]] == [
        "end_without_start",
        "accepted",
        "contract_not_found",
        "unsupported_event_type",
    ]


def test_batch_limit_is_413(client: TestClient) -> None:
    make_contract(client)
    limit = client.app.state.runtime.settings.max_batch_events  # type: ignore[attr-defined]
    response = client.post("/events", json=[event("supply_energy_start", "2024-01-01")] * (limit + 1))
    assert response.status_code == 413
    assert response.json()["code"] == "too_many_events"
    assert history(client) == []
