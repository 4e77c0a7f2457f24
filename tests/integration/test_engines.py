"""Engines: the URL picks the driver, and SQLite connections carry the pragmas the service relies on."""

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.db.engines import SQLITE_BUSY_TIMEOUT_MS, Engines, create_engines, normalise_url
from app.runtime import open_runtime
from app.settings import Settings
from tests.conftest import RULES

WORKERS, ROUNDS = 4, 40


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://user@host:5432/db", "postgresql+psycopg://user@host:5432/db"),
        ("postgres://user:s%40cret@host/db", "postgresql+psycopg://user:s%40cret@host/db"),
        ("postgresql+psycopg://user@host/db", "postgresql+psycopg://user@host/db"),
        ("sqlite:///./contracts.db", "sqlite:///./contracts.db"),
    ],
)
def test_normalise_url_picks_the_shipped_drivers(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


def test_a_plain_url_connects_through_the_shipped_driver(engines: Engines) -> None:
    expected = "pysqlite" if engines.is_sqlite else "psycopg"
    assert {engines.writer.dialect.driver, engines.reader.dialect.driver} == {expected}
    with engines.reader.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1


def _pragmas(engine: Engine) -> dict[str, object]:
    with engine.connect() as connection:
        return {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }


@pytest.mark.parametrize(("environment", "synchronous"), [(None, 1), ("NORMAL", 1), ("FULL", 2)])
def test_sqlite_connections_carry_the_pragmas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environment: str | None, synchronous: int
) -> None:
    """WAL, a busy timeout, foreign keys, and ``SQLITE_SYNCHRONOUS`` (NORMAL=1, FULL=2) on both engines."""
    if environment is None:
        monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("SQLITE_SYNCHRONOUS", environment)
    runtime = open_runtime(
        Settings(database_url=f"sqlite:///{tmp_path / 'pragmas.db'}", rules_dir=RULES, event_writer="thread")
    )
    try:
        for engine in (runtime.engines.writer, runtime.engines.reader):
            assert _pragmas(engine) == {
                "journal_mode": "wal",
                "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
                "foreign_keys": 1,
                "synchronous": synchronous,
            }
    finally:
        runtime.close()


def _open_at_once(url: str, barrier: Any, answers: Any) -> None:
    barrier.wait()
    try:
        engines = create_engines(url)
        with engines.writer.connect() as connection:
            answers.put(connection.exec_driver_sql("PRAGMA journal_mode").scalar_one())
        engines.dispose()
    except Exception as error:  # reported to the test, which fails on it
        answers.put(repr(error))


def test_workers_opening_a_new_sqlite_file_together_all_get_wal(tmp_path: Path) -> None:
    """Processes that switch a new file to WAL at the same moment race for its exclusive lock;
    SQLite answers the losers "database is locked" at once, without waiting. Every one of them
    must still connect (before the retry, about one round in four lost a worker)."""
    context = multiprocessing.get_context("fork")
    failures: list[str] = []
    for round_ in range(ROUNDS):
        url = f"sqlite:///{tmp_path / f'race-{round_}.db'}"
        barrier, answers = context.Barrier(WORKERS), context.Queue()
        processes = [context.Process(target=_open_at_once, args=(url, barrier, answers)) for _ in range(WORKERS)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=60)
        failures += [answer for answer in (answers.get(timeout=5) for _ in processes) if answer != "wal"]
    assert failures == []
