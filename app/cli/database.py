"""Opening the database from the command line: never create one, and fail in one line.

A read-only command pointed at a mistyped SQLite path used to create an empty database file
and then print a 100-line traceback. Here a SQLite file must already exist, and any database
error ends the command with one line that says what went wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.cli.common import fail
from app.db.engines import Engines, create_engines, create_schema, normalise_url
from app.db.migrations import SchemaNotAtHead, require_schema_at_head
from app.settings import Settings

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="DATABASE_URL",
        show_default=False,
        help="Database to use. Default: $DATABASE_URL, or the service's default.",
    ),
]


def _existing_sqlite_file(url: str) -> None:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        fail(f"{url}: not a database file; give the path of the service's SQLite file.", 2)
    if not Path(database).is_file():
        fail(f"No database at {database} (from {url}); nothing was created. Check --database-url or DATABASE_URL.", 2)


@contextmanager
def opened(database_url: str | None, *, writes: bool = False) -> Iterator[Engines]:
    """The service's database, which must exist and hold the service's schema."""
    url = database_url or Settings().database_url
    _existing_sqlite_file(url)
    engines = create_engines(url)
    try:
        if writes and engines.is_sqlite:
            create_schema(engines.writer)  # as the service does at start-up: tables it lacks (rule_versions)
        elif not engines.is_sqlite:
            require_schema_at_head(engines.writer)
        yield engines
    except SchemaNotAtHead as exc:
        fail(str(exc), 2)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"Cannot use the database {make_url(normalise_url(url)).render_as_string()}: {first}", 2)
    finally:
        engines.dispose()
