"""Issue 10's figures: ``as_known_at`` on a 1,000-event contract, and GET /contracts over
1,000,000 stored contracts, on SQLite and on PostgreSQL.

The listing's contracts are bulk-loaded straight into the tables before the service starts
(``COPY`` on PostgreSQL, ``executemany`` on SQLite): through the API, creating a million
contracts would take most of an hour. They get their projection rows (the listing reads only
those and ``contracts``) but no amendment rows, which only ``as_known_at`` reads.

The rare state the listing must still find fast is ``paused``: about 1 contract in 20,000 also
holds an EV-charging component, paused. The shipped rules have no such component or state, and
the service refuses to start over stored states its rules do not define, so the listing's
service runs on ``LISTING_RULES``: the shipped rules plus that component.
"""

from __future__ import annotations

import base64
import json
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tests.perf.report import Row
from tests.perf.seeding import EPOCH, create_contracts, event

KNOWN_EVENTS = 1_000
LISTING_RULES = "tests/fixtures/rules_ev"
RARE_COMPONENT = "ev_charging_optimization"


def listing_queries(count: int) -> dict[str, str]:
    """The timed queries; the prefixes are taken from the middle number so that they match
    (numbers are ``0000000`` to ``count - 1``): 1/100 and 1/10 of 1,000,000 contracts."""
    middle = f"{count // 2:07d}"
    return {
        "battery running on a day": "component=battery_optimization&active_on=2024-03-20",
        "supply ended": "component=energy_supply&state=ended",
        "prefix + any component started": f"prefix={middle[:3]}&state=started",
        "prefix only": f"prefix={middle[:2]}",
        "any component paused (a rare state)": "state=paused",
    }


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _timed(client: httpx.Client, paths: Iterator[str], requests: int) -> list[float]:
    latencies = []
    for _ in range(requests):
        path = next(paths)
        started = time.perf_counter()
        response = client.get(path)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
    return latencies


def create_known_contract(database_url: str) -> None:
    create_contracts(database_url, ["known-1000"], ["energy_supply"])


def as_known_at_rows(url: str, requests: int, label: str) -> list[Row]:
    """1,000 events in 20 requests (so that they have 20 commit times), 10 revocations, then
    timeline and history reads as known at instants spread over the ingestion."""
    instants: list[str] = []
    with httpx.Client(base_url=url, timeout=300) as client:
        ids: list[str] = []
        for chunk in range(20):
            events = [
                event(
                    "supply_energy_start" if i % 2 == 0 else "supply_energy_end",
                    "known-1000",
                    (date(2024, 1, 1) + timedelta(days=i % 300)).isoformat(),
                    EPOCH + timedelta(minutes=i),
                )
                for i in range(chunk * 50, chunk * 50 + 50)
            ]
            response = client.post("/events", json=events)
            ids += [r["id"] for r in response.json()["results"]]
            instants.append(datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z")
        for row_id in ids[100:1000:100]:
            client.post(f"/events/{row_id}/revoke", json={"reason": "benchmark"})
            instants.append(datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z")
        late = instants[-12:]
        rows = []
        for name, path in (
            ("GET /{n}/contract_timeline?as_known_at=", "/known-1000/contract_timeline?as_known_at="),
            ("GET /{n}/events?as_known_at= (page of 100)", "/known-1000/events?as_known_at="),
        ):
            paths = (path + late[i % len(late)] for i in range(requests))
            p50, p99 = _percentiles(_timed(client, paths, requests))
            rows.append(
                Row(
                    f"{name}, 1,000 events ({label})",
                    "ms",
                    None,
                    p50,
                    p99,
                    target="p50 <= 20 ms",
                    met=p50 <= 20 if "timeline" in name else None,
                    notes=f"{requests} sequential requests, instants after the last batches and each revocation",
                )
            )
    return rows


def seed_listing(database_url: str, count: int) -> float:
    """``count`` contracts numbered 0000000..., with components and timelines drawn at random
    (fixed seed); returns the seconds it took."""
    from app.db.engines import create_engines

    started = time.perf_counter()
    rng = random.Random(10)
    created = EPOCH.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy writes times on SQLite
    contracts: list[tuple[Any, ...]] = []
    components: list[tuple[Any, ...]] = []
    for cid in range(1, count + 1):
        number = f"{cid - 1:07d}"
        contracts.append((cid, number, created, created))
        held = ["energy_supply"] + (["battery_optimization"] if rng.random() < 0.6 else [])
        held += ["heatpump_optimization"] if rng.random() < 0.3 else []
        for position, component in enumerate(held):
            components.append((cid, number, component, position, *_timeline(rng)))
        if rng.random() < 0.00005:
            start = _day(_start(rng))
            components.append((cid, number, RARE_COMPONENT, len(held), "paused", start, None, None))
    engines = create_engines(database_url)
    try:
        with engines.writer.begin() as conn:
            raw: Any = conn.connection.driver_connection
            if engines.writer.dialect.name == "postgresql":
                _copy(raw, "contracts (id, number, created_at, recorded_at)", contracts)
                _copy(
                    raw,
                    "contract_components (contract_id, contract_number, component, position, state, start_date, "
                    "end_date, last_key)",
                    components,
                )
                raw.execute("SELECT setval(pg_get_serial_sequence('contracts', 'id'), %s)", (count,))
            else:
                raw.executemany(
                    "INSERT INTO contracts (id, number, created_at, recorded_at) VALUES (?, ?, ?, ?)", contracts
                )
                raw.executemany(
                    "INSERT INTO contract_components (contract_id, contract_number, component, position, state, "
                    "start_date, end_date, last_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    components,
                )
        # Committed: in the connection's implicit transaction, rolled back at close, PostgreSQL
        # dropped the statistics and planned every listing query for a table it took as tiny.
        with engines.writer.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    finally:
        engines.dispose()
    return time.perf_counter() - started


def _timeline(rng: random.Random) -> tuple[Any, ...]:
    roll = rng.random()
    start = _start(rng)
    if roll < 0.2:
        return ("not_started", None, None, None)
    if roll < 0.7:
        return ("started", _day(start), None, None)
    return ("ended", _day(start), _day(start + timedelta(days=rng.randint(0, 300))), None)


def _start(rng: random.Random) -> date:
    return date(2023, 1, 1) + timedelta(days=rng.randint(0, 600))


def _day(value: date) -> Any:
    return value.isoformat()


def _copy(raw: Any, target: str, rows: list[tuple[Any, ...]]) -> None:
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def listing_rows(url: str, count: int, requests: int, label: str) -> list[Row]:
    """Filtered pages of 100, each from a random position (an ``after`` cursor at a random number)."""
    rng = random.Random(3)
    rows = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for name, query in listing_queries(count).items():

            def paths(query: str = query) -> Iterator[str]:
                while True:
                    after = _cursor(f"{rng.randrange(count):07d}") if rng.random() < 0.8 else None
                    yield f"/contracts?{query}&limit=100" + (f"&after={after}" if after else "")

            latencies = _timed(client, paths(), requests)
            p50, p99 = _percentiles(latencies)
            rows.append(
                Row(
                    f"GET /contracts?{query} ({label}, {count:,} contracts)",
                    "ms",
                    None,
                    p50,
                    p99,
                    target="p99 <= 50 ms",
                    met=p99 <= 50,
                    notes=f"{name}; {requests} sequential pages of 100 from random positions",
                )
            )
    return rows


def _cursor(number: str) -> str:
    """The listing's cursor for a position (the format app/services/listing.py writes)."""
    raw = json.dumps(["c1", number], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
