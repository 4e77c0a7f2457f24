"""``python -m tests.perf.feed``: what the change feed and webhooks cost and deliver (issue 11, section 5).

1. ``POST /event`` with the outbox and without it (``FEED_OUTBOX=false``), in the same run, each
   on a fresh SQLite file with 10,000 contracts, measured twice in the order off, on, on, off so
   that drift of the shared machine falls on both; and the trivial app, for the usual ratio.
2. A reader pulling the feed written by those runs, 1,000 records per request.
3. Webhook latency at a steady 500 events/s: from each record's ``committed_at`` to the moment
   the receiver (tests/e2e/receiver.py, in this process) got the 2xx-answered delivery.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.e2e.receiver import Receiver
from tests.perf import scenarios
from tests.perf.__main__ import TRIVIAL, database, service
from tests.perf.load import Load
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


def paced_events(url: str, rate: float, seconds: float, threads: int = 4) -> int:
    """Send new in-order events at ``rate`` per second in all, spread over the contracts."""
    sent = [0] * threads
    start = time.monotonic()

    def run(index: int) -> None:
        interval, n = threads / rate, 0
        with httpx.Client(base_url=url, timeout=30.0) as client:
            while (due := start + index / rate + n * interval) < start + seconds:
                time.sleep(max(0.0, due - time.monotonic()))
                moment = datetime(2020, 1, 1) + timedelta(seconds=n * threads + index)
                contract = f"c{(n * threads + index) % scenarios.EVENT_CONTRACTS}"
                event = {
                    "type": "supply_energy_start",
                    "contract_number": contract,
                    "date": "2020-01-01",
                    "created_at": moment.isoformat(),
                }
                client.post("/event", json=event)
                n += 1
        sent[index] = n

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(sent)


def webhook_latency(stack: ExitStack, tmp: Path, rate: float, seconds: float) -> list[float]:
    receiver = Receiver().start()
    stack.callback(receiver.stop)
    db_url, _ = stack.enter_context(database(None, tmp, "hooks"))
    scenarios.create_event_contracts(db_url)
    server = service(stack, db_url, 1, WEBHOOK_ALLOW_PRIVATE_NETWORKS="true")
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        created = client.post("/webhooks", json={"url": receiver.url("bench")}).json()
    receiver.secrets["bench"] = created["secret"]
    sent = paced_events(server.url, rate, seconds)
    time.sleep(3.0)
    latencies = []
    for d in receiver.delivered("bench"):
        committed = datetime.fromisoformat(d.record["committed_at"].replace("Z", "+00:00"))
        latencies.append((d.received - committed.timestamp()) * 1000)
    print(f"webhooks: sent {sent} events, {len(latencies)} deliveries")
    return latencies


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
    args = parser.parse_args()
    if args.webhooks_only:
        with tempfile.TemporaryDirectory(prefix="perf-feed-") as tmp, ExitStack() as stack:
            report_latency(webhook_latency(stack, Path(tmp), args.webhook_rate, args.seconds), args.webhook_rate)
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
        latencies = webhook_latency(stack, Path(tmp), args.webhook_rate, args.seconds)
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
