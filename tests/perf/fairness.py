"""Fairness: what one client looping late events into a long history costs every other client.

Contracts of one component (energy supply) each hold ``size`` events, stored through the
batch endpoint: one start dated 2024-01-01, then ``size - 1`` ends dated 2024-06-01, in
``created_at`` order. One client (a thread here) loops late starts into one of them, each
placed after the first start and after the previous late starts, so that it comes before
every stored end: each one has a tail of ``size - 1`` stored events behind it. Meanwhile the
other clients (wrk, as in the POST /event scenario) post new in-order events to other
contracts. The same wrk load without the late client, on the same server and database just
before, is the baseline.

* ``same``: the late start keeps the date 2024-01-01, so the timeline after it equals the one
  stored after the first start and no verdict changes: the common case. A replay that stops
  where the recomputed timeline meets the stored one can stop at once.
* ``flip``: the late start alternates its date between 2024-07-01 (every end behind it
  becomes ``end_before_start``) and 2024-01-01 (they are accepted again), so each one would
  re-judge and rewrite the whole tail, which nothing can cut short. Beyond ``MAX_REJUDGE``
  stored events the service refuses it (409 ``rejudge_limit_exceeded``) having judged no more
  than the limit, and the client checks that it does.
* ``flip_at_limit``: the same on a contract holding exactly ``MAX_REJUDGE`` ends, so each late
  start is accepted and rewrites the longest tail one write may: the worst case that is stored.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from app.domain.replay import MAX_REJUDGE
from tests.perf.late import check_late_answer, flips
from tests.perf.load import Load
from tests.perf.report import Row
from tests.perf.scenarios import EVENT_CONTRACTS
from tests.perf.seeding import EPOCH, create_contracts, event, post_events
from tests.perf.servers import Server
from tests.perf.wrk import WrkResult

VARIANTS = ("same", "flip", "flip_at_limit")
SEED_BATCH = 10_000
MAX_P99_MS = 100.0


def contract_number(variant: str) -> str:
    return f"fair-{variant}"


def create_fairness_contracts(database_url: str) -> None:
    create_contracts(database_url, [contract_number(v) for v in VARIANTS], ["energy_supply"])


def history_size(variant: str, size: int) -> int:
    """Stored events of the variant's contract: a start and ``size - 1`` ends, or ``MAX_REJUDGE`` ends."""
    return MAX_REJUDGE + 1 if variant == "flip_at_limit" else size


def seed_histories(server: Server, size: int) -> None:
    """The events of each late-event contract, in batches through POST /events."""
    with httpx.Client(base_url=server.url) as client:
        for variant in VARIANTS:
            number, stored = contract_number(variant), history_size(variant, size)
            history = [event("supply_energy_start", number, "2024-01-01", EPOCH)] + [
                event("supply_energy_end", number, "2024-06-01", EPOCH + timedelta(seconds=i)) for i in range(1, stored)
            ]
            for at in range(0, stored, SEED_BATCH):
                post_events(client, history[at : at + SEED_BATCH])


@dataclass
class LateClient:
    """One client posting late events one after another until stopped."""

    url: str
    variant: str
    size: int
    latencies_ms: list[float] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    seconds: float = 0.0
    _sent: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _error: BaseException | None = None

    def __enter__(self) -> LateClient:
        self._thread = threading.Thread(target=self._loop, name=f"late-{self.variant}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(300)
        if self._error is not None:
            raise self._error

    def _loop(self) -> None:
        started = time.perf_counter()
        try:
            with httpx.Client(base_url=self.url, timeout=120) as client:
                while not self._stop.is_set():
                    body = self._next()
                    sent = time.perf_counter()
                    response = client.post("/event", json=body)
                    self.latencies_ms.append((time.perf_counter() - sent) * 1000)
                    problem = check_late_answer(response, flips(self.variant != "same", self.size - 1))
                    if problem:
                        self.wrong.append(problem)
        except BaseException as exc:  # raised again in the caller's thread by __exit__
            self._error = exc
        self.seconds = time.perf_counter() - started

    def _next(self) -> dict[str, Any]:
        """A start after the first stored start and every earlier late one, before every end."""
        self._sent += 1
        refused = flips(self.variant != "same", self.size - 1) is None  # nothing is stored: every one tries
        day = "2024-07-01" if self.variant != "same" and (self._sent % 2 == 1 or refused) else "2024-01-01"
        return event(
            "supply_energy_start", contract_number(self.variant), day, EPOCH + timedelta(microseconds=self._sent)
        )


def fairness(load: Load, server: Server, size: int, label: str) -> list[Row]:
    """The baseline, then one row for the other clients and one for the late client per variant."""
    baseline = load.post_event(server, prefix="c", contracts=EVENT_CONTRACTS, name=f"fairness baseline {label}")
    rows = [
        _others_row(
            f"fairness: POST /event, no late client ({label})", baseline, None, target=f"p99<={MAX_P99_MS:.0f} ms"
        )
    ]
    for variant in VARIANTS:
        stored = history_size(variant, size)
        with LateClient(server.url, variant, stored) as late:
            others = load.post_event(server, prefix="c", contracts=EVENT_CONTRACTS, name=f"fairness {variant} {label}")
        what = {
            "same": "no verdict changes",
            "flip": f"each refused: {stored - 1:,} verdicts would flip, more than MAX_REJUDGE={MAX_REJUDGE:,}",
            "flip_at_limit": f"{stored - 1:,} verdicts flip each",
        }[variant]
        rows.append(
            _others_row(
                f"fairness: POST /event beside late client, {variant} ({label})",
                others,
                baseline,
                target=f"p99<={MAX_P99_MS:.0f} ms",
            )
        )
        rows.append(_late_row(late, stored, what, label))
    return rows


def _others_row(scenario: str, measured: WrkResult, baseline: WrkResult | None, *, target: str) -> Row:
    notes = [f"{measured.requests:,} requests in {measured.seconds:.1f} s"]
    if baseline is not None:
        notes.append(
            f"{measured.rate / baseline.rate:.0%} of the baseline rate; "
            f"baseline p50/p99 {baseline.p50_ms:.2f}/{baseline.p99_ms:.2f} ms"
        )
    if measured.non_2xx or measured.socket_errors:
        notes.append(f"NOT ALL 2xx: {measured.non_2xx} non-2xx, {measured.socket_errors} socket errors")
    return Row(
        scenario,
        "req/s",
        measured.rate,
        measured.p50_ms,
        measured.p99_ms,
        ok_fraction=measured.ok_fraction,
        target=target,
        met=measured.p99_ms <= MAX_P99_MS and measured.ok_fraction == 1.0,
        notes="; ".join(notes),
    )


def _late_row(late: LateClient, size: int, what: str, label: str) -> Row:
    latencies = sorted(late.latencies_ms)
    if not latencies:
        return Row(f"fairness: the late client, {late.variant} ({label})", "req/s", 0.0, None, None, notes="no answer")
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    notes = (
        f"{len(latencies)} sequential late events in {late.seconds:.1f} s (warm-up included), "
        f"each with {size - 1:,} stored events behind it, {what}"
    )
    if late.wrong:
        notes += f"; UNEXPECTED RESPONSES ({len(late.wrong)}): {late.wrong[0]}"
    return Row(
        f"fairness: the late client, {late.variant} ({label})",
        "req/s",
        len(latencies) / late.seconds if late.seconds else None,
        statistics.median(latencies),
        p99,
        ok_fraction=1 - len(late.wrong) / len(latencies),
        notes=notes,
    )
