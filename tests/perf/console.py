"""The console's contract page of a 1,000-event contract, timed one request at a time.

The events are energy-supply starts and ends (half each, as in the late-event scenario, so the
timeline has a closed bar). The page is read with the default page of the event log (100 rows)
and with the whole log on one page (1,000 rows). Time is measured at the client, so it is an
upper bound on the server's time (loopback adds well under a millisecond)."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import httpx

from tests.perf.report import Row
from tests.perf.seeding import EPOCH, create_contracts, event, post_events

NUMBER, SIZE = "console-1000", 1_000
TARGET_MS = 300.0


def create_console_contract(database_url: str) -> None:
    create_contracts(database_url, [NUMBER], ["energy_supply", "battery_optimization"])


def _seed(client: httpx.Client) -> None:
    half = SIZE // 2
    post_events(
        client,
        [
            event(
                "supply_energy_start" if i < half else "supply_energy_end",
                NUMBER,
                "2024-01-01" if i < half else "2024-06-01",
                EPOCH + timedelta(seconds=i),
            )
            for i in range(SIZE)
        ],
    )


def contract_page(url: str, requests: int, label: str) -> list[Row]:
    rows = []
    with httpx.Client(base_url=url, timeout=60) as client:
        _seed(client)
        for limit in (100, 1_000):
            latencies = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(f"/ui/contracts/{NUMBER}", params={"limit": limit})
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200 or response.text.count('<tr class="accepted') != limit:
                    raise RuntimeError(f"console page: {response.status_code}, expected {limit} event rows")
            latencies.sort()
            p50 = statistics.median(latencies)
            p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
            rows.append(
                Row(
                    f"console contract page, {SIZE:,}-event contract, {limit:,} log rows shown ({label})",
                    "ms",
                    None,
                    p50,
                    p99,
                    target=f"p99<={TARGET_MS:.0f} ms",
                    met=p99 <= TARGET_MS,
                    notes=f"{len(latencies)} sequential GET /ui/contracts/{{n}}?limit={limit}, HTML with SVG bars",
                )
            )
    return rows
