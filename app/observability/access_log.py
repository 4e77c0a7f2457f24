"""The access log: one JSON line per request, written to stderr in batches.

Lines have the shape of every other log line (``ts``, ``level``, ``logger``, ``message``, plus
the request's fields) but skip the ``logging`` machinery: a record, a formatter pass and a
flushed write per request cost more than the rest of a timeline read. Lines are buffered
and written at most ``interval`` seconds later, or as soon as ``limit`` bytes wait, and when
the service stops.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

import orjson


class AccessLog:
    def __init__(self, *, interval: float = 0.5, limit: int = 64 * 1024) -> None:
        self.enabled = True
        self._interval, self._limit = interval, limit
        self._buffer = bytearray()
        self._timer: asyncio.TimerHandle | None = None

    def write(self, fields: dict[str, Any]) -> None:
        """Queue one line; call from the event loop."""
        if not self.enabled:
            return
        line = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "app.access",
            "message": "request",
            **fields,
        }
        self._buffer += orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
        if len(self._buffer) >= self._limit:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._interval, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._buffer:
            sys.stderr.write(self._buffer.decode())
            sys.stderr.flush()
            self._buffer.clear()
