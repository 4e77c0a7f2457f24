"""GET /changes through the ASGI app: which writes make records, filters, paging, long poll, 410."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from app.feed.changes import fold
from app.feed.retention import prune_once
from tests.conftest import make_contract

START = {
    "type": "battery_optimization_start",
    "contract_number": "1234",
    "date": "2024-03-03",
    "created_at": "2024-03-03T10:00:00",
}
END = {**START, "type": "battery_optimization_end", "date": "2024-03-10", "created_at": "2024-03-05T10:00:00"}
LATE_START = {**START, "date": "2024-03-12", "created_at": "2024-03-04T10:00:00"}


def changes(client: TestClient, **params: Any) -> dict[str, Any]:
    answer = client.get("/changes", params=params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_every_change_of_stored_state_is_one_record_in_seq_order(client: TestClient) -> None:
    make_contract(client, "1234", ["energy_supply", "battery_optimization"])
    client.post("/event", json=START)
    client.post("/event", json=END)
    client.post(
        "/event", json={**END, "date": "2024-01-01", "created_at": "2024-03-06T10:00:00"}
    )  # rejected, no change
    client.post("/event", json=LATE_START)  # flips the end to a rejection
    client.post("/event?dry_run=true", json={**START, "date": "2024-05-01", "created_at": "2024-06-01T00:00:00"})
    records = changes(client)["changes"]
    assert [r["seq"] for r in records] == [1, 2, 3, 4]
    assert [(r["kind"], r["component"], r["cause"]["kind"]) for r in records] == [
        ("contract_created", None, "contract"),
        ("timeline", "battery_optimization", "event"),
        ("timeline", "battery_optimization", "event"),
        ("timeline", "battery_optimization", "late_event"),
    ]
    late = records[3]
    history = client.get("/1234/events").json()["events"]
    ids = {(e["type"], e["date"]): e["id"] for e in history}
    assert late["cause"]["id"] == ids[("battery_optimization_start", "2024-03-12")]
    assert [v["event_id"] for v in late["verdicts"]] == [ids[("battery_optimization_end", "2024-03-10")]]
    assert late["verdicts"][0]["current"]["code"] == "end_before_start"
    assert late["before"] == {"start": "2024-03-03", "end": "2024-03-10", "state": "ended"}
    assert fold(records) == {"1234": client.get("/1234/contract_timeline").json()["components"]}
    client.delete("/contract/1234")
    deleted = changes(client, after=4)["changes"]
    assert [(r["kind"], r["after"]) for r in deleted] == [("contract_deleted", None)]
    assert fold(records + deleted) == {}


def test_filters_and_paging_move_next_past_records_of_others(client: TestClient) -> None:
    make_contract(client, "1234")
    make_contract(client, "77")
    client.post("/event", json=START)
    client.post("/event", json={**START, "contract_number": "77", "type": "supply_energy_start"})
    assert [r["seq"] for r in changes(client, contract_number="77")["changes"]] == [2, 4]
    only_battery = changes(client, component="battery_optimization")
    assert [r["seq"] for r in only_battery["changes"]] == [3]
    assert only_battery["next"] == 4  # nothing of battery's after 3, yet the reader moves on
    first = changes(client, limit=1)
    assert [r["seq"] for r in first["changes"]] == [1]
    assert first["next"] == 1
    assert changes(client, after=4) == {"changes": [], "next": 4}


def test_a_long_poll_waits_then_answers_empty(client: TestClient) -> None:
    started = time.monotonic()
    assert changes(client, after=0, wait=0.3) == {"changes": [], "next": 0}
    assert time.monotonic() - started >= 0.29


def test_a_pruned_position_is_410_never_a_silent_gap(client: TestClient) -> None:
    make_contract(client, "1234")
    client.post("/event", json=START)
    prune_once(client.app.state.runtime.engines.writer, timedelta(0))  # type: ignore[attr-defined]
    gone = client.get("/changes", params={"after": 0})
    assert gone.status_code == 410
    assert gone.json()["code"] == "feed_position_expired"
    assert gone.json()["status"] == "error"
    assert client.get("/changes/stream", params={"after": 1}).status_code == 410
    assert changes(client, after=2) == {"changes": [], "next": 2}
    client.post("/event", json=END)
    assert [r["seq"] for r in changes(client, after=2)["changes"]] == [3]


def test_revocations_and_amendments_are_records_of_the_feed(client: TestClient) -> None:
    make_contract(client, "1234", ["battery_optimization"])
    client.post("/event", json=START)
    client.post("/event", json=END)
    end_id = client.get("/1234/events").json()["events"][1]["id"]
    revoked = client.post(f"/events/{end_id}/revoke", json={"reason": "sent by mistake"})
    assert revoked.status_code == 200, revoked.text
    amended = client.patch("/contract/1234", json={"add_components": ["energy_supply"]})
    assert amended.status_code == 200, amended.text
    records = changes(client, after=3)["changes"]
    assert [(r["kind"], r["cause"]["kind"]) for r in records] == [
        ("timeline", "revocation"),
        ("contract_amended", "amendment"),
    ]
    assert records[0]["cause"]["id"] == revoked.json()["revocation_id"]
    assert (records[0]["before"]["state"], records[0]["after"]["state"]) == ("ended", "started")
    everything = changes(client)["changes"]
    assert fold(everything) == {"1234": client.get("/1234/contract_timeline").json()["components"]}
