"""Migrations and models agree, and the service starts only on a schema at head."""

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from app.db.engines import create_engines, normalise_url
from app.db.migrations import SchemaNotAtHead, compare_types, current_revisions, head_revisions
from app.db.tables import Base
from app.runtime import open_runtime
from app.settings import Settings
from tests.conftest import ROOT, RULES
from tests.databases import ScratchDatabases, migrate


def schema_differences(url: str) -> list[Any]:
    """What ``alembic revision --autogenerate`` would write for this database (nothing, ideally)."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": compare_types})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


@pytest.fixture
def migrated_url(empty_database_url: str) -> str:
    migrate(empty_database_url)
    return empty_database_url


def test_migrations_build_exactly_the_models(migrated_url: str) -> None:
    assert schema_differences(migrated_url) == []
    engines = create_engines(migrated_url)
    try:
        assert current_revisions(engines.writer) == head_revisions()
    finally:
        engines.dispose()


@pytest.fixture
def own_postgres_database(scratch_databases: ScratchDatabases) -> Iterator[str]:
    url = scratch_databases.create()
    yield url
    scratch_databases.drop(url)


def test_a_lost_collation_is_a_schema_difference(own_postgres_database: str) -> None:
    """Alembic alone ignores collations; ``compare_types`` makes a byte-wise key column's loss show."""
    engine = create_engine(normalise_url(own_postgres_database))
    with engine.begin() as connection:
        connection.execute(text('ALTER TABLE events ALTER COLUMN sort_key TYPE varchar(160) COLLATE "default"'))
    engine.dispose()
    differences = schema_differences(own_postgres_database)
    assert [(d[0][0], d[0][2], d[0][3]) for d in differences] == [("modify_type", "events", "sort_key")]


def test_postgres_start_up_refuses_an_unmigrated_database(
    scratch_databases: ScratchDatabases, empty_database_url: str
) -> None:
    settings = Settings(database_url=empty_database_url, rules_dir=RULES, event_writer="thread")
    with pytest.raises(SchemaNotAtHead, match=r"revision no schema, .*Run `alembic upgrade head`"):
        open_runtime(settings)


def test_alembic_command_line_migrates_the_database_in_database_url(empty_database_url: str) -> None:
    """The operator's step: ``alembic upgrade head`` with DATABASE_URL set; the service starts after it."""
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": empty_database_url},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Running upgrade  -> 0001" in done.stderr
    runtime = open_runtime(Settings(database_url=empty_database_url, rules_dir=RULES, event_writer="thread"))
    try:
        assert current_revisions(runtime.engines.writer) == head_revisions()
    finally:
        runtime.close()
