"""The one place that commits: a writer thread with group commit.

Writes are queued as functions of a connection. The thread takes every queued write (up to a
limit), runs them in one transaction and commits once; only then are their results handed
back, so nothing is acknowledged before its commit. Several concurrent requests thus share one
commit. Batch writes that share a function are merged into one call, so concurrent requests
also share their statements. A write that fails does not sink the others: the group is rolled
back and each write is retried alone.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")
Item = TypeVar("Item")
BatchWork = Callable[[Connection, Sequence[Any]], Sequence[Any]]


@dataclass(slots=True)
class _Write:
    work: BatchWork
    items: Sequence[Any]
    future: Future[Any] = field(default_factory=Future)
    whole: bool = False
    """Resolve the future with the one result itself rather than with the list of results."""


class Writer:
    def __init__(self, engine: Engine, *, group_max: int = 512) -> None:
        self._engine, self._group_max = engine, group_max
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="db-writer", daemon=True)
        self.commits = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Finish every queued write, then stop."""
        self._queue.put(None)
        self._thread.join()

    def submit(self, work: Callable[[Connection], T]) -> Future[T]:
        write = _Write(lambda conn, _items: [work(conn)], [None], whole=True)
        self._queue.put(write)
        return write.future

    def submit_batch(self, work: Callable[[Connection, Sequence[Item]], Sequence[T]],
                     items: Sequence[Item]) -> Future[list[T]]:
        """Queue ``work(conn, items)``; queued batches with the same ``work`` run as one call."""
        write = _Write(work, items)
        self._queue.put(write)
        return write.future

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
            self._commit(group)
            if stopping:
                return

    def _commit(self, group: list[_Write]) -> None:
        try:
            with self._engine.begin() as conn:
                results = [result for _, run in itertools.groupby(group, key=lambda w: w.work)
                           for result in _run_merged(conn, list(run))]
        except Exception as exc:
            if len(group) > 1:
                for write in group:
                    self._commit([write])
                return
            group[0].future.set_exception(exc)
            return
        self.commits += 1
        for write, result in zip(group, results, strict=True):
            write.future.set_result(result[0] if write.whole else result)


def _run_merged(conn: Connection, writes: list[_Write]) -> list[list[Any]]:
    """Run writes sharing one function as a single call; split the results back per write."""
    items = [item for write in writes for item in write.items]
    results = list(writes[0].work(conn, items))
    if len(results) != len(items):
        raise RuntimeError(f"batch work returned {len(results)} results for {len(items)} items")
    bounds = itertools.accumulate((len(w.items) for w in writes), initial=0)
    starts = list(bounds)
    return [results[a:b] for a, b in itertools.pairwise(starts)]
