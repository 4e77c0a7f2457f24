"""Alembic migrations: how a PostgreSQL database gets and keeps the schema of app/db/tables.py.

Operators run ``alembic upgrade head`` (configured in pyproject.toml's ``[tool.alembic]``).
The service never migrates by itself: on PostgreSQL it starts only on a schema at head.
SQLite databases get their tables from the models at start-up instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine
from sqlalchemy.types import TypeEngine

MIGRATIONS_DIR = Path(__file__).resolve().parent


class SchemaNotAtHead(RuntimeError):
    """The database's schema is not the one this code was written for."""


def head_revisions() -> set[str]:
    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def require_schema_at_head(engine: Engine) -> None:
    """Raise ``SchemaNotAtHead``, telling the operator what to run, unless the schema is current."""
    current, head = current_revisions(engine), head_revisions()
    if current == head:
        return
    database = engine.url.render_as_string(hide_password=True)
    found = ", ".join(sorted(current)) or "no schema"
    raise SchemaNotAtHead(
        f"The database {database} is at revision {found}, but this code needs {', '.join(sorted(head))}. "
        "Run `alembic upgrade head` (poetry run alembic upgrade head) with the same DATABASE_URL, then start again."
    )


def compare_types(
    context: MigrationContext,
    _inspected: Column[Any],
    _model: Column[Any],
    inspected_type: TypeEngine[Any],
    model_type: TypeEngine[Any],
) -> bool | None:
    """Autogenerate's type check, plus collations: it ignores them, and ordering keys depend on theirs.

    True when the collations differ; None lets Alembic compare the rest as usual.
    """
    wanted = getattr(model_type.dialect_impl(context.dialect), "collation", None)
    return True if getattr(inspected_type, "collation", None) != wanted else None
