"""A fresh PostgreSQL database per run, its schema, and dropping it afterwards."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from tests.perf.servers import ROOT


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database or "postgres",
        autocommit=True,
        connect_timeout=5,
    )


@contextmanager
def fresh_database(server_url: str) -> Iterator[tuple[str, str]]:
    """Create ``perf_<random>`` on the server of ``server_url``, yield (its URL, how its schema
    was made), and drop it afterwards."""
    name = f"perf_{secrets.token_hex(4)}"
    with _connect(server_url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url, create_schema(url)
    finally:
        with _connect(server_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_schema(url: str) -> str:
    """``alembic upgrade head`` when the project has migrations, else the tables from the models."""
    if (ROOT / "alembic.ini").exists() or "[tool.alembic]" in (ROOT / "pyproject.toml").read_text():
        done = subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "DATABASE_URL": url},
            timeout=120,
            check=False,
        )
        if done.returncode == 0:
            return "alembic upgrade head"
        print(
            f"alembic upgrade head failed, creating tables from the models instead:\n{done.stderr[-2000:]}",
            file=sys.stderr,
        )
    from app.db.engines import create_engines
    from app.db.engines import create_schema as create_tables

    engines = create_engines(url)
    try:
        create_tables(engines.writer)
    finally:
        engines.dispose()
    return "app.db.engines.create_schema (no alembic migrations yet)"
