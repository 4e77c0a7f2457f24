"""Where reads run.

On PostgreSQL a read waits on the network, so it runs on a small thread pool, one hop from the
event loop. On SQLite a read is a lookup in a local file through an index: in WAL mode readers
never wait for writers, and the query costs about 15 µs, less than the thread handoff alone
(about 100 µs under load). SQLite's small reads (``run``) therefore run on the event loop itself,
on one connection that holds no transaction between reads.

A read whose cost grows with the stored data (a page of a contract's history: up to 1,000 events
read and shaped) runs on the thread pool on every database (``run_off_loop``). On the loop it
would hold every other request for its whole duration; on a thread, the loop takes the
interpreter back at least every switch interval (5 ms) and while SQLite works without the GIL.

A read that meets storage which cannot serve it (a SQLite file removed, replaced or unreadable)
answers 503 ``storage_unavailable``, as a write meeting the same condition does, not a 500.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from app.db.storage import storage_failure
from app.domain.errors import Unavailable

T = TypeVar("T")


class Reader:
    def __init__(self, engine: Engine, *, threads: int = 4) -> None:
        self._engine = engine
        self._local: Connection | None = engine.connect() if engine.dialect.name == "sqlite" else None
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db-reader")

    async def run(self, work: Callable[[Connection], T]) -> T:
        """A small read: on the loop on SQLite, on the pool elsewhere."""
        if self._local is not None:
            try:
                return work(self._local)
            except DBAPIError as exc:
                if not storage_failure(exc):
                    raise
                raise _unavailable(exc) from exc
            finally:
                self._local.rollback()  # end any snapshot a SQLAlchemy statement began
        return await self.run_off_loop(work)

    async def run_off_loop(self, work: Callable[[Connection], T]) -> T:
        """A read whose cost grows with the data: always on the pool, on a pooled connection."""
        return await asyncio.wrap_future(self._pool.submit(self._call, work))

    def _call(self, work: Callable[[Connection], T]) -> T:
        try:
            with self._engine.connect() as conn:
                return work(conn)
        except DBAPIError as exc:
            if not storage_failure(exc):
                raise
            raise _unavailable(exc) from exc

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
        self._pool.shutdown(wait=True)


def _unavailable(exc: DBAPIError) -> Unavailable:
    """503 ``storage_unavailable`` for a read that storage cannot serve. (A plain ``except`` at each
    call, not a context manager: the timeline read takes this path on every request.)"""
    reason = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
    return Unavailable(f"The database cannot be read: {reason}.", "storage_unavailable")
