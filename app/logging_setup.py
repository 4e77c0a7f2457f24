"""Logging set-up, done by the app's lifespan and the CLI rather than at import.

Everything goes to stderr as one JSON object per line. The app writes its own access line per
request (app/observability/access_log.py), so uvicorn's access log is silenced here; running uvicorn with
``--no-access-log`` also skips its formatting work.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from app.observability.json_logs import JsonFormatter


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time, as ``logging.lastResort`` does."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(old)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Thread and multiprocessing names are not written; skip looking them up for every record.
    logging.logThreads = logging.logMultiprocessing = False
    # uvicorn's own loggers keep their level but write through the JSON handler.
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # ``transitions`` logs every callback at INFO; that is noise on the hot path.
    logging.getLogger("transitions").setLevel(logging.WARNING)
