"""Fixtures for tests of the database layer against the real database under test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db.engines import Engines, create_engines, create_schema
from tests.databases import ScratchDatabases, postgres_server


@pytest.fixture
def engines(database_url: str) -> Iterator[Engines]:
    """The service's engines on this test's clean, migrated database (no service running)."""
    engines = create_engines(database_url)
    if engines.is_sqlite:  # PostgreSQL test databases are migrated already
        create_schema(engines.writer)
    yield engines
    engines.dispose()


@pytest.fixture
def postgres_engines(engines: Engines) -> Engines:
    if engines.is_sqlite:
        pytest.skip("needs TEST_DATABASE_URL=postgresql://...")
    return engines


@pytest.fixture
def empty_database_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database without any tables: a new SQLite file, or a new PostgreSQL database."""
    if postgres_server() is None:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    databases: ScratchDatabases = request.getfixturevalue("scratch_databases")
    url = databases.create(migrated=False)
    yield url
    databases.drop(url)
