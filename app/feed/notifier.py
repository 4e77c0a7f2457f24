"""Wakes whoever waits for new feed records, without a database query per waiting client.

One notifier per worker holds the highest seq this worker knows to be committed. The writer
announces its own commits at once (``announce``, called from the writer thread); commits by
other workers and hosts are learnt by one query per ``poll_interval`` (``poll_forever``), made by
the notifier alone, however many long polls, streams and dispatchers wait on it. A waiter
therefore learns of a local commit within microseconds and of a remote one within the interval.
Listeners outside this loop (the webhook dispatcher's process) are told of every head announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Notifier:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self.head = 0
        self._changed = asyncio.Event()
        self._listeners: tuple[Callable[[int], None], ...] = ()  # replaced whole: any thread may read it

    def listen(self, listener: Callable[[int], None]) -> None:
        """Call ``listener`` (from whichever thread announces; it must not block) with every head announced."""
        self._listeners = (*self._listeners, listener)

    def unlisten(self, listener: Callable[[int], None]) -> None:
        self._listeners = tuple(known for known in self._listeners if known != listener)

    def bind(self, loop: asyncio.AbstractEventLoop, head: int) -> None:
        """Serve waiters on ``loop``, starting from the feed's ``head``."""
        self._loop, self.head = loop, max(self.head, head)

    def announce(self, head: int) -> None:
        """A commit up to ``head`` happened; callable from any thread."""
        for listener in self._listeners:
            listener(head)
        if self._loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
            self._loop.call_soon_threadsafe(self._advance, head)

    def _advance(self, head: int) -> None:
        if head > self.head:
            self.head = head
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait_beyond(self, seq: int, timeout: float) -> bool:
        """Wait until a record after ``seq`` is known to be committed, or ``timeout`` passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.head <= seq:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    async def poll_forever(self, read_head: Callable[[], int], interval: float) -> None:
        """Learn other workers' commits: read the head every ``interval`` seconds, off the loop."""
        while True:
            try:
                self.announce(await asyncio.to_thread(read_head))
            except Exception:  # the database is down for a moment: the next poll will tell
                logger.warning("could not read the change feed's head", exc_info=True)
            await asyncio.sleep(interval)
