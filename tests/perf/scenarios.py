"""The measured scenarios; each returns report rows comparing the service with the trivial app."""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta

import httpx

from tests.perf.load import Load
from tests.perf.report import Row
from tests.perf.seeding import EPOCH, create_contracts, in_order_starts, post_events
from tests.perf.servers import Server
from tests.perf.wrk import WrkResult

EVENT_CONTRACTS = 10_000
TIMELINE_CONTRACTS, TIMELINE_EVENTS_EACH = 1_000, 10
BATCH_EVENTS = 10_000


def wrk_row(
    scenario: str,
    service: WrkResult,
    trivial: WrkResult | None,
    *,
    target: str = "",
    min_ratio: float | None = None,
    max_p99_ms: float | None = None,
) -> Row:
    row = Row(
        scenario,
        "req/s",
        service.rate,
        service.p50_ms,
        service.p99_ms,
        trivial.rate if trivial else None,
        service.ok_fraction,
        target,
    )
    if min_ratio is not None and row.ratio is not None:
        row.met = row.ratio >= min_ratio and (max_p99_ms is None or service.p99_ms <= max_p99_ms)
    notes = [f"{service.requests:,} requests in {service.seconds:.1f} s"]
    if service.non_2xx or service.socket_errors:
        notes.append(f"NOT ALL 2xx: {service.non_2xx} non-2xx, {service.socket_errors} socket errors")
    if trivial:
        notes.append(f"trivial p50/p99 {trivial.p50_ms:.2f}/{trivial.p99_ms:.2f} ms")
    row.notes = "; ".join(notes)
    return row


def create_event_contracts(database_url: str) -> float:
    """The contracts that POST /event spreads over; returns how long creating them took."""
    return create_contracts(database_url, [f"c{i}" for i in range(EVENT_CONTRACTS)])


def create_timeline_contracts(database_url: str) -> float:
    return create_contracts(database_url, [f"t{i}" for i in range(TIMELINE_CONTRACTS)])


def post_event(
    load: Load,
    service: Server,
    trivial: Server | None,
    label: str,
    *,
    min_ratio: float = 0.5,
    max_p99_ms: float | None = 25.0,
    target: str = ">=50% of trivial, p99<=25 ms",
) -> Row:
    measured = load.post_event(service, prefix="c", contracts=EVENT_CONTRACTS, name=f"post_event {label}")
    baseline = load.post_event(trivial, prefix="c", contracts=EVENT_CONTRACTS, name="trivial") if trivial else None
    return wrk_row(
        f"POST /event ({label})", measured, baseline, target=target, min_ratio=min_ratio, max_p99_ms=max_p99_ms
    )


def seed_timeline_events(service: Server) -> None:
    """10 events each for the contracts that GET timeline reads and batches write to."""
    with httpx.Client(base_url=service.url) as client:
        post_events(client, in_order_starts("t", TIMELINE_CONTRACTS, TIMELINE_EVENTS_EACH, EPOCH))


def get_timeline(load: Load, service: Server, trivial: Server, label: str) -> Row:
    measured = load.get_timeline(service, prefix="t", contracts=TIMELINE_CONTRACTS, name=f"get_timeline {label}")
    baseline = load.get_timeline(trivial, prefix="t", contracts=TIMELINE_CONTRACTS, name="trivial")
    return wrk_row(
        f"GET timeline, 10 events each ({label})", measured, baseline, target=">=70% of trivial GET", min_ratio=0.7
    )


def batch(load: Load, service: Server, requests: int, label: str) -> Row:
    """POST /events with ``BATCH_EVENTS`` new in-order events over the timeline contracts."""
    per_contract = BATCH_EVENTS // TIMELINE_CONTRACTS
    bodies = [
        json.dumps(
            in_order_starts(
                "t", TIMELINE_CONTRACTS, per_contract, EPOCH + timedelta(seconds=load.next_base() - EPOCH.timestamp())
            )
        )
        for _ in range(requests)
    ]
    seconds: list[float] = []
    with httpx.Client(base_url=service.url, headers={"Content-Type": "application/json"}, timeout=300) as client:
        for body in bodies:
            started = time.perf_counter()
            response = client.post("/events", content=body)
            seconds.append(time.perf_counter() - started)
            results = response.json()["results"] if response.status_code == 200 else []
            if sum(r["status"] == "accepted" for r in results) != BATCH_EVENTS:
                raise RuntimeError(f"POST /events batch: {response.status_code} {response.text[:300]}")
    median = statistics.median(seconds)
    rate = BATCH_EVENTS / median
    return Row(
        f"POST /events, {BATCH_EVENTS:,} per request ({label})",
        "events/s",
        rate,
        median * 1000,
        max(seconds) * 1000,
        target=">=20,000 events/s",
        met=rate >= 20_000,
        notes=f"{requests} requests, median {median * 1000:.0f} ms, all accepted; latencies are per request",
    )
