"""The tasks a worker runs beside its requests, started and stopped by the app's lifespan:
the feed's head poll, retention, and the webhook dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import timedelta
from functools import partial
from typing import Any

from app.db import feed as feed_queries
from app.feed.retention import prune_forever
from app.runtime import Runtime
from app.webhooks.dispatcher import Dispatcher, DispatchSettings
from app.webhooks.schedule import parse_schedule

logger = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self._dispatcher: Dispatcher | None = None

    async def start(self, runtime: Runtime) -> None:
        settings, engines = runtime.settings, runtime.engines
        runtime.notifier.bind(asyncio.get_running_loop(), await asyncio.to_thread(_head, runtime))
        self._dispatcher = Dispatcher(
            engines.writer,
            engines.reader,
            runtime.notifier,
            DispatchSettings(
                timeout=settings.webhook_timeout,
                schedule=parse_schedule(settings.webhook_retry_schedule),
                max_age=settings.webhook_max_retry_age,
                lease=settings.webhook_lease,
                allow_private=settings.webhook_allow_private_networks,
            ),
        )
        prune_every = min(settings.feed_retention / 10, timedelta(minutes=5)).total_seconds()
        self._spawn(runtime.notifier.poll_forever(partial(_head, runtime), settings.feed_poll_interval), "feed-head")
        self._spawn(prune_forever(engines.writer, settings.feed_retention, prune_every), "feed-retention")
        self._spawn(self._dispatcher.run(), "webhook-dispatcher")

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(work, name=name))

    async def stop(self) -> None:
        """Cancel every task and wait for it: an interrupted delivery is redelivered later."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._dispatcher is not None:
            await self._dispatcher.close()


def _head(runtime: Runtime) -> int:
    with runtime.engines.reader.connect() as conn:
        return feed_queries.position(conn, feed_queries.HEAD)
