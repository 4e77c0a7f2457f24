"""Policies written in YAML only, through the API; lifecycle-declared dates in the answers;
and ``rules simulate`` agreeing with the service on the same file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli.main import app as cli
from app.main import create_app
from app.settings import Settings
from tests.conftest import ROOT, make_contract

FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def serve(settings: Settings) -> Iterator[object]:
    clients: list[TestClient] = []

    def start(rules: Path) -> TestClient:
        client = TestClient(create_app(settings.model_copy(update={"rules_dir": rules})))
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def test_a_supply_start_dated_yesterday_is_backdated(serve: object) -> None:
    client: TestClient = serve(FIXTURES / "rules_policies")  # type: ignore[operator]
    make_contract(client)
    today = datetime.now(UTC).date()
    body = {"type": "supply_energy_start", "contract_number": "1234"}
    yesterday = client.post("/event", json={**body, "date": (today - timedelta(days=1)).isoformat()})
    assert (yesterday.status_code, yesterday.json()["code"]) == (409, "backdated_start")
    assert yesterday.json()["message"] == "A supply start cannot be dated before the day it is received."
    assert client.post("/event", json={**body, "date": today.isoformat()}).status_code == 200


def test_declared_dates_are_stored_checked_and_answered(serve: object) -> None:
    client: TestClient = serve(FIXTURES / "rules_ev")  # type: ignore[operator]
    make_contract(client, components=["ev_charging_optimization"])

    def send(kind: str, day: str, at: str) -> str:
        body = {"type": f"ev_charging_optimization_{kind}", "contract_number": "1234", "date": day, "created_at": at}
        return str(client.post("/event", json=body).json()["code"])

    assert send("start", "2025-01-01", "2025-01-01T08:00:00") == "accepted"
    assert send("pause", "2025-02-01", "2025-01-02T08:00:00") == "accepted"
    assert send("resume", "2025-01-15", "2025-01-03T08:00:00") == "resume_before_pause"
    timeline = client.get("/1234/contract_timeline").json()["components"]["ev_charging_optimization"]
    assert timeline == {"start": "2025-01-01", "end": None, "state": "paused", "paused_from": "2025-02-01"}
    assert send("resume", "2025-02-10", "2025-01-04T08:00:00") == "accepted"
    # A late pause, before the first: the resume is judged again against the new pause date.
    assert send("pause", "2025-02-20", "2025-01-02T07:00:00") == "accepted"
    events = client.get("/1234/events").json()["events"]
    assert [e["dates_after"].get("paused_from") for e in events] == [
        None,
        "2025-02-20",
        "2025-02-20",
        "2025-02-20",
        "2025-02-20",
    ]
    assert [e["code"] for e in events] == [
        "accepted",
        "accepted",
        "already_paused",
        "resume_before_pause",
        "resume_before_pause",
    ]


def test_simulate_and_the_service_agree_on_the_same_file(serve: object, tmp_path: Path) -> None:
    """Events without created_at are stamped alike: the time of receipt plus their position."""
    client: TestClient = serve(ROOT / "rules")  # type: ignore[operator]
    events = json.loads((FIXTURES / "seed_events.json").read_text())
    events[3] = {**events[3], "created_at": "2024-01-01T00:00:00"}  # one event older than the rest
    events.append(
        {
            "type": "battery_optimization_end",
            "contract_number": "1234",
            "date": "2024-03-20",
            "created_at": "2024-01-01T00:00:01",
        }
    )
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events))
    make_contract(client)
    make_contract(client, "9999")
    answered = [r["code"] for r in client.post("/events", json=events).json()["results"]]

    done = CliRunner().invoke(cli, ["simulate", str(path), "--rules", str(ROOT / "rules")])
    assert done.exit_code == 0, done.output
    table = done.output.split("Verdicts (in file order)", 1)[1].strip().split("\n\n")[0].splitlines()[2:]
    simulated = [line.split()[4] if line.split()[4] == "accepted" else line.split()[5].rstrip(":") for line in table]
    assert simulated == answered
    assert "restart_after_end" in answered
    assert "end_before_start" in answered
