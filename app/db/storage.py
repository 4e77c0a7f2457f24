"""Can the database take writes? Checks that cost a system call, run before every commit.

SQLite keeps writing to a database file that was removed or replaced under the running
service: the open descriptor still points at the old inode, so commits succeed and are lost
at the next start. The probe remembers the file's device and inode when the writer first
connects and refuses to commit when the path no longer leads to that file. Errors that only
the database can report (read-only file, full disk) are recognised by ``storage_failure``.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

# What SQLite and PostgreSQL say when storage refuses a write (sqlite3 messages, SQLSTATE classes).
_SQLITE_STORAGE_MESSAGES = (
    "readonly database",
    "disk i/o error",
    "unable to open database file",
    "database or disk is full",
    "no such table",
    "file is not a database",
    "database disk image is malformed",
)
_POSTGRES_STORAGE_SQLSTATES = ("53100", "25006", "58030")  # disk full, read-only transaction, I/O error


def storage_failure(exc: DBAPIError) -> bool:
    """Whether ``exc`` says that storage cannot take writes (rather than a bug or a conflict)."""
    text = str(exc.orig).lower()
    if any(message in text for message in _SQLITE_STORAGE_MESSAGES):
        return True
    return getattr(exc.orig, "sqlstate", None) in _POSTGRES_STORAGE_SQLSTATES


class StorageProbe:
    """For a SQLite file: is it still the file the service opened, and can it be written?"""

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        path = Path(database) if database and database != ":memory:" else None
        # Plain strings: the probe runs before every commit, and a Path converts itself at each call.
        self._path: str | None = str(path) if path is not None else None
        self._folder: str | None = str(path.parent) if path is not None else None
        self._identity: tuple[int, int] | None = None

    def problem(self) -> str | None:
        if self._path is None or self._folder is None:
            return None
        try:
            status = os.stat(self._path)
        except OSError:
            return f"the database file {self._path} is missing."
        identity = (status.st_dev, status.st_ino)
        if self._identity is None:
            self._identity = identity
        elif identity != self._identity:
            return f"the database file {self._path} was replaced by another file."
        if not os.access(self._path, os.W_OK) or not os.access(self._folder, os.W_OK):
            return f"the database file {self._path} or its folder is not writable."
        return None
