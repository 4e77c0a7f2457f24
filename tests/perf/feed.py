"""``python -m tests.perf.feed``: what the change feed and webhooks cost and deliver (issue 11, section 5).

1. ``POST /event`` with the outbox and without it (``FEED_OUTBOX=false``), in the same run, each
   on a fresh SQLite file with 10,000 contracts, measured twice in the order off, on, on, off so
   that drift of the shared machine falls on both; and the trivial app, for the usual ratio.
2. A reader pulling the feed written by those runs, 1,000 records per request.
3. Webhook latency at a steady 500 events/s (an open-loop sender): from each record's
   ``committed_at`` to the moment the receiver (tests/e2e/receiver.py, in a process of its own,
   see receiver_process.py) got its first 2xx-answered delivery. ``--database-url`` runs this
   part on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import httpx

from tests.perf import scenarios
from tests.perf.__main__ import TRIVIAL, database, service
from tests.perf.load import Load
from tests.perf.receiver_process import RemoteReceiver
from tests.perf.servers import Server, uvicorn_server
from tests.perf.wrk import WrkResult, require_wrk


def post_event(load: Load, server: Server, name: str) -> WrkResult:
    return load.post_event(server, prefix="c", contracts=scenarios.EVENT_CONTRACTS, name=name)


def pull_rate(url: str) -> tuple[int, float]:
    """(records, records per second) reading the whole feed, 1,000 per request."""
    records, after, started = 0, 0, time.perf_counter()
    with httpx.Client(base_url=url, timeout=30.0) as client:
        while True:
            body = client.get("/changes", params={"after": after, "limit": 1000}).json()
            if not body["changes"]:
                break
            records += len(body["changes"])
            after = body["next"]
    return records, records / (time.perf_counter() - started)


async def _paced_events(url: str, rate: float, seconds: float) -> list[int]:
    """Send new in-order events at ``rate`` per second, each at its own due time whatever the
    answers before it (an open loop: a slow answer does not slow the load); their status codes."""

    async def send(session: aiohttp.ClientSession, n: int) -> int:
        moment = datetime(2020, 1, 1) + timedelta(seconds=n)
        event = {
            "type": "supply_energy_start",
            "contract_number": f"c{n % scenarios.EVENT_CONTRACTS}",
            "date": "2020-01-01",
            "created_at": moment.isoformat(),
        }
        async with session.post("/event", json=event) as response:
            return response.status

    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession(url, timeout=aiohttp.ClientTimeout(total=60)) as session:
        start, sends = loop.time(), []
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
            sends.append(asyncio.create_task(send(session, n)))
        return list(await asyncio.gather(*sends))


def committed_records(url: str, after: int) -> dict[int, datetime]:
    """``committed_at`` of every feed record after ``after``, by seq."""
    found: dict[int, datetime] = {}
    with httpx.Client(base_url=url, timeout=30.0) as client:
        while changes := client.get("/changes", params={"after": after, "limit": 1000}).json()["changes"]:
            for change in changes:
                found[change["seq"]] = datetime.fromisoformat(change["committed_at"].replace("Z", "+00:00"))
            after = changes[-1]["seq"]
    return found


def warm_up(url: str, receiver: RemoteReceiver, contract: int) -> int:
    """Send one event and wait for its delivery; the seq it was delivered as."""
    event = {"type": "supply_energy_start", "contract_number": f"c{contract}", "date": "2020-01-01"}
    httpx.post(f"{url}/event", json=event, timeout=30.0).raise_for_status()
    deadline = time.monotonic() + 60.0
    while not (delivered := receiver.delivered("bench")):
        assert time.monotonic() < deadline, "the warm-up event was never delivered"
        time.sleep(0.2)
    return int(delivered[0].record["seq"])


def webhook_latency(stack: ExitStack, tmp: Path, rate: float, seconds: float, database_url: str | None) -> list[float]:
    """Milliseconds from each record's commit to the receiver's first 2xx-answered delivery of it.

    The receiver runs in its own process. One event is delivered before the load starts (the
    worker starts its dispatcher process once a subscription exists), and the run waits (up to
    a minute) until every record committed under load has arrived, and says how many never did."""
    receiver = stack.enter_context(RemoteReceiver())
    db_url, _ = stack.enter_context(database(database_url, tmp, "hooks"))
    scenarios.create_event_contracts(db_url)
    server = service(stack, db_url, 1, WEBHOOK_ALLOW_PRIVATE_NETWORKS="true")
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        created = client.post("/webhooks", json={"url": receiver.url("bench")}).json()
    receiver.set_secret("bench", created["secret"])
    start = warm_up(server.url, receiver, scenarios.EVENT_CONTRACTS - 1)
    assert rate * seconds < scenarios.EVENT_CONTRACTS - 1, "the load would reach the warm-up's contract"
    codes = asyncio.run(_paced_events(server.url, rate, seconds))
    committed = committed_records(server.url, start)
    deadline, arrived = time.monotonic() + 60.0, dict[int, float]()
    while time.monotonic() < deadline:
        arrived = dict[int, float]()
        for d in receiver.delivered("bench"):
            arrived.setdefault(d.record["seq"], d.received)
        if committed.keys() <= arrived.keys():
            break
        time.sleep(0.5)
    missing = len(committed.keys() - arrived.keys())
    accepted = sum(1 for code in codes if code == 200)
    print(
        f"webhooks: sent {len(codes)} events ({accepted} answered 200), {len(committed)} records committed, "
        f"{len(committed) - missing} delivered, {missing} never arrived"
    )
    return [(arrived[seq] - at.timestamp()) * 1000 for seq, at in committed.items() if seq in arrived]


def report_latency(latencies: list[float], rate: float) -> None:
    if len(latencies) < 20:
        print(f"webhooks: only {len(latencies)} deliveries")
        return
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"webhook commit -> receiver 2xx at {rate:.0f} events/s: p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {p95:.0f} ms, max {max(latencies):.0f} ms (target p95 <= 1 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each wrk run")
    parser.add_argument("--webhook-rate", type=float, default=500.0, help="events per second for the latency run")
    parser.add_argument("--webhooks-only", action="store_true", help="only the webhook latency run")
    parser.add_argument("--database-url", help="PostgreSQL for the webhook latency run (default: a SQLite file)")
    args = parser.parse_args()
    if args.webhooks_only:
        with tempfile.TemporaryDirectory(prefix="perf-feed-") as tmp, ExitStack() as stack:
            report_latency(
                webhook_latency(stack, Path(tmp), args.webhook_rate, args.seconds, args.database_url), args.webhook_rate
            )
        return
    require_wrk()
    load = Load(args.seconds, 2.0)
    with tempfile.TemporaryDirectory(prefix="perf-feed-") as tmp, ExitStack() as stack:
        runs: dict[bool, list[WrkResult]] = {False: [], True: []}
        servers: dict[bool, Server] = {}
        for outbox in (False, True):
            db_url, _ = stack.enter_context(database(None, Path(tmp), f"outbox-{outbox}"))
            scenarios.create_event_contracts(db_url)
            servers[outbox] = service(stack, db_url, 1, FEED_OUTBOX=str(outbox).lower())
        for outbox in (False, True, True, False):
            runs[outbox].append(post_event(load, servers[outbox], f"outbox={outbox}"))
        with uvicorn_server("trivial", TRIVIAL, workers=1, env={}) as trivial:
            baseline = post_event(load, trivial, "trivial")
        records, rate = pull_rate(servers[True].url)
        latencies = webhook_latency(stack, Path(tmp), args.webhook_rate, args.seconds, args.database_url)
    without = statistics.mean(r.rate for r in runs[False])
    with_outbox = statistics.mean(r.rate for r in runs[True])
    print(
        f"POST /event without outbox: {without:,.0f} req/s ({without / baseline.rate:.0%} of trivial "
        f"{baseline.rate:,.0f}); runs {[round(r.rate) for r in runs[False]]}, p99 {[r.p99_ms for r in runs[False]]} ms"
    )
    print(
        f"POST /event with outbox:    {with_outbox:,.0f} req/s ({with_outbox / baseline.rate:.0%} of trivial); "
        f"runs {[round(r.rate) for r in runs[True]]}, p99 {[r.p99_ms for r in runs[True]]} ms"
    )
    print(f"outbox / no outbox: {with_outbox / without:.1%} (target >= 90%)")
    print(f"feed pull: {records:,} records at {rate:,.0f} records/s (target >= 20,000/s)")
    report_latency(latencies, args.webhook_rate)
    print(f"measured at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on a shared machine")


if __name__ == "__main__":
    main()
