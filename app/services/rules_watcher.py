"""Hot pickup: a running service notices a newly published rule version without a restart.

Each worker polls the versions table every ``RULES_POLL_SECONDS`` (default 5 s) with one cheap
query (count and highest id) and, when it changed, loads every version and swaps its catalog.
A version is therefore in use by every worker at most one poll interval (plus a load, a few
milliseconds) after it was published; ``rules publish`` refuses an ``effective_from`` closer
than that (plus ``MAX_FUTURE_SKEW``) unless told ``--backdate``. Polling was chosen over
PostgreSQL ``LISTEN/NOTIFY`` because it works the same on SQLite, needs no held connection,
and a missed notification cannot leave a worker behind for good.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from app.db import queries
from app.domain.catalog import Catalog
from app.services.rule_versions import catalog_of

logger = logging.getLogger(__name__)


class CatalogHolder:
    """The catalog in use; replaced whole, so a request sees one catalog from start to end."""

    def __init__(self, catalog: Catalog, mark: tuple[int, int]) -> None:
        self.catalog, self.mark = catalog, mark

    def __call__(self) -> Catalog:
        return self.catalog


class RulesWatcher:
    def __init__(self, db: Engine, holder: CatalogHolder, *, interval: float) -> None:
        self._db, self._holder, self._interval = db, holder, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rules-watcher", daemon=True)

    def start(self) -> None:
        if self._interval > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def poll(self) -> bool:
        """Load the versions if the table changed; True when the catalog was replaced."""
        with self._db.connect() as conn:
            mark = queries.rule_versions_mark(conn)
            if mark == self._holder.mark:
                return False
            stored = queries.rule_versions(conn)
        catalog = catalog_of(stored)
        self._holder.catalog, self._holder.mark = catalog, mark
        logger.warning("rules: picked up %d version(s); latest %s", len(stored), stored[-1].hash)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.poll()
            except Exception:  # a database hiccup must not end the watcher; the next poll retries
                logger.exception("rules: polling the versions table failed")
