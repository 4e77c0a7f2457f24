"""Many clients, four worker processes, the same few contracts: the result is the fold.

Eight client threads post interleaved, shuffled and redelivered events for five contracts
through POST /event and POST /events. Whatever worker and order they arrive in, each
contract must end with exactly the timeline and verdicts of its events folded in
``created_at`` order, every event stored once, and no 5xx answer.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import ALL_COMPONENTS
from tests.e2e.checks import expected_view, read_contract
from tests.e2e.load import Load
from tests.e2e.scenario import deliveries, make_facts, requests_of
from tests.e2e.server import ServerFactory

pytestmark = pytest.mark.e2e

WORKERS, THREADS, CONTRACTS, EVENTS_PER_CONTRACT, REDELIVERED_SHARE, MAX_BATCH = 4, 8, 5, 150, 0.2, 8


def test_concurrent_clients_end_with_the_created_at_fold(
    serve: ServerFactory, seed: int, figures: Callable[[str], None]
) -> None:
    rng = random.Random(seed)
    server = serve(WORKERS)
    numbers = [f"cc-{i}" for i in range(CONTRACTS)]
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        for number in numbers:
            created = client.post("/contract/", json={"contract_number": number, "components": ALL_COMPONENTS})
            assert created.status_code == 201, created.text
    facts = make_facts(rng, numbers, EVENTS_PER_CONTRACT)
    sent = deliveries(rng, facts, REDELIVERED_SHARE)
    requests = requests_of(rng, sent, MAX_BATCH)

    started = time.monotonic()
    load = Load(server.base_url, requests, threads=THREADS, stop_on_failure=False)
    load.start()
    answers = load.join()
    duration = time.monotonic() - started

    server_errors = [a for a in answers if a.status is None or a.status >= 500]
    other_statuses = Counter(
        a.status for a in answers if a.status is not None and a.status < 500 and not a.acknowledged
    )
    first_answers = Counter(
        (f.number, f.key) for a in answers for f, r in zip(a.facts, a.results, strict=False) if not r["duplicate"]
    )
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        stored = {number: read_contract(client, number) for number in numbers}
    lost = twice = wrong_verdicts = 0
    wrong_timelines = []
    for number, view in stored.items():
        mine = [f.key for f in facts if f.number == number]
        codes, timeline = expected_view(mine)
        lost += len(set(mine) - set(view.copies))
        twice += view.stored_twice
        wrong_verdicts += sum(view.codes.get(k) != code for k, code in codes.items())
        if view.timeline != timeline:
            wrong_timelines.append((number, view.timeline, timeline))
    stored_total = sum(view.copies.total() for view in stored.values())
    figures(
        f"seed={seed} workers={WORKERS} threads={THREADS} requests={len(requests)} "
        f"deliveries={len(sent)} distinct_events={len(facts)} stored={stored_total} "
        f"5xx_or_no_answer={len(server_errors)} lost={lost} stored_twice={twice} "
        f"wrong_verdicts={wrong_verdicts} wrong_timelines={len(wrong_timelines)} duration={duration:.1f}s "
        f"({len(sent) / duration:.0f} events/s)"
    )

    assert not server_errors, f"seed {seed}: {[(a.status, a.results) for a in server_errors[:5]]}"
    assert not other_statuses, f"seed {seed}: unexpected statuses {other_statuses}"
    assert not wrong_timelines, f"seed {seed}: (contract, stored, fold) {wrong_timelines[:2]}"
    assert (lost, twice, wrong_verdicts) == (0, 0, 0), f"seed {seed}"
    assert len(first_answers) == len(facts), f"seed {seed}: events never answered as first delivery"
    assert set(first_answers.values()) == {1}, f"seed {seed}: an event was answered as new more than once"
