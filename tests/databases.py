"""Databases for tests: SQLite files, or scratch PostgreSQL databases copied from a migrated template.

On PostgreSQL the run makes a template database once, migrated with ``alembic upgrade head``
through pyproject.toml's configuration. Most tests share one copy of it, emptied before each
test (``TRUNCATE ... RESTART IDENTITY``); tests that need a database of their own, or an
unmigrated one, get ``CREATE DATABASE ... TEMPLATE``. The template uses a linguistic (ICU
en-US) default collation, as production servers often do, so that ordering which needs the
"C" collation shows up in the tests.

Every database made here is named ``clr_test_<pid>_<random>_<n>`` and dropped again; nothing
else on the server is touched. The database in ``TEST_DATABASE_URL`` itself is only used to
run CREATE and DROP DATABASE.
"""

from __future__ import annotations

import itertools
import os
import secrets
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.db.engines import normalise_url
from app.db.tables import Base

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "clr_test_"


def postgres_server() -> str | None:
    """``TEST_DATABASE_URL`` when it names a PostgreSQL server; None means the tests use SQLite."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url and make_url(url).get_backend_name() == "postgresql" else None


def alembic_config(database_url: str) -> Config:
    """The project's Alembic configuration (pyproject.toml), pointed at ``database_url``."""
    config = Config(toml_file=ROOT / "pyproject.toml")
    config.attributes["database_url"] = database_url
    return config


def migrate(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


class ScratchDatabases:
    """This run's databases on the PostgreSQL server of ``server_url``: made here, dropped at ``close``."""

    def __init__(self, server_url: str) -> None:
        self._server = make_url(normalise_url(server_url))
        self._admin = create_engine(self._server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._stem = f"{PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
        self._numbers = itertools.count()
        self._template: str | None = None
        self._shared: Engine | None = None
        self._live: set[str] = set()

    def url(self, name: str) -> str:
        return self._server.set(database=name).render_as_string(hide_password=False)

    def emptied(self) -> str:
        """The run's shared migrated database, every table emptied and every identity restarted.

        Emptying takes milliseconds where a new database takes up to seconds on a busy server;
        the result is the same as a fresh copy of the template for any test that changes rows
        only. A test that changes the schema takes a database of its own from ``create``.
        """
        if self._shared is None:
            self._shared = create_engine(self.create(), pool_size=1)
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with self._shared.begin() as connection:
            # A connection a previous test left open makes this fail after a while instead of hanging.
            connection.execute(text("SET LOCAL lock_timeout = '20s'"))
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return self._shared.url.render_as_string(hide_password=False)

    def create(self, *, migrated: bool = True) -> str:
        """A new copy of the migrated template, or (``migrated=False``) an empty database; its URL."""
        return self.url(self._create(self._migrated_template() if migrated else "template0"))

    def drop(self, url: str) -> None:
        name = make_url(url).database
        assert name in self._live, f"{name} was not created here"
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._live.discard(name)

    def close(self) -> None:
        """Drop every database still left, the template last."""
        try:
            if self._shared is not None:
                self._shared.dispose()
            for name in sorted(self._live, key=lambda n: n == self._template):
                self.drop(self.url(name))
        finally:
            self._admin.dispose()

    def _migrated_template(self) -> str:
        if self._template is None:
            template = self._create("template0", icu=True)
            migrate(self.url(template))
            self._template = template
        return self._template

    def _create(self, template: str, *, icu: bool = False) -> str:
        name = f"{self._stem}_{next(self._numbers)}"
        statement = f'CREATE DATABASE "{name}" TEMPLATE "{template}"'
        try:
            self._execute(statement + (" LOCALE_PROVIDER icu ICU_LOCALE 'en-US'" if icu else ""))
        except DBAPIError:
            if not icu:
                raise
            self._execute(statement)  # a server without ICU (or before PostgreSQL 15) keeps its default
        self._live.add(name)
        return name

    def _execute(self, statement: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(statement))
