"""Prometheus metrics at /metrics: request latency by route template, events by code, replays."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.observability.metrics import metrics
from tests.conftest import make_contract

ROOT = Path(__file__).resolve().parents[2]


def sample(name: str, **labels: str) -> float:
    """The current value of one sample of this process's registry (0 when absent)."""
    value = metrics().registry.get_sample_value(name, labels)
    return value or 0.0


def scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_latency_is_labelled_by_route_template_not_raw_path(client: TestClient) -> None:
    client.get("/contract/metrics-a")
    client.get("/contract/metrics-b")
    samples = scrape(client)
    count = samples[
        (
            "http_request_duration_seconds_count",
            frozenset({("method", "GET"), ("route", "/contract/{contract_number}")}),
        )
    ]
    assert count >= 2
    assert not any(("route", "/contract/metrics-a") in labels for _, labels in samples)
    assert (
        samples[
            (
                "http_requests_total",
                frozenset({("method", "GET"), ("route", "/contract/{contract_number}"), ("status", "404")}),
            )
        ]
        >= 2
    )


def test_events_are_counted_by_verdict_and_code(client: TestClient) -> None:
    accepted = sample("events_total", verdict="accepted", code="accepted")
    rejected = sample("events_total", verdict="rejected", code="end_before_start")
    unknown = sample("events_total", verdict="rejected", code="contract_not_found")
    make_contract(client)
    client.post(
        "/event",
        json={
            "type": "supply_energy_start",
            "contract_number": "1234",
            "date": "2024-12-01",
            "created_at": "2024-01-01T00:00:00",
        },
    )
    client.post(
        "/event",
        json={
            "type": "supply_energy_end",
            "contract_number": "1234",
            "date": "2024-11-30",
            "created_at": "2024-01-02T00:00:00",
        },
    )
    client.post("/events", json=[{"type": "supply_energy_start", "contract_number": "404", "date": "2024-01-01"}])
    assert sample("events_total", verdict="accepted", code="accepted") == accepted + 1
    assert sample("events_total", verdict="rejected", code="end_before_start") == rejected + 1
    assert sample("events_total", verdict="rejected", code="contract_not_found") == unknown + 1


def test_late_events_count_replays_and_their_length(client: TestClient) -> None:
    replays, replayed_total = sample("event_replays_total"), sample("event_replay_length_sum")
    make_contract(client)
    for day, created in (("2024-01-01", "2024-01-01T10:00:00"), ("2024-06-01", "2024-06-01T10:00:00")):
        client.post(
            "/event",
            json={
                "type": "supply_energy_start" if day.endswith("01-01") else "supply_energy_end",
                "contract_number": "1234",
                "date": day,
                "created_at": created,
            },
        )
    assert sample("event_replays_total") == replays
    late = client.post(
        "/event",
        json={
            "type": "battery_optimization_start",
            "contract_number": "1234",
            "date": "2024-01-05",
            "created_at": "2023-12-31T00:00:00",
        },
    )
    assert late.status_code == 200
    on_time_for_its_component = sample("event_replays_total")
    late = client.post(
        "/event",
        json={
            "type": "supply_energy_end",
            "contract_number": "1234",
            "date": "2024-03-01",
            "created_at": "2024-01-02T00:00:00",
        },
    )
    assert late.status_code == 200
    assert sample("event_replays_total") == on_time_for_its_component + 1
    assert sample("event_replay_length_sum") - replayed_total >= 1


def test_multi_process_mode_sums_worker_files(tmp_path: Path) -> None:
    code = (
        "from app.observability.metrics import metrics, exposition\n"
        "metrics().observe_request('GET', '/ready', 200, 0.002)\n"
        "print(exposition().decode())\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
        )
        for _ in range(2)
    ]
    assert list(tmp_path.glob("*.db"))
    families = {
        s.name: s.value
        for f in text_string_to_metric_families(runs[-1].stdout)
        for s in f.samples
        if s.labels.get("route") == "/ready"
    }
    assert families["http_request_duration_seconds_count"] == 2
