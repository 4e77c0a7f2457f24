"""The one place that commits: a writer thread with group commit.

Writes are queued as functions of a connection. The thread takes every queued write (up to a
limit), runs them in one transaction and commits once; only then are their results handed
back, so nothing is acknowledged before its commit. Several concurrent requests thus share one
commit. A write that fails does not sink the others: the group is rolled back and each write
is retried alone.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Write:
    work: Callable[[Connection], Any]
    future: Future[Any] = field(default_factory=Future)


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
        write = _Write(work)
        self._queue.put(write)
        return write.future

    def run(self, work: Callable[[Connection], T]) -> T:
        """Submit and wait: for callers outside the event loop (scripts, tests)."""
        return self.submit(work).result()

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
                results = [write.work(conn) for write in group]
        except Exception as exc:
            if len(group) > 1:
                for write in group:
                    self._commit([write])
                return
            group[0].future.set_exception(exc)
            return
        self.commits += 1
        for write, result in zip(group, results, strict=True):
            write.future.set_result(result)
