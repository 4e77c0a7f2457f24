"""The webhook dispatcher in a process of its own, started by a worker once a subscription exists.

A subscription's deliveries go one at a time, so its throughput is one over the round trip. Made
from the worker's process, every round trip would also wait for the interpreter lock behind the
requests being served: at 500 events/s a worker alone keeps most of a core busy. A child process
has a core of its own, and a worker with no subscriptions runs no child at all.

The worker tells the child of each commit through a pipe: a non-blocking write of the feed's new
head, dropped if the pipe is full (the child then has wake-ups to read anyway); commits of other
workers reach it the same way, through the worker's notifier poll. When the worker ends, even by
SIGKILL, the pipe closes and the child stops; a delivery it was making is sent again, with the
same ``webhook-id``, once its lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from app.child_processes import join_or_kill
from app.db import feed as feed_queries
from app.db.engines import Engines, create_engines
from app.feed.notifier import Notifier
from app.logging_setup import configure_logging
from app.settings import Settings
from app.webhooks.schedule import parse_schedule

if TYPE_CHECKING:
    from app.webhooks.dispatcher import DispatchSettings

logger = logging.getLogger(__name__)
STOP_WAIT = 10.0  # seconds the child may take to end its round; an interrupted one is redelivered
WATCH_EVERY = 1.0  # seconds between looks at whether the child still runs
RESTART_WAIT, RESTART_WAIT_MAX, STEADY = 1.0, 60.0, 30.0
HEAD_BYTES = 8


def dispatch_settings(settings: Settings) -> DispatchSettings:
    from app.webhooks.dispatcher import DispatchSettings  # noqa: PLC0415 (see _dispatch)

    return DispatchSettings(
        timeout=settings.webhook_timeout,
        schedule=parse_schedule(settings.webhook_retry_schedule),
        max_age=settings.webhook_max_retry_age,
        lease=settings.webhook_lease,
        allow_private=settings.webhook_allow_private_networks,
    )


class DispatcherProcess:
    """The worker's side: starts the child, tells it of new heads, stops it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._process: multiprocessing.process.BaseProcess | None = None
        self._pipe: Connection | None = None
        self._lock = threading.Lock()  # announce (writer thread) against stop (loop)

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self, head: int) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no copy of the worker's threads
        wakeups, pipe = context.Pipe(duplex=False)
        process = context.Process(target=serve, args=(self._settings, wakeups, head), name="webhook-dispatcher")
        process.daemon = True
        process.start()
        wakeups.close()
        os.set_blocking(pipe.fileno(), False)
        with self._lock:
            self._process, self._pipe = process, pipe
        logger.info("webhook dispatcher started in process %s", process.pid)

    async def keep_running(self, head: Callable[[], int]) -> None:
        """Start the child, and start another whenever it ends (a crash, the OOM killer), waiting
        longer after each one that ended within ``STEADY`` seconds; cancelled with the worker."""
        wait, started = RESTART_WAIT, 0.0
        while True:
            process = self._process
            if process is None or not process.is_alive():
                if process is not None:
                    lived = time.monotonic() - started
                    wait = min(wait * 2, RESTART_WAIT_MAX) if lived < STEADY else RESTART_WAIT
                    logger.error(
                        "webhook dispatcher process %s ended with exit code %s; starting another in %g s",
                        process.pid,
                        process.exitcode,
                        wait,
                    )
                    self._drop()
                    await asyncio.sleep(wait)
                try:
                    self.start(head())
                except Exception:  # no process could be made now: the next look tries again
                    logger.exception("could not start the webhook dispatcher process")
                started = time.monotonic()
            await asyncio.sleep(WATCH_EVERY)

    def _drop(self) -> multiprocessing.process.BaseProcess | None:
        """Forget the child and close its pipe; the child, if it still runs, then ends its round."""
        with self._lock:
            process, pipe, self._process, self._pipe = self._process, self._pipe, None, None
        if pipe is not None:
            pipe.close()
        return process

    def announce(self, head: int) -> None:
        """Tell the child of a commit up to ``head``; never blocks (called from the writer thread)."""
        with self._lock:
            if self._pipe is None:
                return
            # a full pipe means the child has wake-ups to read; a broken one, that it is gone
            with contextlib.suppress(OSError):
                os.write(self._pipe.fileno(), head.to_bytes(HEAD_BYTES, "little"))

    async def stop(self) -> None:
        process = self._drop()
        if process is None:
            return
        await join_or_kill(process, STOP_WAIT, "webhook dispatcher")


def serve(settings: Settings, wakeups: Connection, head: int) -> None:
    """The child's main: dispatch until the worker closes the pipe."""
    configure_logging(settings.log_level)
    engines = create_engines(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_dispatch(engines, dispatch_settings(settings), wakeups, head))
    finally:
        engines.dispose()


async def _dispatch(engines: Engines, settings: DispatchSettings, wakeups: Connection, head: int) -> None:
    loop = asyncio.get_running_loop()
    notifier, worker_gone = Notifier(), asyncio.Event()
    notifier.bind(loop, max(head, await asyncio.to_thread(feed_queries.read_head, engines.reader)))
    fd = wakeups.fileno()
    os.set_blocking(fd, False)

    def read_wakeups() -> None:
        try:
            data = os.read(fd, 512 * HEAD_BYTES)
        except BlockingIOError:
            return
        if not data:
            loop.remove_reader(fd)
            worker_gone.set()
        elif len(data) >= HEAD_BYTES:  # writes of HEAD_BYTES are atomic, so reads come in whole heads
            notifier.announce(int.from_bytes(data[-HEAD_BYTES:], "little"))

    loop.add_reader(fd, read_wakeups)
    # Imported here, in the child only: the worker need not load the HTTP client (aiohttp).
    from app.webhooks.dispatcher import Dispatcher  # noqa: PLC0415

    dispatcher = Dispatcher(engines.writer, engines.reader, notifier, settings)
    work = asyncio.create_task(dispatcher.run(), name="webhook-dispatcher")
    try:
        await worker_gone.wait()
    finally:
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        await dispatcher.close()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop where it is installed (as with uvicorn's servers), else asyncio's own."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:  # pragma: no cover - uvloop is declared for every platform it supports
        return None
    return uvloop.new_event_loop
