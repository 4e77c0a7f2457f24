"""Helpers for the child processes a worker runs (its event writer, its webhook dispatcher)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing.process

logger = logging.getLogger(__name__)


async def join_or_kill(process: multiprocessing.process.BaseProcess, wait: float, what: str) -> None:
    """Wait up to ``wait`` seconds for ``process`` to end, off the loop; kill it after that."""
    await asyncio.to_thread(process.join, wait)
    if process.is_alive():
        logger.warning("%s %s did not stop within %g s; killed", what, process.pid, wait)
        process.kill()
        await asyncio.to_thread(process.join)
