"""The tasks a worker runs beside its requests, started and stopped by the app's lifespan: the
feed's head poll and retention on the worker's loop, and the webhook dispatcher, in a process
of its own (app/webhooks/process.py) that starts once a subscription exists."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import timedelta
from functools import partial
from typing import Any

from app.db import feed as feed_queries
from app.db import webhooks as webhook_queries
from app.feed.retention import prune_forever
from app.runtime import Runtime
from app.webhooks.process import DispatcherProcess

logger = logging.getLogger(__name__)
SUBSCRIPTION_POLL = 1.0  # seconds between looks for a first subscription made by another worker


class Background:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self._dispatcher: DispatcherProcess | None = None
        self._runtime: Runtime | None = None

    async def start(self, runtime: Runtime) -> None:
        self._runtime, settings, engines = runtime, runtime.settings, runtime.engines
        read_head = partial(feed_queries.read_head, engines.reader)
        runtime.notifier.bind(asyncio.get_running_loop(), await asyncio.to_thread(read_head))
        self._dispatcher = DispatcherProcess(settings)
        prune_every = min(settings.feed_retention / 10, timedelta(minutes=5)).total_seconds()
        self._spawn(runtime.notifier.poll_forever(read_head, settings.feed_poll_interval), "feed-head")
        self._spawn(prune_forever(engines.writer, settings.feed_retention, prune_every), "feed-retention")
        self._spawn(self._dispatch_once_subscribed(runtime, self._dispatcher), "webhook-dispatcher-start")

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(work, name=name))

    async def _dispatch_once_subscribed(self, runtime: Runtime, dispatcher: DispatcherProcess) -> None:
        while True:
            try:
                if await asyncio.to_thread(_any_webhook, runtime):
                    break
            except Exception:  # the database is away for a moment: look again
                logger.warning("could not look for webhook subscriptions", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(runtime.subscribed.wait(), SUBSCRIPTION_POLL)
        runtime.notifier.listen(dispatcher.announce)
        await dispatcher.keep_running(lambda: runtime.notifier.head)

    async def stop(self) -> None:
        """Cancel every task and wait for it, then stop the dispatcher: an interrupted delivery is
        redelivered later."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._dispatcher is not None and self._runtime is not None:
            self._runtime.notifier.unlisten(self._dispatcher.announce)
            await self._dispatcher.stop()


def _any_webhook(runtime: Runtime) -> bool:
    with runtime.engines.reader.connect() as conn:
        return webhook_queries.any_webhook(conn)
