"""Late events: one older event into a contract that already holds many, timed one at a time.

Each contract's history is ``size`` energy-supply events: the first half starts dated
2024-01-01, the second half ends dated 2024-06-01. Every late event is a start placed just
before the first end (after the earlier late ones), so each one replays the ``size / 2`` ends.

* ``same`` variant: the late start keeps the start date, so no stored verdict changes.
* ``in_order`` variant (the reference): an end dated 2024-06-01 after everything stored, so
  nothing is replayed; it shows what one sequential request costs without a replay.
* ``flip`` variant: the late start alternates its date between 2024-07-01 (every end after
  it becomes ``end_before_start``) and 2024-01-01 (they are accepted again), so each request
  rewrites ``size / 2`` verdicts and ``changed`` must list exactly that many. Beyond
  ``MAX_REJUDGE`` it must be refused instead (409 ``rejudge_limit_exceeded``), at the cost of
  judging the limit's worth of events.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from typing import Any

import httpx

from app.domain.replay import MAX_REJUDGE
from tests.perf.report import Row
from tests.perf.seeding import EPOCH, create_contracts, event, post_events

MAX_SERIES_SECONDS = 120.0
VARIANTS = ("in_order", "same", "flip")


def contract_number(size: int, variant: str) -> str:
    return f"late-{size}-{variant}"


def create_late_contracts(database_url: str, sizes: list[int]) -> None:
    numbers = [contract_number(size, variant) for size in sizes for variant in VARIANTS]
    create_contracts(database_url, numbers, ["energy_supply"])


def seed_history(client: httpx.Client, number: str, size: int) -> None:
    half = size // 2
    post_events(
        client,
        [
            event(
                "supply_energy_start" if i < half else "supply_energy_end",
                number,
                "2024-01-01" if i < half else "2024-06-01",
                EPOCH + timedelta(seconds=i),
            )
            for i in range(size)
        ],
    )


def late_series(url: str, size: int, variant: str, requests: int, label: str) -> Row:
    number = contract_number(size, variant)
    half = size // 2
    latencies: list[float] = []
    wrong: list[str] = []
    with httpx.Client(base_url=url, timeout=120) as client:
        seed_history(client, number, size)
        deadline = time.monotonic() + MAX_SERIES_SECONDS
        for i in range(requests):
            if time.monotonic() > deadline:
                break
            body = _late_event(variant, number, i, size)
            started = time.perf_counter()
            response = client.post("/event", json=body)
            latencies.append((time.perf_counter() - started) * 1000)
            problem = check_late_answer(response, flips(variant == "flip", half))
            if problem:
                wrong.append(problem)
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    replays = "no replay" if variant == "in_order" else f"each replaying {half:,} stored events"
    changes = {
        0: "no verdict changes",
        None: f"each refused: {half:,} verdicts would flip, more than MAX_REJUDGE={MAX_REJUDGE:,}",
    }.get(flips(variant == "flip", half), f"{half:,} verdicts rewritten each")
    notes = f"{len(latencies)} sequential requests, {replays}, {changes}"
    if wrong:
        notes += f"; UNEXPECTED RESPONSES ({len(wrong)}): {wrong[0]}"
    row = Row(
        f"late event into {size:,}-event contract, {variant} ({label})",
        "ms",
        None,
        p50,
        p99,
        ok_fraction=1 - len(wrong) / len(latencies),
        notes=notes,
    )
    if size == 1_000 and variant != "in_order":
        row.target, row.met = "p50<=20 ms", p50 <= 20
    return row


def _late_event(variant: str, number: str, i: int, size: int) -> dict[str, Any]:
    if variant == "in_order":
        return event("supply_energy_end", number, "2024-06-01", EPOCH + timedelta(seconds=size, milliseconds=i))
    refused = flips(variant == "flip", size // 2) is None  # nothing is stored, so every one tries the flip
    day = "2024-07-01" if variant == "flip" and (i % 2 == 0 or refused) else "2024-01-01"
    last_start = EPOCH + timedelta(seconds=size // 2 - 1)
    return event("supply_energy_start", number, day, last_start + timedelta(milliseconds=i + 1))


def flips(flipping: bool, tail: int) -> int | None:
    """Verdicts a late start flips with ``tail`` stored events behind it when it is ``flipping``
    (moving the start past them); ``None`` when it must be refused for the limit."""
    if not flipping:
        return 0
    return None if tail > MAX_REJUDGE else tail


def check_late_answer(response: httpx.Response, expected_changes: int | None) -> str | None:
    """What is wrong with a late event's answer, if anything; ``None`` expects a refusal for the limit."""
    if expected_changes is None:
        code = response.json().get("code") if response.status_code == 409 else None
        return None if code == "rejudge_limit_exceeded" else f"{response.status_code} {response.text[:200]}"
    if response.status_code != 200:
        return f"{response.status_code} {response.text[:200]}"
    body: dict[str, Any] = response.json()
    changed = body.get("changed_total", len(body["changed"]))  # the list itself is capped
    if body["status"] != "accepted" or changed != expected_changes:
        return f"status {body['status']}, {changed} changed, expected {expected_changes}"
    return None
