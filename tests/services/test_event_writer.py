"""Events judged in a process of their own answer exactly what the writer thread answers, and
once that process is gone, every event answers 503 and ``/health`` says why."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db.writer import StorageState
from app.domain.errors import Conflict, DomainError, Unavailable
from app.main import create_app
from app.services.event_writer import EventWriterProcess, Frames, frame
from app.settings import Settings
from tests.conftest import ALL_COMPONENTS, RULES


def event(kind: str, number: str, day: str, hour: int, event_id: str | None = None) -> dict[str, Any]:
    body = {"type": kind, "contract_number": number, "date": day, "created_at": f"2024-06-01T{hour:02d}:00:00Z"}
    return body if event_id is None else {**body, "event_id": event_id}


# Each request's answer depends on those before it: rejections, redeliveries, a conflicting
# event_id (an error raised in the child), late events that change stored verdicts, a batch with
# unknown contracts and types, and a dry run.
SCRIPT: list[tuple[str, str, Any]] = [
    (
        "POST",
        "/contract/",
        {"contract_number": "p1", "components": ALL_COMPONENTS, "created_at": "2024-01-01T00:00:00Z"},
    ),
    (
        "POST",
        "/contract/",
        {"contract_number": "p2", "components": ["energy_supply"], "created_at": "2024-01-01T00:00:00Z"},
    ),
    ("POST", "/event", event("supply_energy_end", "p1", "2024-01-05", 1, "e1")),
    ("POST", "/event", event("supply_energy_start", "p1", "2024-01-10", 2, "s1")),
    ("POST", "/event", event("supply_energy_start", "p1", "2024-01-10", 2, "s1")),
    ("POST", "/event", event("supply_energy_end", "p1", "2024-02-01", 3, "s1")),
    ("POST", "/event", event("supply_energy_start", "p1", "2024-01-01", 0)),
    ("POST", "/event?dry_run=true", event("supply_energy_end", "p1", "2024-01-02", 0)),
    (
        "POST",
        "/events",
        [
            event("battery_optimization_start", "p1", "2024-01-02", 4),
            event("heatpump_optimization_start", "p2", "2024-01-02", 4),
            event("supply_energy_start", "nobody", "2024-01-02", 4),
            event("no_such_type", "p1", "2024-01-02", 4),
            event("battery_optimization_end", "p1", "2024-03-02", 5),
        ],
    ),
    ("POST", "/events", [event("supply_energy_start", "p2", f"2024-01-{d:02d}", 10 + d) for d in range(1, 6)]),
    ("POST", "/event", event("supply_energy_end", "p1", "2023-12-01", 6)),
    ("GET", "/p1/contract_timeline", None),
    ("GET", "/p2/events", None),
]


RECEIPT_TIMES = {"received_at", "committed_at"}
"""Clock readings of the run, not answers: everything else must match."""


def without_receipt_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_receipt_times(v) for k, v in value.items() if k not in RECEIPT_TIMES}
    if isinstance(value, list | tuple):
        return type(value)(without_receipt_times(v) for v in value)
    return value


def run_script(client: TestClient) -> list[tuple[int, Any]]:
    answers = []
    for method, path, body in SCRIPT:
        response = client.request(method, path, json=body)
        answers.append((response.status_code, response.json()))
    answers.append((200, client.get("/changes", params={"limit": 1000}).json()["changes"]))
    return without_receipt_times(answers)  # type: ignore[no-any-return]


def app_settings(database_url: str, writer: str) -> Settings:
    return Settings(database_url=database_url, rules_dir=RULES, event_writer=writer)


@pytest.fixture
def served(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings(database_url, "process")), raise_server_exceptions=False) as client:
        yield client


def writer_process(client: TestClient) -> EventWriterProcess:
    store = client.app.state.runtime.recorder.store  # type: ignore[attr-defined]
    assert isinstance(store, EventWriterProcess)
    return store


def test_the_process_answers_every_request_as_the_writer_thread_does(served: TestClient, tmp_path: Path) -> None:
    reference_url = f"sqlite:///{tmp_path / 'thread.db'}"
    with TestClient(create_app(app_settings(reference_url, "thread")), raise_server_exceptions=False) as thread:
        expected = run_script(thread)
    got = run_script(served)
    assert got == expected
    codes = [answer.get("code") for _, answer in got if isinstance(answer, dict)]
    assert {"end_before_start", "end_without_start", "event_id_conflict"} <= set(codes)  # the script's point
    assert any(answer.get("changed") for _, answer in got if isinstance(answer, dict))


def test_a_killed_process_fails_events_with_503_and_health_says_so(served: TestClient) -> None:
    served.post("/contract/", json={"contract_number": "k1", "components": ALL_COMPONENTS})
    assert served.post("/event", json=event("supply_energy_start", "k1", "2024-01-01", 1)).status_code == 200
    process = writer_process(served)
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while process.problem() is None and time.monotonic() < deadline:
        served.get("/k1/contract_timeline")  # lets the app's loop notice the closed pipe
        time.sleep(0.02)

    refused = served.post("/event", json=event("supply_energy_end", "k1", "2024-02-01", 2))
    assert refused.status_code == 503
    assert (refused.json()["status"], refused.json()["code"]) == ("error", "writer_stopped")
    health = served.get("/health")
    assert health.status_code == 503
    assert "event writer process stopped" in health.json()["message"]
    # Reads and other writes go on; nothing was stored for the refused event.
    assert served.get("/k1/contract_timeline").json()["components"]["energy_supply"]["state"] == "started"
    assert served.post("/contract/", json={"contract_number": "k2", "components": ALL_COMPONENTS}).status_code == 201


def test_the_worker_learns_the_feed_head_from_the_process(served: TestClient) -> None:
    served.post("/contract/", json={"contract_number": "h1", "components": ALL_COMPONENTS})
    served.post("/event", json=event("supply_energy_start", "h1", "2024-01-01", 1))
    notifier = served.app.state.runtime.notifier  # type: ignore[attr-defined]
    newest = served.get("/changes", params={"limit": 1000}).json()["changes"][-1]["seq"]
    assert notifier.head == newest


@pytest.mark.parametrize("error", [Conflict("too many", "rejudge_limit_exceeded"), Unavailable("gone", "overloaded")])
def test_domain_errors_cross_the_pipe_with_their_code(error: DomainError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert (type(back), back.message, back.code, str(back)) == (type(error), error.message, error.code, str(error))


def test_frames_come_back_whole_however_the_bytes_are_cut() -> None:
    payloads = [b"", b"a", b"x" * 70_000, bytes(range(256))]
    stream = b"".join(frame(p) for p in payloads)
    for cut in (1, 7, 8, 9, 4096, len(stream)):
        frames, got = Frames(), []
        for start in range(0, len(stream), cut):
            got += frames.feed(stream[start : start + cut])
        assert got == payloads


def test_the_process_outlives_signals_to_its_group_and_ends_with_the_worker(database_url: str) -> None:
    """Ctrl-C or a SIGTERM to the whole process group must let the worker finish its requests."""
    with TestClient(create_app(app_settings(database_url, "process")), raise_server_exceptions=False) as client:
        pid = writer_process(client).pid
        assert pid is not None
        os.kill(pid, signal.SIGTERM)
        os.kill(pid, signal.SIGINT)
        client.post("/contract/", json={"contract_number": "s1", "components": ALL_COMPONENTS})
        assert client.post("/event", json=event("supply_energy_start", "s1", "2024-01-01", 1)).status_code == 200
    with pytest.raises(ProcessLookupError):  # the app's shutdown closed its pipe, and it ended
        os.kill(pid, 0)


def test_events_after_stop_answer_503_every_time(database_url: str) -> None:
    """Stopped before it served a request: every later event is refused at once, none waits."""
    with TestClient(create_app(app_settings(database_url, "thread"))) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        process = EventWriterProcess(
            app_settings(database_url, "process"), runtime.rules, lambda _: None, StorageState()
        )
        process.start()

        async def stop_then_record_twice() -> list[str]:
            await process.stop()
            codes = []
            for _ in range(2):
                with pytest.raises(Unavailable) as refused:
                    await asyncio.wait_for(process.record([], batch=False), timeout=5)
                codes.append(refused.value.code)
            return codes

        assert asyncio.run(stop_then_record_twice()) == ["writer_stopped", "writer_stopped"]
