"""Findings of the adversarial review on the write path, each pinned by a test through the API
(real database file or PostgreSQL), plus the service-level cap on ``changed``."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db.engines import create_engines
from app.db.prepared import Prepared
from app.domain.engine import RulesEngine
from app.domain.fold import chooser
from app.domain.rules import load_rulebook
from app.services.commands import EventCommand
from app.services.event_log import CHANGED_LIMIT, record_events
from app.settings import Settings
from tests.api.test_events import event, history
from tests.conftest import RULES, make_contract


def replays(client: TestClient) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("event_replays_total"):
            return float(line.split()[-1])
    return 0.0


def test_a_batch_whose_earliest_event_is_a_duplicate_keeps_its_changed_list(client: TestClient) -> None:
    make_contract(client)
    start = event("supply_energy_start", "2024-01-10", "2024-01-01T00:00:00")
    end = event("supply_energy_end", "2024-01-05", "2024-01-03T00:00:00")  # before the start date: rejected
    assert client.post("/event", json=start).status_code == 200
    assert client.post("/event", json=end).json()["code"] == "end_before_start"
    late_start = event("supply_energy_start", "2024-01-01", "2024-01-02T00:00:00")
    results = client.post("/events", json=[start, late_start]).json()["results"]
    assert [r["duplicate"] for r in results] == [True, False]
    [changed] = results[1]["changed"]
    assert results[1]["changed_total"] == 1
    assert (changed["previous"]["code"], changed["current"]["code"]) == ("end_before_start", "accepted")


def test_a_duplicate_by_event_id_answers_the_verdict_after_the_request(client: TestClient) -> None:
    make_contract(client)
    end = event("supply_energy_end", "2024-02-01", "2024-01-03T00:00:00", event_id="end-1")
    assert client.post("/event", json=end).json()["code"] == "end_without_start"
    start = event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00")
    results = client.post("/events", json=[start, end]).json()["results"]
    assert results[1]["duplicate"] is True
    assert (results[1]["status"], results[1]["code"]) == ("accepted", "accepted")
    assert [e["code"] for e in history(client)] == ["accepted", "accepted"]


def test_in_order_events_of_a_batch_are_not_counted_as_replays(client: TestClient) -> None:
    make_contract(client)
    before = replays(client)
    batch = [event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00")] + [
        event("supply_energy_end", f"2024-02-{d:02d}", f"2024-01-{d:02d}T00:00:00") for d in range(2, 10)
    ]
    assert all(r["code"] == "accepted" for r in client.post("/events", json=batch).json()["results"])
    assert replays(client) == before
    late = client.post("/event", json=event("supply_energy_start", "2024-01-01", "2023-12-31T00:00:00"))
    assert late.json()["code"] == "accepted"
    assert replays(client) == before + 1


def test_dry_runs_see_only_committed_state_and_store_nothing(client: TestClient) -> None:
    make_contract(client)
    start = event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00")
    end = event("supply_energy_end", "2024-02-01", "2024-01-02T00:00:00")
    assert client.post("/event?dry_run=true", json=start).json()["code"] == "accepted"
    assert client.post("/event?dry_run=true", json=end).json()["code"] == "end_without_start"
    assert history(client) == []
    batch = client.post("/events?dry_run=true", json=[start, end]).json()["results"]
    assert [r["code"] for r in batch] == ["accepted", "accepted"]
    assert history(client) == []


def test_changed_is_capped_and_counts_them_all(settings: Settings, client: TestClient) -> None:
    make_contract(client)
    base = datetime(2024, 1, 1)
    ends = [event("supply_energy_end", "2024-06-01", (base + timedelta(hours=h)).isoformat()) for h in range(1, 151)]
    client.post("/events", json=ends)  # all rejected: no start yet
    engines = create_engines(settings.database_url)
    try:
        with engines.writer.begin() as conn:
            [outcome] = record_events(
                conn,
                [EventCommand("supply_energy_start", "1234", base.date(), base, base)],
                rules=chooser(RulesEngine(load_rulebook(RULES))),
            )
    finally:
        engines.dispose()
    assert (len(outcome.changed), outcome.changed_total) == (CHANGED_LIMIT, 150)
    assert outcome.replayed == 150


def test_prepared_statements_raise_sqlalchemy_errors_like_the_connection_path(settings: Settings) -> None:
    """The same database condition gives the same exception type on both paths."""
    statement = text("SELECT no_such_column FROM contracts")
    engines = create_engines(settings.database_url)
    raised: list[type[BaseException]] = []
    try:
        for run in (lambda conn: Prepared(statement).rows(conn, {}), lambda conn: conn.execute(statement)):
            with engines.reader.connect() as conn:
                try:
                    run(conn)
                except DBAPIError as exc:
                    raised.append(type(exc))
    finally:
        engines.dispose()
    assert len(raised) == 2
    assert raised[0] is raised[1]


def test_the_history_shows_the_verdict_a_late_event_replaced_and_when(client: TestClient) -> None:
    make_contract(client)
    end = client.post("/event", json=event("supply_energy_end", "2024-02-01", "2024-01-03T00:00:00"))
    assert end.json()["code"] == "end_without_start"
    [before] = client.get("/1234/events").json()["events"]
    assert before["previous_verdict"] is None
    client.post("/event", json=event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00"))
    start, end_now = client.get("/1234/events").json()["events"]
    assert start["previous_verdict"] is None
    previous = end_now["previous_verdict"]
    assert (end_now["code"], previous["status"], previous["code"]) == ("accepted", "rejected", "end_without_start")
    assert previous["changed_at"] >= end_now["committed_at"]
    as_then = client.get("/1234/events", params={"as_known_at": end_now["committed_at"]}).json()["events"]
    assert [(e["code"], e["previous_verdict"]) for e in as_then] == [("end_without_start", None)]
