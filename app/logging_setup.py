"""Logging set-up, done by the app's lifespan and the CLI rather than at import."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # ``transitions`` logs every callback at INFO; that is noise on the hot path.
    logging.getLogger("transitions").setLevel(logging.WARNING)
