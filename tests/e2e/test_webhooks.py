"""Webhooks against real processes (issue 11, section 4): a receiver that is down and recovers,
a service killed with SIGKILL mid-delivery, and four workers delivering each change once.

The receiver (tests/e2e/receiver.py) verifies every signature with ``standardwebhooks``. Runs on
SQLite and on PostgreSQL, like the rest of the suite.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import ALL_COMPONENTS
from tests.e2e.feed import read_all
from tests.e2e.receiver import Delivery, Receiver
from tests.e2e.server import ServerFactory

pytestmark = pytest.mark.e2e

FAST_RETRIES = {
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
    "WEBHOOK_RETRY_SCHEDULE": "0.2,0.5,1",
    "WEBHOOK_LEASE": "4",
    "WEBHOOK_TIMEOUT": "2",
    "FEED_POLL_INTERVAL": "0.1",
}
CONTRACTS = [f"hook-{i}" for i in range(4)]
TYPES = [
    f"{c}_{e}" for c in ("supply_energy", "battery_optimization", "heatpump_optimization") for e in ("start", "end")
]
T0 = datetime(2024, 1, 1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


def subscribe(client: httpx.Client, receiver: Receiver, path: str, components: list[str] | None = None) -> str:
    body: dict[str, Any] = {"url": receiver.url(path)}
    if components:
        body["components"] = components
    answer = client.post("/webhooks", json=body)
    assert answer.status_code == 201, answer.text
    receiver.secrets[path] = answer.json()["secret"]
    return str(answer.json()["id"])


def post_events(base_url: str, count: int, seed: int, threads: int = 4) -> None:
    def send(index: int) -> None:
        rng = random.Random(seed + index)
        with httpx.Client(base_url=base_url, timeout=30.0) as client:
            for _ in range(count // threads):
                event = {
                    "type": rng.choice(TYPES),
                    "contract_number": rng.choice(CONTRACTS),
                    "date": (T0 + timedelta(days=rng.randrange(60))).date().isoformat(),
                    "created_at": (T0 + timedelta(minutes=rng.randrange(5000))).isoformat(),
                }
                assert client.post("/event", json=event).status_code < 500

    workers = [threading.Thread(target=send, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def make_contracts(client: httpx.Client) -> None:
    for number in CONTRACTS:
        created = client.post("/contract/", json={"contract_number": number, "components": ALL_COMPONENTS})
        assert created.status_code == 201, created.text


def expected_seqs(records: list[dict[str, Any]], component: str | None) -> list[int]:
    return [r["seq"] for r in records if component is None or r["component"] in (None, component)]


def wait_for(receiver: Receiver, path: str, seqs: list[int], seconds: float) -> list[Delivery]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = {d.record["seq"] for d in receiver.delivered(path)}
        if got >= set(seqs):
            break
        time.sleep(0.1)
    return receiver.delivered(path)


def refused_while_down(receiver: Receiver, *, at_least: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while sum(d.answered == 503 for d in receiver.deliveries) < at_least:
        assert time.monotonic() < deadline, "the dispatcher never tried the receiver while it was down"
        time.sleep(0.1)


def first_arrivals(deliveries: list[Delivery]) -> list[int]:
    """Seqs in the order they first arrived with a 2xx: a redelivery repeats an earlier one."""
    seen: dict[int, None] = {}
    for d in deliveries:
        seen.setdefault(d.record["seq"], None)
    return list(seen)


def check_in_order(deliveries: list[Delivery], seqs: list[int]) -> None:
    assert first_arrivals(deliveries) == seqs
    for d in deliveries:
        assert d.webhook_id == f"chg_{d.record['seq']}"


def test_a_receiver_that_is_down_then_recovers_gets_every_change_in_order(
    serve: ServerFactory, receiver: Receiver, seed: int, figures: Callable[[str], None]
) -> None:
    server = serve(1, **FAST_RETRIES)
    receiver.status = 503
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        everything = subscribe(client, receiver, "all")
        subscribe(client, receiver, "battery", ["battery_optimization"])
        make_contracts(client)
        post_events(server.base_url, 120, seed)
        refused_while_down(receiver, at_least=3, seconds=30)  # a first try and retries met the 503
        receiver.status = 200
        records = read_all(client)
        delivered = {
            path: wait_for(receiver, path, expected_seqs(records, c), 60)
            for path, c in (("all", None), ("battery", "battery_optimization"))
        }
        log = client.get(f"/webhooks/{everything}/deliveries", params={"limit": 1000}).json()["deliveries"]
    refused = [d for d in receiver.deliveries if d.answered == 503]
    figures(
        f"seed={seed} records={len(records)} refused_attempts={len(refused)} "
        f"delivered={ {p: len(d) for p, d in delivered.items()} }"
    )
    assert receiver.bad_signatures == 0
    assert refused, "the receiver was never down"
    check_in_order(delivered["all"], expected_seqs(records, None))
    check_in_order(delivered["battery"], expected_seqs(records, "battery_optimization"))
    # A change refused with 503 and later delivered carried the same webhook-id both times.
    retried = {d.webhook_id for d in refused if d.path == "all"}
    assert retried <= {d.webhook_id for d in delivered["all"]}
    assert {e["response_code"] for e in log} >= {503, 200}
    assert all(e["latency_ms"] >= 0 for e in log)


def test_a_service_killed_during_delivery_loses_nothing_after_restart(
    serve: ServerFactory, receiver: Receiver, seed: int, figures: Callable[[str], None]
) -> None:
    server = serve(1, **FAST_RETRIES)
    receiver.delay = 0.03  # slow enough that the kill lands in the middle of the deliveries
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        subscribe(client, receiver, "all")
        make_contracts(client)
        post_events(server.base_url, 160, seed)
        records = read_all(client)
    deadline = time.monotonic() + 30
    while len(receiver.delivered("all")) < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    before_kill = len(receiver.delivered("all"))
    server.kill()
    restarted = serve(1, **FAST_RETRIES)
    seqs = expected_seqs(records, None)
    delivered = wait_for(receiver, "all", seqs, 90)
    counts = Counter(d.record["seq"] for d in delivered)
    figures(
        f"seed={seed} records={len(records)} delivered_before_kill={before_kill} after_restart="
        f"{len(delivered) - before_kill} redelivered={sum(n - 1 for n in counts.values())}"
    )
    assert restarted.base_url
    assert before_kill < len(seqs), "every change was delivered before the kill; nothing was tested"
    assert receiver.bad_signatures == 0
    check_in_order(delivered, seqs)


def test_four_workers_deliver_each_change_once_per_subscription(
    serve: ServerFactory, receiver: Receiver, seed: int, figures: Callable[[str], None]
) -> None:
    server = serve(4, **FAST_RETRIES)
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        subscribe(client, receiver, "a")
        subscribe(client, receiver, "b")
        subscribe(client, receiver, "heat", ["heatpump_optimization"])
        make_contracts(client)
        post_events(server.base_url, 200, seed, threads=8)
        records = read_all(client)
    delivered = {
        path: wait_for(receiver, path, expected_seqs(records, c), 60)
        for path, c in (("a", None), ("b", None), ("heat", "heatpump_optimization"))
    }
    figures(f"seed={seed} records={len(records)} delivered={ {p: len(d) for p, d in delivered.items()} }")
    assert receiver.bad_signatures == 0
    for path, component in (("a", None), ("b", None), ("heat", "heatpump_optimization")):
        # The receiver always answered 200 and no worker died: no retry was due, so exactly once.
        assert [d.record["seq"] for d in delivered[path]] == expected_seqs(records, component), path
