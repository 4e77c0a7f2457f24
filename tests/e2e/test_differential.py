"""Differential concurrency test: every answer equals a serial answer (issue 8, section 1).

Eight client threads send 800 requests of an adversarial mix (tests/e2e/mix.py) to a server with
two workers, three contracts at a time: single events and batches (some spanning contracts), dry
runs, redeliveries, reused event ids with the same and with other content, late events, and
events that must be rejected without being stored. Afterwards the test reads the committed order
of each contract from the ``events`` table and checks every answer against the sequential model
(tests/e2e/model.py) at the request's place in that order, or, for a request that stored
nothing, at some place real time allows (tests/e2e/linearizability.py). Every stored verdict
must also equal the final fold, and folding the change feed's ``after``s (issue 11) must give
the final timelines.
``E2E_SEED`` replays a run's mix (the interleaving is the scheduler's).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from app.db.engines import normalise_url
from app.db.tables import contracts, events
from app.domain.timeline import ACCEPTED, Verdict
from tests.conftest import ALL_COMPONENTS
from tests.e2e.feed import fold_mismatches, gaps, read_all
from tests.e2e.linearizability import Exchange, verify
from tests.e2e.mix import Clients, Mix
from tests.e2e.model import Item, Model, Result, Row, component_of
from tests.e2e.server import ServerFactory

pytestmark = pytest.mark.e2e

WORKERS, THREADS, REQUESTS = 2, 8, 800
EPOCHS = [[f"diff-{epoch}{x}" for x in "abc"] for epoch in range(8)]
"""Three contracts take the new events at a time; every ``c`` contract lacks a component."""
CONTRACTS = {
    number: ALL_COMPONENTS if number.endswith(("a", "b")) else ["energy_supply", "battery_optimization"]
    for epoch in EPOCHS
    for number in epoch
}
UNKNOWN = "diff-missing"
SHOWN_PER_KIND = 2


def committed_rows(database_url: str) -> dict[str, list[Row]]:
    """Every stored event, per contract, in ``id`` order: the committed order."""
    engine = create_engine(normalise_url(database_url), poolclass=NullPool)
    query = (
        select(
            contracts.c.number,
            events.c.id,
            events.c.type,
            events.c.day,
            events.c.created_at,
            events.c.event_id,
            events.c.accepted,
            events.c.code,
            events.c.message,
        )
        .join(contracts, contracts.c.id == events.c.contract_id)
        .order_by(events.c.id)
    )
    rows: dict[str, list[Row]] = {}
    try:
        with engine.connect() as connection:
            for r in connection.execute(query):
                verdict = Verdict(r.accepted, r.code, r.message)
                rows.setdefault(r.number, []).append(
                    Row(r.id, r.number, r.type, r.day, r.created_at, r.event_id, verdict)
                )
    finally:
        engine.dispose()
    return rows


def stored_verdicts_wrong(model: Model) -> list[str]:
    """Stored verdicts that differ from the fold of everything stored."""
    wrong = []
    for number, rows in model.rows.items():
        final = model.verdicts(number, [r.content for r in rows])
        wrong += [f"{r}: fold says {final[r.content]}" for r in rows if r.verdict != final[r.content]]
    return wrong


def request_kinds(exchanges: Sequence[Exchange]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for e in exchanges:
        kinds["single" if not e.batch else "batch"] += 1
        kinds["spanning contracts"] += len({i.number for i in e.items}) > 1
        kinds["dry run"] += e.dry_run
        kinds["refused"] += e.refused
        bodies = e.item_bodies()
        kinds["all duplicate"] += bool(bodies) and all(b.get("duplicate") for b in bodies)
    return kinds


def test_every_answer_equals_a_serial_answer(
    serve: ServerFactory, e2e_database: str, seed: int, figures: Callable[[str], None]
) -> None:
    rng = random.Random(seed)
    server = serve(WORKERS)
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        for number, components in CONTRACTS.items():
            created = client.post("/contract/", json={"contract_number": number, "components": components})
            assert created.status_code == 201, created.text
    mix = Mix(rng, CONTRACTS, UNKNOWN, EPOCHS)
    exchanges = [Exchange(i, items, batch, dry) for i, (items, batch, dry) in enumerate(mix.requests(REQUESTS))]

    started = time.monotonic()
    Clients(server.base_url, exchanges, threads=THREADS).run()
    duration = time.monotonic() - started

    model = Model(CONTRACTS, committed_rows(e2e_database))
    verification = verify(exchanges, model)
    failures = verification.failures
    for wrong in stored_verdicts_wrong(model):
        failures.add("stored verdict is not the fold's", wrong)
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        feed = read_all(client)
        for wrong in gaps(feed) + fold_mismatches(client, feed, [*CONTRACTS, UNKNOWN]):
            failures.add("the change feed's fold is not the final timeline", wrong)
    checked = time.monotonic() - started - duration

    stored = sum(len(rows) for rows in model.rows.values())
    largest = max(
        Counter((n, component_of(r.type)) for n, rows in model.rows.items() for r in rows).values(), default=0
    )
    kinds = request_kinds(exchanges)
    items = ", ".join(f"{kind} {n}" for kind, n in sorted(mix.kinds.items()))
    figures(
        f"seed={seed} workers={WORKERS} threads={THREADS} requests={len(exchanges)} "
        f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}) items: {items}; "
        f"stored={stored} largest_component={largest} answers_checked_at_own_place={verification.fixed} "
        f"in_window={verification.windowed} duplicates={verification.duplicates} late={verification.late} "
        f"with_changed={verification.changed} feed_records={len(feed)} failures={len(failures)} "
        f"load={duration:.1f}s check={checked:.1f}s"
    )
    assert not len(failures), f"seed {seed}: {failures.report(SHOWN_PER_KIND)}"


# --- the model itself, on hand-made histories (no server) --------------------------------------

T0 = datetime(2024, 3, 1, 10, 0)


def _item(event_type: str, day: int, minute: int, event_id: str | None = None, number: str = "diff-0a") -> Item:
    moment = T0 + timedelta(minutes=minute)
    return Item(number, event_type, date(2024, 3, day), moment, moment.isoformat(), event_id)


def _model(*stored: Item) -> Model:
    """A model whose contract diff-a holds ``stored``, judged in order like the service would."""
    rows = [Row(i, s.number, s.type, s.day, s.created_at, s.event_id, ACCEPTED) for i, s in enumerate(stored)]
    return Model(CONTRACTS, {"diff-0a": rows})


def test_model_a_late_start_changes_a_stored_end_and_says_so_on_its_earliest_new_event() -> None:
    model = _model(_item("battery_optimization_end", 10, 60, "end"))
    late = [(0, _item("battery_optimization_start", 9, 30)), (1, _item("battery_optimization_start", 5, 10))]
    outcome = model.outcome("diff-0a", 1, late)
    assert not outcome.conflict
    assert outcome.late == 2
    assert outcome.results[0].changed == ()
    [change] = outcome.results[1].changed
    assert (change[3], change[4][1], change[5][1]) == ("end", "end_without_start", "accepted")
    assert model.outcome("diff-0a", 0, late).results[1].changed == ()  # before the end was stored


def test_model_a_duplicate_repeats_the_verdict_after_the_request() -> None:
    end = _item("battery_optimization_end", 10, 60, "end")
    model = _model(end)
    start = _item("battery_optimization_start", 1, 0)
    outcome = model.outcome("diff-0a", 1, [(0, end), (1, start), (2, start)])
    assert outcome.results[0] == Result("accepted", "accepted", ACCEPTED.message, True, (), end.created_at)
    assert [r.duplicate for r in outcome.results.values()] == [True, False, True]
    assert [c for c, _ in outcome.stored] == [start.content]
    # The changed list goes to the earliest new event, not to the first item (a duplicate).
    assert outcome.results[1].changed
    assert not outcome.results[0].changed


def test_model_an_event_id_with_other_content_refuses_the_whole_request() -> None:
    model = _model(_item("battery_optimization_start", 1, 0, "a"))
    other = _item("battery_optimization_start", 2, 0, "a")
    assert model.outcome("diff-0a", 1, [(0, other)]).conflict
    assert not model.outcome("diff-0a", 0, [(0, other)]).conflict
    fresh = [(0, _item("supply_energy_start", 1, 5, "b")), (1, _item("supply_energy_start", 1, 6, "b"))]
    assert model.outcome("diff-0a", 0, fresh).conflict
    same = _item("battery_optimization_start", 1, 0, "a")
    assert model.outcome("diff-0a", 1, [(0, same)]).results[0].duplicate
