"""``rules reevaluate`` beside a live service: no update is lost on either side.

The operator's case: new rule tables are published backdated to before every stored event
(``rules publish --backdate``), the service is restarted on them, and ``rules reevaluate``
re-judges what was stored under the old ones while clients keep sending events, some of them
late. Each contract is re-judged in one transaction that holds the lock a request takes, so a
request for that contract commits wholly before it (and is re-judged with the rest) or wholly
after it (and is applied to an already re-judged contract). Either way, once both are done,
every contract must equal the fold of its stored events under the new tables, and every
acknowledged event must be stored.

The new tables (tests/services/test_reevaluation.py's ``lenient_rules``) let an ended
component start again, so the events here, random starts and ends of every component, change
verdicts and timelines between the old tables and the new.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import app as cli
from app.db.engines import create_engines
from app.db.tables import contract_components as cc
from app.db.tables import contracts, events
from app.domain.engine import RulesEngine
from app.domain.fold import EventFacts, fold_contract
from app.domain.guards import Facts
from app.domain.ordering import to_utc
from app.domain.rules import load_rulebook
from app.domain.timeline import ComponentTimeline
from tests.conftest import ALL_COMPONENTS, RULES
from tests.e2e.scenario import Fact, make_facts
from tests.e2e.server import UvicornServer
from tests.services.test_reevaluation import lenient_rules

pytestmark = pytest.mark.e2e

CONTRACTS, SEEDED_EACH, STREAMED_EACH, THREADS, MAX_BATCH, WORKERS = 8, 250, 150, 4, 4, 2
MIN_PASSES_DURING_LOAD, PAUSE_S, REEVALUATE_UNTIL = 2, 0.2, 0.7
REQUEST_TIMEOUT = httpx.Timeout(120.0, connect=10.0)


@dataclass(slots=True)
class Sent:
    facts: list[Fact]
    status: int | None = None

    @property
    def acknowledged(self) -> bool:
        """Committed: a 2xx, or a single event's rule rejection (409), which is stored too."""
        if self.status is None:
            return False
        return 200 <= self.status < 300 or (len(self.facts) == 1 and self.status == 409)


class Stream:
    """Client threads sending requests from one queue; ``answered`` counts answers so far."""

    def __init__(self, base_url: str, requests: Sequence[list[Fact]]) -> None:
        self.base_url = base_url
        self.requests = requests
        self.todo: queue.SimpleQueue[list[Fact]] = queue.SimpleQueue()
        for request in requests:
            self.todo.put(request)
        self.sent: list[Sent] = []
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._client, name=f"stream-{i}") for i in range(THREADS)]

    @property
    def answered(self) -> int:
        with self.lock:
            return len(self.sent)

    def running(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> list[Sent]:
        for thread in self.threads:
            thread.join(300)
        assert not self.running(), "client threads still running after 300 s"
        if self.errors:
            raise self.errors[0]
        return self.sent

    def _client(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=REQUEST_TIMEOUT) as client:
                while True:
                    try:
                        request = self.todo.get_nowait()
                    except queue.Empty:
                        return
                    sent = Sent(request)
                    try:
                        if len(request) == 1:
                            response = client.post("/event", json=request[0].body())
                        else:
                            response = client.post("/events", json=[f.body() for f in request])
                        sent.status = response.status_code
                    except httpx.TransportError:
                        pass
                    with self.lock:
                        self.sent.append(sent)
        except BaseException as exc:  # handed to the test thread by join()
            with self.lock:
                self.errors.append(exc)


def _requests(rng: random.Random, facts: Sequence[Fact]) -> list[list[Fact]]:
    """Shuffled facts cut into single events and small batches."""
    shuffled = list(facts)
    rng.shuffle(shuffled)
    requests, at = [], 0
    while at < len(shuffled):
        size = 1 if rng.random() < 0.6 else rng.randint(2, MAX_BATCH)
        requests.append(shuffled[at : at + size])
        at += size
    return requests


def _server(database_url: str, rules: Path, log: Path, servers: list[UvicornServer]) -> UvicornServer:
    server = UvicornServer(database_url=database_url, rules_dir=rules, workers=WORKERS, log_path=log)
    servers.append(server)
    server.start()
    return server


def _reevaluate(database_url: str) -> str | None:
    """Run ``rules reevaluate --yes`` in this process; what went wrong, if anything."""
    done = CliRunner().invoke(cli, ["reevaluate", "--database-url", database_url, "--yes"])
    return None if done.exit_code == 0 else f"exit {done.exit_code}: {done.exception!r}"


def _publish_backdated(database_url: str, rules: Path) -> None:
    """Publish ``rules`` in force for everything stored (events here are created from 2024 on)."""
    done = CliRunner().invoke(
        cli,
        [
            "publish",
            "--rules",
            str(rules),
            "--database-url",
            database_url,
            "--effective-from",
            "2000-01-01",
            "--backdate",
            "--yes",
        ],
        env={"RULES_POLL_SECONDS": "0"},  # no service runs meanwhile: nothing to wait for
    )
    assert done.exit_code == 0, done.output


@dataclass(frozen=True, slots=True)
class Mismatch:
    contract: str
    what: str
    stored: Any
    expected: Any


def _check_against_fold(
    database_url: str, engine: RulesEngine
) -> tuple[dict[str, set[tuple[Any, ...]]], list[Mismatch]]:
    """Stored event keys per contract, and every way the stored state differs from the fold."""
    engines = create_engines(database_url)
    try:
        with engines.reader.connect() as conn:
            numbers: dict[int, str] = {row.id: row.number for row in conn.execute(select(contracts))}
            projection = list(conn.execute(select(cc)))
            rows = list(conn.execute(select(events).order_by(events.c.contract_id, events.c.sort_key)))
    finally:
        engines.dispose()
    by_contract: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_contract[row.contract_id].append(row)
    stored_keys = {
        numbers[cid]: {(r.type, r.day, to_utc(r.created_at)) for r in rows_} for cid, rows_ in by_contract.items()
    }
    mismatches: list[Mismatch] = []
    for cid, number in numbers.items():
        mine = by_contract.get(cid, [])
        fold = fold_contract(engine, ALL_COMPONENTS, [EventFacts(r.type, r.day, r.created_at) for r in mine])
        for row, verdict in zip(mine, fold.verdicts, strict=True):
            if verdict is None or verdict.code != row.code or verdict.accepted != row.accepted:
                mismatches.append(Mismatch(number, f"verdict of {row.sort_key}", row.code, verdict))
        # Each stored event's timeline after it, which a later late event replays from.
        for component in ALL_COMPONENTS:
            own = [r for r in mine if r.component == component]
            timeline = engine.initial(component)
            for row in own:
                _, timeline = engine.judge(
                    component, timeline, row.type, Facts.of(row.day, row.created_at, row.received_at)
                )
                after = ComponentTimeline(row.state_after, row.start_after, row.end_after)
                if after != timeline:
                    mismatches.append(Mismatch(number, f"timeline after {row.sort_key}", after, timeline))
        for row in (p for p in projection if p.contract_id == cid):
            timeline = ComponentTimeline(row.state, row.start_date, row.end_date)
            if timeline != fold.timelines[row.component]:
                mismatches.append(
                    Mismatch(number, f"{row.component} timeline", timeline, fold.timelines[row.component])
                )
            last = max((r.sort_key for r in mine if r.component == row.component), default=None)
            if row.last_key != last:
                mismatches.append(Mismatch(number, f"{row.component} last_key", row.last_key, last))
    return stored_keys, mismatches


def _statuses(sent: Sequence[Sent]) -> str:
    counts: dict[str, int] = defaultdict(int)
    for s in sent:
        counts[str(s.status or "no answer")] += 1
    return ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "none"


def test_reevaluate_beside_a_live_service_loses_nothing(
    e2e_database: str, tmp_path: Path, seed: int, figures: Callable[[str], None]
) -> None:
    rng = random.Random(seed)
    new_rules = lenient_rules(tmp_path)
    new_engine = RulesEngine(load_rulebook(new_rules))
    numbers = [f"rv-{i}" for i in range(CONTRACTS)]
    facts = make_facts(rng, numbers, SEEDED_EACH + STREAMED_EACH)
    seeded, streamed = [], []
    for number in numbers:
        mine = [f for f in facts if f.number == number]
        rng.shuffle(mine)  # streamed events fall among the seeded ones: many are late
        seeded += mine[:SEEDED_EACH]
        streamed += mine[SEEDED_EACH:]

    servers: list[UvicornServer] = []
    try:
        # Before: the service on the old tables stores the seeded events.
        old = _server(e2e_database, RULES, tmp_path / "old.log", servers)
        with httpx.Client(base_url=old.base_url, timeout=REQUEST_TIMEOUT) as client:
            for number in numbers:
                made = client.post("/contract/", json={"contract_number": number, "components": ALL_COMPONENTS})
                assert made.status_code == 201, made.text
            for number in numbers:
                answer = client.post("/events", json=[f.body() for f in seeded if f.number == number])
                assert answer.status_code == 200, answer.text
        old.stop()
        _publish_backdated(e2e_database, new_rules)

        # The service restarts on the new tables and takes a stream of events while
        # reevaluate passes over every contract, again and again until the stream ends.
        new = _server(e2e_database, new_rules, tmp_path / "new.log", servers)
        stream = Stream(new.base_url, _requests(rng, streamed))
        stream.start()
        passes = passes_during_load = 0
        pass_failures: list[str] = []
        started = time.monotonic()
        # Stop re-evaluating before the stream ends, so a last pass cannot repair what an
        # earlier one broke: the stream's last requests build on what the passes left.
        while passes == 0 or (stream.running() and stream.answered < REEVALUATE_UNTIL * len(stream.requests)):
            before = stream.answered
            problem = _reevaluate(e2e_database)
            if problem:
                pass_failures.append(problem)
            passes += 1
            if stream.running() and stream.answered > before:
                passes_during_load += 1
            time.sleep(PAUSE_S)  # let the stream move on between passes
        sent = stream.join()
        duration = time.monotonic() - started
    finally:
        for server in servers:
            server.stop()

    stored_keys, mismatches = _check_against_fold(e2e_database, new_engine)
    acknowledged = [f for s in sent if s.acknowledged for f in s.facts]
    lost = [f for f in acknowledged if f.key not in stored_keys.get(f.number, set())]
    failed = [s for s in sent if not s.acknowledged]
    figures(
        f"seed={seed} contracts={CONTRACTS} seeded={len(seeded)} streamed={len(streamed)} "
        f"requests={len(sent)} not_acknowledged={len(failed)} ({_statuses(failed)}) reevaluate_passes={passes} "
        f"(with writes during {passes_during_load}, failed {len(pass_failures)}) "
        f"lost={len(lost)} mismatches={len(mismatches)} "
        f"contracts_wrong={len({m.contract for m in mismatches})} duration={duration:.1f}s"
    )
    assert passes_during_load >= MIN_PASSES_DURING_LOAD, f"seed {seed}: reevaluate did not overlap the stream"
    assert not pass_failures, f"seed {seed}: {pass_failures[:3]}"
    assert not lost, f"seed {seed}: acknowledged but not stored: {lost[:3]}"
    assert not mismatches, f"seed {seed}: stored differs from the fold under the new tables: {mismatches[:5]}"
    errors = [line for line in servers[-1].log().splitlines() if '"level":"ERROR"' in line]
    assert not failed, f"seed {seed}: {[(s.status, s.facts[0]) for s in failed[:3]]}\n{[e[-500:] for e in errors[:3]]}"
