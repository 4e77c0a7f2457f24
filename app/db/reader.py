"""Where reads run.

On PostgreSQL a read waits on the network, so it runs on a small thread pool, one hop from the
event loop. On SQLite a read is a lookup in a local file through an index: in WAL mode readers
never wait for writers, and the query costs about 15 µs, less than the thread handoff alone
(about 100 µs under load). SQLite reads therefore run on the event loop itself, on one
connection that holds no transaction between reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")


class Reader:
    def __init__(self, engine: Engine, *, threads: int = 4) -> None:
        self._engine = engine
        self._local: Connection | None = engine.connect() if engine.dialect.name == "sqlite" else None
        self._pool = None if self._local else ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db-reader")

    async def run(self, work: Callable[[Connection], T]) -> T:
        if self._local is not None:
            try:
                return work(self._local)
            finally:
                self._local.rollback()  # end any snapshot a SQLAlchemy statement began
        assert self._pool is not None
        return await asyncio.wrap_future(self._pool.submit(self._call, work))

    def _call(self, work: Callable[[Connection], T]) -> T:
        with self._engine.connect() as conn:
            return work(conn)

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
