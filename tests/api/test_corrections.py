"""Issue 10 §1, §2 and §5 through the API: event ids, revocation and amendment, every error path."""

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import make_contract

START = {"type": "battery_optimization_start", "contract_number": "1234", "date": "2024-03-01"}
END = {"type": "battery_optimization_end", "contract_number": "1234", "date": "2024-03-10"}


def at(hour: int, event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "created_at": f"2024-03-03T{hour:02d}:00:00Z"}


def history(client: TestClient, number: str = "1234") -> list[dict[str, Any]]:
    return list(client.get(f"/{number}/events").json()["events"])


def test_every_result_carries_the_stored_events_id(client: TestClient) -> None:
    make_contract(client)
    single = client.post("/event", json=at(1, START)).json()
    batch = client.post("/events", json=[at(2, END), at(1, START), at(2, END)]).json()["results"]
    stored = {e["created_at"]: e["id"] for e in history(client)}
    assert re.fullmatch(r"ev_\d+", single["id"])
    assert single["id"] == stored["2024-03-03T01:00:00Z"]
    assert batch[0]["id"] == stored["2024-03-03T02:00:00Z"]
    assert (batch[1]["duplicate"], batch[1]["id"]) == (True, single["id"])  # a stored duplicate: its id
    assert (batch[2]["duplicate"], batch[2]["id"]) == (True, batch[0]["id"])  # a repeat within the request
    assert client.post("/event?dry_run=true", json=at(3, END)).json()["id"] is None
    unknown = client.post("/event", json={**START, "contract_number": "9999"}).json()
    assert unknown["id"] is None


def test_a_revocation_replays_the_component_and_lists_flipped_verdicts(client: TestClient) -> None:
    make_contract(client)
    start = client.post("/event", json=at(1, START)).json()
    end = client.post("/event", json=at(2, END)).json()
    assert end["code"] == "accepted"

    preview = client.post(f"/events/{start['id']}/revoke?dry_run=true").json()
    assert (preview["revocation_id"], preview["changed_total"]) == (None, 1)
    assert client.get("/1234/contract_timeline").json()["components"]["battery_optimization"]["state"] == "ended"

    answer = client.post(f"/events/{start['id']}/revoke", json={"reason": "wrong contract"})
    body = answer.json()
    assert answer.status_code == 200
    assert (body["status"], body["code"], body["duplicate"]) == ("accepted", "revoked", False)
    assert re.fullmatch(r"rv_\d+", body["revocation_id"])
    assert body["timeline"] == {
        "before": {"start": "2024-03-01", "end": "2024-03-10", "state": "ended"},
        "after": {"start": None, "end": None, "state": "not_started"},
    }
    [flip] = body["changed"]
    assert (flip["id"], flip["previous"]["code"], flip["current"]["code"]) == (
        end["id"],
        "accepted",
        "end_without_start",
    )
    assert body["changed_total"] == 1
    assert preview["changed"] == body["changed"]
    assert client.get("/1234/contract_timeline").json()["components"]["battery_optimization"]["state"] == "not_started"
    revoked, later = history(client)
    assert (revoked["revoked"], revoked["revocation_reason"], revoked["code"]) == (True, "wrong contract", "accepted")
    assert revoked["revoked_at"] is not None
    assert (later["revoked"], later["code"]) == (False, "end_without_start")

    again = client.post(f"/events/{start['id']}/revoke", json={"reason": "other"}).json()
    assert (again["duplicate"], again["changed"], again["revocation_id"]) == (True, [], body["revocation_id"])
    assert again["reason"] == "wrong contract"
    # The revoked event sent again is a repeat of it, not a new event.
    repeat = client.post("/event", json=at(1, START)).json()
    assert (repeat["duplicate"], repeat["id"]) == (True, start["id"])
    # A new start later replays normally past the revoked one.
    client.post("/event", json=at(0, {**START, "date": "2024-02-01"}))
    assert [e["code"] for e in history(client)] == ["accepted", "accepted", "accepted"]


def test_revoking_by_the_clients_event_id(client: TestClient) -> None:
    make_contract(client)
    stored = client.post("/event", json={**at(1, START), "event_id": "up/7781"}).json()
    answer = client.post("/events/revoke", json={"contract_number": "1234", "event_id": "up/7781"})
    assert (answer.status_code, answer.json()["id"], answer.json()["event_id"]) == (200, stored["id"], "up/7781")
    assert client.post("/events/revoke", json={"contract_number": "1234", "event_id": "up/7781"}).json()["duplicate"]


def test_revocation_errors(client: TestClient) -> None:
    make_contract(client)
    stored = client.post("/event", json=at(1, START)).json()
    for path, body in [
        ("/events/ev_999999/revoke", None),
        ("/events/not-an-id/revoke", None),
        ("/events/revoke", {"contract_number": "1234", "event_id": "nope"}),
        ("/events/revoke", {"contract_number": "9999", "event_id": "nope"}),
    ]:
        response = client.post(path, json=body)
        assert (response.status_code, response.json()["status"], response.json()["code"]) == (
            404,
            "error",
            "event_not_found",
        ), path
    bodies: list[dict[str, Any]] = [{"reason": "a\x00b"}, {"reason": "x" * 501}, {"unknown": 1}]
    for body in bodies:
        response = client.post(f"/events/{stored['id']}/revoke", json=body)
        assert (response.status_code, response.json()["code"]) == (422, "invalid_payload")
    client.delete("/contract/1234")
    response = client.post(f"/events/{stored['id']}/revoke")
    assert (response.status_code, response.json()["code"]) == (404, "event_not_found")


def test_amending_a_contract(client: TestClient) -> None:
    make_contract(client, "1234", ["energy_supply"])
    before = client.post("/event", json=at(1, START)).json()
    assert before["code"] == "component_not_in_contract"
    amended = client.patch("/contract/1234", json={"add_components": ["battery_optimization"]})
    assert (amended.status_code, amended.json()["components"]) == (200, ["energy_supply", "battery_optimization"])
    assert client.post("/event", json=at(2, START)).json()["code"] == "accepted"
    assert list(client.get("/1234/contract_timeline").json()["components"]) == [
        "energy_supply",
        "battery_optimization",
    ]
    assert [e["created_at"] for e in history(client)] == ["2024-03-03T02:00:00Z"]  # the refused one was not stored

    def refused(body: dict[str, Any], number: str = "1234") -> tuple[int, str, str]:
        response = client.patch(f"/contract/{number}", json=body)
        return response.status_code, response.json()["code"], response.json()["message"]

    assert refused({"add_components": ["energy_supply"]})[:2] == (409, "component_exists")
    status, code, message = refused({"remove_components": ["battery_optimization"]})
    assert (status, code) == (409, "component_has_events")
    assert "revoke" in message.lower()
    assert refused({"remove_components": ["heatpump_optimization"]})[:2] == (409, "component_not_held")
    assert refused({"add_components": ["solar"]})[:2] == (422, "invalid_components")
    assert refused({})[:2] == (422, "invalid_components")
    assert refused({"remove_components": ["energy_supply"], "add_components": ["energy_supply"]})[:2] == (
        422,
        "invalid_components",
    )
    assert refused({"add_components": ["heatpump_optimization"]}, "9999")[:2] == (404, "contract_not_found")
    assert refused({"add_components": "energy_supply"})[:2] == (422, "invalid_payload")

    [event] = history(client)
    client.post(f"/events/{event['id']}/revoke")
    removed = client.patch("/contract/1234", json={"remove_components": ["battery_optimization"]})
    assert (removed.status_code, removed.json()["components"]) == (200, ["energy_supply"])
    assert refused({"remove_components": ["energy_supply"]})[:2] == (422, "invalid_components")
    # Added again, the revoked event's repeat is still a repeat, and new events count.
    client.patch("/contract/1234", json={"add_components": ["battery_optimization"]})
    assert client.post("/event", json=at(2, START)).json()["duplicate"] is True
    assert client.post("/event", json=at(3, START)).json()["code"] == "accepted"
