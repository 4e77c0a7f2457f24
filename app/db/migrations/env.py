"""Alembic's environment: migrates the database the service would use, or one handed over.

``alembic upgrade head`` reads ``DATABASE_URL`` exactly as the service does. Code (tests,
tools) may instead pass ``config.attributes["connection"]`` or ``["database_url"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from app.db.engines import normalise_url
from app.db.migrations import compare_types
from app.db.tables import Base
from app.logging_setup import configure_logging
from app.settings import Settings

config = context.config


def _database_url() -> str:
    return normalise_url(config.attributes.get("database_url") or Settings().database_url)


def _migrate(connection: Connection) -> None:
    # SQLite alters tables by copying them ("batch" mode); PostgreSQL alters them in place.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=compare_types,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        _migrate(given)
        return
    engine = create_engine(_database_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _migrate(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    """``alembic upgrade head --sql``: print the SQL instead of running it."""
    context.configure(url=_database_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if config.cmd_opts is not None:  # the alembic command line; code that calls alembic keeps its own logging
    configure_logging()
if context.is_offline_mode():
    run_offline()
else:
    run_online()
