"""The one place that commits: a writer thread with group commit.

Writes are queued as functions of a connection. The thread takes every queued write (up to a
limit), runs them in one transaction and commits once; only then are their results handed
back, so nothing is acknowledged before its commit. Several concurrent requests thus share one
commit. Batch writes that share a function are merged into one call, so concurrent requests
also share their statements. A write that fails does not sink the others: the group is rolled
back and each write is retried alone. Results for an event loop are handed over with one wake-up
of that loop per commit, not one per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")
Item = TypeVar("Item")
BatchWork = Callable[[Connection, Sequence[Any]], Sequence[Any]]
Outcome = tuple[Any, BaseException | None]


@dataclass(slots=True)
class _Write:
    work: BatchWork
    items: Sequence[Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    whole: bool = False
    """Resolve with the one result itself rather than with the list of results."""


class Writer:
    def __init__(self, engine: Engine, *, group_max: int = 512) -> None:
        self._engine, self._group_max = engine, group_max
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="db-writer", daemon=True)
        self._conn: Connection | None = None
        self.commits = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Finish every queued write, then stop."""
        self._queue.put(None)
        self._thread.join()
        if self._conn is not None:
            self._conn.close()

    async def run(self, work: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Write(lambda conn, _items: [work(conn)], [None], future, loop, whole=True))
        return await future

    async def run_batch(
        self, work: Callable[[Connection, Sequence[Item]], Sequence[T]], items: Sequence[Item]
    ) -> list[T]:
        """Run ``work(conn, items)``; queued batches with the same ``work`` run as one call."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[T]] = loop.create_future()
        self._queue.put(_Write(work, items, future, loop))
        return await future

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group, stopping = [first], False
            while len(group) < self._group_max:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                group.append(nxt)
            _deliver(group, self._commit(group))
            if stopping:
                return

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
        return self._conn

    def _commit(self, group: list[_Write]) -> list[Outcome]:
        try:
            conn = self._connection()
            with conn.begin():
                results = [
                    result
                    for _, run in itertools.groupby(group, key=lambda w: w.work)
                    for result in _run_merged(conn, list(run))
                ]
        except Exception as exc:
            if len(group) == 1:
                return [(None, exc)]
            return [outcome for write in group for outcome in self._commit([write])]
        self.commits += 1
        return [(result[0] if write.whole else result, None) for write, result in zip(group, results, strict=True)]


def _run_merged(conn: Connection, writes: list[_Write]) -> list[list[Any]]:
    """Run writes sharing one function as a single call; split the results back per write."""
    items = [item for write in writes for item in write.items]
    results = list(writes[0].work(conn, items))
    if len(results) != len(items):
        raise RuntimeError(f"batch work returned {len(results)} results for {len(items)} items")
    starts = list(itertools.accumulate((len(w.items) for w in writes), initial=0))
    return [results[a:b] for a, b in itertools.pairwise(starts)]


def _deliver(group: list[_Write], outcomes: list[Outcome]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Outcome]]] = defaultdict(list)
    for write, outcome in zip(group, outcomes, strict=True):
        by_loop[write.loop].append((write.future, outcome))
    for loop, pending in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_resolve, pending)


def _resolve(pending: list[tuple[asyncio.Future[Any], Outcome]]) -> None:
    for future, (result, error) in pending:
        if future.cancelled():
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
