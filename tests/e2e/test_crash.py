"""Crash durability: SIGKILL the server's process group under load, restart, check the log.

Whatever a client saw acknowledged (a 2xx, or a single event's 409 rule rejection) was
committed, so it must be in the log after a restart on the same database; nothing may be
stored twice; and every stored timeline must equal the fold of the stored log. Clients
then redeliver what had no answer, as real ones would, and every event sent ends up
stored exactly once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import ALL_COMPONENTS
from tests.e2e.checks import Stored, expected_view, read_contract
from tests.e2e.load import Answer, Load
from tests.e2e.scenario import EventKey, Fact, deliveries, make_facts, requests_of
from tests.e2e.server import ServerFactory

pytestmark = pytest.mark.e2e

WORKERS, THREADS, CONTRACTS, EVENTS_PER_CONTRACT, MAX_BATCH = 2, 6, 4, 400, 5
KILL_AFTER_SECONDS = (0.3, 2.5)
RETRY_BATCH = 50


def test_acknowledged_events_survive_a_crash(serve: ServerFactory, seed: int, figures: Callable[[str], None]) -> None:
    rng = random.Random(seed)
    server = serve(WORKERS)
    numbers = [f"crash-{i}" for i in range(CONTRACTS)]
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        for number in numbers:
            created = client.post("/contract/", json={"contract_number": number, "components": ALL_COMPONENTS})
            assert created.status_code == 201, created.text
    requests = requests_of(rng, deliveries(rng, make_facts(rng, numbers, EVENTS_PER_CONTRACT), 0.1), MAX_BATCH)
    kill_after = rng.uniform(*KILL_AFTER_SECONDS)

    started = time.monotonic()
    load = Load(server.base_url, requests, threads=THREADS, stop_on_failure=True)
    load.start()
    time.sleep(kill_after)
    server.kill()
    answers = load.join()
    restarted = serve(WORKERS)
    duration = time.monotonic() - started

    sent = _facts(answers, lambda a: True)
    acknowledged = _facts(answers, lambda a: a.acknowledged)
    unanswered = [a for a in answers if a.status is None]
    stored = _read(restarted.base_url, numbers)
    found = {(n, k) for n, view in stored.items() for k in view.copies}
    lost = acknowledged - found
    twice = sum(view.stored_twice for view in stored.values())
    unsent = found - sent
    mismatched = _not_the_fold(stored)
    figures(
        f"seed={seed} workers={WORKERS} threads={THREADS} kill_after={kill_after:.2f}s "
        f"requests_sent={len(answers)}/{len(requests)} events_sent={len(sent)} acknowledged={len(acknowledged)} "
        f"unanswered_requests={len(unanswered)} found_after_restart={len(found)} lost={len(lost)} "
        f"stored_twice={twice} not_the_fold={len(mismatched)} duration={duration:.1f}s"
    )

    assert not [a for a in answers if a.status is not None and not a.acknowledged], f"seed {seed}"
    assert not lost, f"seed {seed}: acknowledged but not stored: {sorted(lost)[:5]}"
    assert twice == 0, f"seed {seed}"
    assert not unsent, f"seed {seed}: stored but never sent: {sorted(unsent)[:5]}"
    assert mismatched == [], f"seed {seed}: timelines or verdicts differ from the fold of the stored log"

    _redeliver(restarted.base_url, [f for a in answers if not a.acknowledged for f in a.facts])
    stored = _read(restarted.base_url, numbers)
    assert {(n, k) for n, view in stored.items() for k in view.copies} == sent, f"seed {seed}"
    assert sum(view.stored_twice for view in stored.values()) == 0, f"seed {seed}"
    assert _not_the_fold(stored) == [], f"seed {seed}: after redelivery"


def _facts(answers: list[Answer], keep: Callable[[Answer], bool]) -> set[tuple[str, EventKey]]:
    return {(f.number, f.key) for a in answers if keep(a) for f in a.facts}


def _read(base_url: str, numbers: list[str]) -> dict[str, Stored]:
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        return {number: read_contract(client, number) for number in numbers}


def _not_the_fold(stored: dict[str, Stored]) -> list[str]:
    """Contracts whose timeline or stored verdicts differ from the fold of their stored log."""
    wrong = []
    for number, view in stored.items():
        codes, timeline = expected_view(view.copies)
        if (view.codes, view.timeline) != (codes, timeline):
            wrong.append(number)
    return wrong


def _redeliver(base_url: str, facts: list[Fact]) -> None:
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        for at in range(0, len(facts), RETRY_BATCH):
            response = client.post("/events", json=[f.body() for f in facts[at : at + RETRY_BATCH]])
            assert response.status_code == 200, response.text
