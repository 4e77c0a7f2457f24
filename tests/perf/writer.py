"""``python -m tests.perf.writer``: the writer's work per event, alone, by group size.

wrk measures the whole service; on a shared 2-core machine the same code's ratio moves by a
third within minutes, which hides changes to one part. This times one part, the writer's
transaction, without HTTP or the event loop: groups of G in-order single-event requests (the
work that ``EventRecorder.submit`` queues, one new start per contract) run through the writer's
transaction (``Writer.commit``) on this thread, so their CPU time is this thread's.
It prints the minimum and the median over repetitions in µs of CPU per event, and how much of
it the commit took. Small groups are where the per-commit work shows: wrk's 16 connections
make groups of a few requests.

``--drop-indexes`` leaves chosen indexes out of the schema (names containing the given words,
e.g. ``listing``), to see what keeping each one costs a write. SQLite only.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.db.tables import Base
from app.db.writer import Write, Writer
from app.runtime import Runtime, open_runtime
from app.services.event_log import record_events
from app.services.events import to_commands
from app.settings import Settings
from tests.perf.seeding import EPOCH, START_TYPES, create_contracts

CONTRACTS = 5_000


class CommitClock:
    """CPU seconds spent in the DBAPI commit of ``engine``'s connections."""

    def __init__(self, engine: Engine) -> None:
        self.seconds = 0.0
        self._started = 0.0
        event.listen(engine, "commit", self._before)

    def _before(self, conn: Any) -> None:
        self._started = time.process_time()

    def stop_lap(self) -> None:
        if self._started:
            self.seconds += time.process_time() - self._started
            self._started = 0.0


class Requests:
    """In-order start events, one per request, contract after contract, type after type."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime, self._k = runtime, 0

    def group(self, size: int) -> list[Write]:
        writes = []
        for _ in range(size):
            self._k += 1
            number = f"w{self._k % CONTRACTS}"
            kind = START_TYPES[(self._k // CONTRACTS) % len(START_TYPES)]
            created_at = EPOCH + timedelta(days=1, milliseconds=self._k)
            body = SimpleNamespace(
                type=kind, contract_number=number, date=created_at.date(), created_at=created_at, event_id=None
            )
            commands = to_commands([body], datetime.now(UTC).replace(tzinfo=None))
            work = partial(record_events, commands=commands, rules=self._runtime.catalog.engine_at)
            writes.append(Write(work, {number}, buffered=True))
        return writes


def time_groups(writer: Writer, clock: CommitClock, groups: list[list[Write]]) -> tuple[float, float]:
    """(CPU µs per event, of which the commit's) for running ``groups`` one transaction each."""
    events = sum(len(g) for g in groups)
    clock.seconds = 0.0
    started = time.process_time()
    for group in groups:
        for _, error in writer.commit(group):
            if error is not None:
                raise RuntimeError(f"a write failed: {error}")
        clock.stop_lap()
    spent = time.process_time() - started
    return spent / events * 1e6, clock.seconds / events * 1e6


@contextmanager
def runtime_on(database_url: str) -> Iterator[Runtime]:
    """The service's runtime with its writer thread and rules watcher stopped: this thread writes."""
    runtime = open_runtime(Settings(database_url=database_url, event_writer="thread"))
    try:
        runtime.writer.stop()
        runtime.watcher.stop()
        create_contracts(database_url, [f"w{i}" for i in range(CONTRACTS)])
        yield runtime
    finally:
        runtime.close()


def drop_indexes(words: list[str]) -> None:
    """Leave out of this process's schema every index whose name holds one of ``words``."""
    dropped = [
        (table, index)
        for table in Base.metadata.tables.values()
        for index in list(table.indexes)
        if any(word in str(index.name) for word in words)
    ]
    for table, index in dropped:
        table.indexes.discard(index)
    print("left out:", ", ".join(str(index.name) for _, index in dropped) or "nothing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--group-sizes", default="1,4,16", help="requests per transaction, comma-separated")
    parser.add_argument("--events", type=int, default=500, help="events per repetition")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--drop-indexes", default="", help="comma-separated words of index names to leave out")
    args = parser.parse_args()
    sizes = [int(s) for s in args.group_sizes.split(",")]
    # Each size runs a warm-up of a tenth and the repetitions: at most this many events in all.
    if len(sizes) * (args.repetitions + 1) * args.events > CONTRACTS * len(START_TYPES):
        raise SystemExit(f"at most {CONTRACTS * len(START_TYPES)} events are in-order starts; ask for fewer")
    if args.drop_indexes:
        drop_indexes(args.drop_indexes.split(","))
    with tempfile.TemporaryDirectory() as tmp, runtime_on(f"sqlite:///{Path(tmp) / 'writer.db'}") as runtime:
        writer, clock = runtime.writer, CommitClock(runtime.engines.writer)
        requests = Requests(runtime)
        print(f"{'group':>5}  {'min µs/event':>12}  {'median':>7}  {'commit (at min)':>15}")
        for size in sizes:
            count = max(1, args.events // size)
            time_groups(writer, clock, [requests.group(size) for _ in range(max(1, count // 10))])  # warm-up
            runs = [
                time_groups(writer, clock, [requests.group(size) for _ in range(count)])
                for _ in range(args.repetitions)
            ]
            best = min(runs)
            median = statistics.median(r[0] for r in runs)
            print(f"{size:>5}  {best[0]:>12.1f}  {median:>7.1f}  {best[1]:>15.1f}")


if __name__ == "__main__":
    main()
