"""The change feed is gapless in commit order under concurrent writers (issue 11, section 2).

Several workers take events from eight client threads (in-order, late and rejected ones, on
shared contracts) while one reader polls ``GET /changes`` in a tight loop and a second one reads
``GET /changes/stream``, dropping its connection now and then and resuming with ``Last-Event-ID``.
Every record must reach each reader exactly once, in seq order with no seq skipped (a skipped
seq would be one that committed after a higher one had been read), and folding the records'
``after``s must give the service's final timelines. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import ALL_COMPONENTS
from tests.e2e.feed import fold_mismatches, gaps, read_all
from tests.e2e.server import ServerFactory

pytestmark = pytest.mark.e2e

THREADS, REQUESTS_PER_THREAD, CONTRACTS = 8, 60, [f"gap-{i}" for i in range(6)]
TYPES = [
    f"{c}_{edge}"
    for c in ("supply_energy", "battery_optimization", "heatpump_optimization")
    for edge in ("start", "end")
]
T0 = datetime(2024, 1, 1)


def _writer(base_url: str, seed: int, errors: list[str]) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        for _ in range(REQUESTS_PER_THREAD):
            moment = T0 + timedelta(minutes=rng.randrange(10_000))  # random: many late events
            event = {
                "type": rng.choice(TYPES),
                "contract_number": rng.choice(CONTRACTS),
                "date": (T0 + timedelta(days=rng.randrange(60))).date().isoformat(),
                "created_at": moment.isoformat(),
            }
            answer = client.post("/event", json=event)
            if answer.status_code >= 500:
                errors.append(f"{answer.status_code} {answer.text}")


class Poller(threading.Thread):
    """Polls GET /changes in a tight loop, checking continuity as it goes."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.base_url, self.polls, self.stop = base_url, 0, threading.Event()
        self.records: list[dict[str, Any]] = []

    def run(self) -> None:
        after = 0
        with httpx.Client(base_url=self.base_url, timeout=30.0) as client:
            while not self.stop.is_set():
                body = client.get("/changes", params={"after": after, "limit": 1000}).json()
                self.polls += 1
                self.records += body["changes"]
                after = body["next"]


class Streamer(threading.Thread):
    """Reads GET /changes/stream, dropping the connection after a few events and resuming with
    Last-Event-ID, until it has read up to ``until`` (set once the writers are done)."""

    def __init__(self, base_url: str, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.base_url, self.rng = base_url, rng
        self.records: list[dict[str, Any]] = []
        self.until: int | None = None
        self.reconnects = 0
        self.errors: list[str] = []

    def done(self) -> bool:
        return self.until is not None and bool(self.records) and self.records[-1]["seq"] >= self.until

    def run(self) -> None:
        try:
            self._read()
        except Exception as exc:  # reported by the test, not lost in a thread
            self.errors.append(repr(exc))

    def _read(self) -> None:
        last = 0
        with httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(30.0, read=20.0)) as client:
            while not self.done():
                budget = self.rng.randrange(5, 60)
                headers = {"Last-Event-ID": str(last)} if last else {}
                with client.stream("GET", "/changes/stream", headers=headers) as response:
                    if response.status_code != 200:
                        raise RuntimeError(f"stream answered {response.status_code}")
                    event_id, data = None, None
                    for line in response.iter_lines():
                        if line.startswith("id:"):
                            event_id = int(line[3:].strip())
                        elif line.startswith("data:"):
                            data = line[5:].strip()
                        elif not line and event_id is not None and data is not None:
                            self.records.append(orjson.loads(data))
                            last, event_id, data = event_id, None, None
                            budget -= 1
                            if budget <= 0 or self.done():
                                break
                self.reconnects += 1


@pytest.mark.parametrize("workers", [3])
def test_readers_see_every_record_once_in_seq_order_and_the_fold_equals_the_timelines(
    serve: ServerFactory, seed: int, figures: Callable[[str], None], workers: int
) -> None:
    server = serve(workers)
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        for number in CONTRACTS:
            created = client.post("/contract/", json={"contract_number": number, "components": ALL_COMPONENTS})
            assert created.status_code == 201, created.text
        poller, streamer = Poller(server.base_url), Streamer(server.base_url, random.Random(seed))
        poller.start()
        streamer.start()
        errors: list[str] = []
        writers = [threading.Thread(target=_writer, args=(server.base_url, seed + i, errors)) for i in range(THREADS)]
        started = time.monotonic()
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        duration = time.monotonic() - started
        final = read_all(client)
        head = final[-1]["seq"]
        deadline = time.monotonic() + 30
        while (not poller.records or poller.records[-1]["seq"] < head) and time.monotonic() < deadline:
            time.sleep(0.05)
        poller.stop.set()
        poller.join(30)
        streamer.until = head
        streamer.join(60)
        mismatches = fold_mismatches(client, final, CONTRACTS)
    figures(
        f"seed={seed} workers={workers} records={head} writes={THREADS * REQUESTS_PER_THREAD} in {duration:.1f}s "
        f"polls={poller.polls} streamed={len(streamer.records)} reconnects={streamer.reconnects}"
    )
    assert not errors, errors[:3]
    assert not gaps(poller.records), gaps(poller.records)[:5]
    assert [r["seq"] for r in poller.records] == list(range(1, head + 1))
    assert poller.records == final
    assert not streamer.errors, streamer.errors
    assert not gaps(streamer.records), gaps(streamer.records)[:5]
    assert streamer.records == final
    assert not mismatches, mismatches[:5]
