"""Reads run on a small thread pool, one hop from the event loop, each on a pooled connection."""

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
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db-reader")

    async def run(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.wrap_future(self._pool.submit(self._call, work))

    def _call(self, work: Callable[[Connection], T]) -> T:
        with self._engine.connect() as conn:
            return work(conn)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
