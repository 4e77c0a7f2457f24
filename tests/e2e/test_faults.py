"""Faults under a real uvicorn server (issue 8 §5): the service recovers by itself, and says so
honestly while it cannot.

- PostgreSQL connections killed with ``pg_terminate_backend``: the very next write and read
  answer correctly, and nothing acknowledged is lost. Runs when TEST_DATABASE_URL names a
  PostgreSQL server.
- A SQLite file that cannot take writes (made read-only, its folder removed, the file replaced):
  every write answers 503 ``storage_unavailable`` in the envelope, never a 500 and never a 2xx
  that the next start would not find; /health answers 503 meanwhile. Runs on the SQLite pass.

How "read-only" is made here: the tests run as root, and root ignores permission bits, so
``chmod 0444`` stops nothing. The immutable attribute (``chattr +i``, ext4 and most Linux
filesystems) stops root too, even through descriptors opened before it was set. It is set on the
database file and on its WAL, where SQLite writes first. It is never set on the ``-shm`` file:
SQLite maps that file into memory, and writing to an immutable mapping kills the process with
SIGBUS (seen on this machine), which is a crash test, not a read-only one.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.db.engines import normalise_url
from tests.conftest import RULES
from tests.databases import postgres_server
from tests.e2e.checks import read_history
from tests.e2e.server import ServerFactory, UvicornServer

pytestmark = pytest.mark.e2e

NUMBER = "fault-1"
START = datetime(2024, 1, 1, 8, 0, 0)


def event(i: int) -> dict[str, Any]:
    """The ``i``-th battery start, one minute after the previous one: always accepted, never a duplicate."""
    return {
        "type": "battery_optimization_start",
        "contract_number": NUMBER,
        "date": "2024-01-01",
        "created_at": (START + timedelta(minutes=i)).isoformat() + "Z",
    }


def created_at(i: int) -> str:
    return str(event(i)["created_at"])


def create_contract(client: httpx.Client) -> None:
    response = client.post("/contract/", json={"contract_number": NUMBER, "components": ["battery_optimization"]})
    assert response.status_code == 201, response.text


def stored_times(client: httpx.Client) -> list[str]:
    return [e["created_at"] for e in read_history(client, NUMBER)]


def assert_storage_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert set(body) >= {"status", "message", "code"}
    assert (body["status"], body["code"]) == ("error", "storage_unavailable")
    assert body["message"]
    assert response.headers.get("X-Request-ID")


# --- PostgreSQL: connections killed --------------------------------------------------------------


def terminate_backends(database_url: str) -> int:
    """``pg_terminate_backend`` every connection to the database of ``database_url`` but our own."""
    server = postgres_server()
    assert server is not None
    name = make_url(database_url).database
    admin = create_engine(normalise_url(server), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).scalar_one()
    finally:
        admin.dispose()
    return int(killed)


@pytest.mark.skipif(postgres_server() is None, reason="needs TEST_DATABASE_URL=postgresql://... (the PostgreSQL pass)")
def test_killed_postgresql_connections_are_replaced_without_an_error(serve: ServerFactory, e2e_database: str) -> None:
    server = serve(1)  # one worker: the very next request meets the killed connections
    acknowledged: list[int] = []
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        create_contract(client)
        i = 0
        for _ in range(3):
            for _ in range(3):
                assert client.post("/event", json=event(i)).status_code == 200
                acknowledged.append(i)
                i += 1
            assert client.get(f"/{NUMBER}/contract_timeline").status_code == 200  # the readers hold connections

            assert terminate_backends(e2e_database) >= 1

            write = client.post("/event", json=event(i))
            assert write.status_code == 200, write.text
            assert write.json()["code"] == "accepted"
            acknowledged.append(i)
            i += 1
            read = client.get(f"/{NUMBER}/contract_timeline")
            assert read.status_code == 200, read.text
            assert read.json()["components"]["battery_optimization"]["state"] == "started"

        assert terminate_backends(e2e_database) >= 1
        assert stored_times(client) == [created_at(j) for j in acknowledged]  # a read first after the kill
    restarted = serve(1)
    with httpx.Client(base_url=restarted.base_url, timeout=30.0) as client:
        assert stored_times(client) == [created_at(j) for j in acknowledged]


# --- SQLite: storage that cannot take writes -----------------------------------------------------


needs_sqlite = pytest.mark.skipif(
    postgres_server() is not None, reason="a SQLite file fault: runs on the SQLite pass of the suite"
)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    """The database file, in a folder of its own that a test may remove; server logs stay outside it."""
    folder = tmp_path / "data"
    folder.mkdir()
    return folder / "faults.db"


@pytest.fixture
def sqlite_server(
    sqlite_file: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], UvicornServer]]:
    """Start a one-worker server on ``sqlite_file``; every server is stopped at teardown."""
    servers: list[UvicornServer] = []

    def start() -> UvicornServer:
        server = UvicornServer(
            database_url=f"sqlite:///{sqlite_file}",
            rules_dir=RULES,
            workers=1,
            log_path=tmp_path / f"uvicorn-{len(servers)}.log",
        )
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
        print(f"===== {server.log_path} =====\n{server.log()}")  # shown when the test fails


def writes_refused_while_broken(client: httpx.Client, first: int, count: int = 4) -> None:
    """Single events, a batch and a new contract all answer 503 storage_unavailable; so does /health."""
    for i in range(first, first + count):
        assert_storage_unavailable(client.post("/event", json=event(i)))
    assert_storage_unavailable(client.post("/events", json=[event(first + count), event(first + count + 1)]))
    assert_storage_unavailable(
        client.post("/contract/", json={"contract_number": "new", "components": ["energy_supply"]})
    )
    assert_storage_unavailable(client.get("/health"))
    read = client.get(f"/{NUMBER}/contract_timeline")
    assert read.status_code in (200, 503), read.text


def immutable(paths: list[Path], on: bool) -> None:
    for path in paths:
        subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True, capture_output=True)


def require_chattr(folder: Path) -> None:
    """Skip, saying why, where the immutable attribute cannot be set (no chattr, no capability, tmpfs)."""
    probe = folder / "chattr-probe"
    probe.touch()
    try:
        immutable([probe], True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot make a file immutable here (chattr +i): {exc}")
    immutable([probe], False)
    probe.unlink()


@needs_sqlite
def test_a_read_only_sqlite_file_refuses_writes_with_503_and_recovers(
    sqlite_server: Callable[[], UvicornServer], sqlite_file: Path
) -> None:
    require_chattr(sqlite_file.parent)
    server = sqlite_server()
    files = [sqlite_file, sqlite_file.with_name(sqlite_file.name + "-wal")]
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        create_contract(client)
        for i in range(3):
            assert client.post("/event", json=event(i)).status_code == 200
        assert all(f.exists() for f in files)

        immutable(files, True)
        try:
            writes_refused_while_broken(client, 3)
        finally:
            immutable(files, False)

        # Writable again: the service takes writes without a restart, and says so.
        assert client.post("/event", json=event(10)).status_code == 200
        assert client.get("/health").status_code == 200
    server.stop()
    restarted = sqlite_server()
    with httpx.Client(base_url=restarted.base_url, timeout=30.0) as client:
        assert stored_times(client) == [created_at(i) for i in (0, 1, 2, 10)]


@needs_sqlite
def test_a_removed_database_folder_refuses_writes_with_503(
    sqlite_server: Callable[[], UvicornServer], sqlite_file: Path
) -> None:
    server = sqlite_server()
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        create_contract(client)
        for i in range(3):
            assert client.post("/event", json=event(i)).status_code == 200

        shutil.rmtree(sqlite_file.parent)  # the open descriptors still lead to the removed files

        writes_refused_while_broken(client, 3)
        assert not sqlite_file.exists()  # nothing wrote a new, empty database in its place


@needs_sqlite
def test_a_replaced_database_file_refuses_writes_with_503(
    sqlite_server: Callable[[], UvicornServer], sqlite_file: Path
) -> None:
    server = sqlite_server()
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        create_contract(client)
        for i in range(3):
            assert client.post("/event", json=event(i)).status_code == 200

        other = sqlite_file.with_name("other.db")
        sqlite3.connect(other).close()  # another (empty) database file
        other.replace(sqlite_file)

        writes_refused_while_broken(client, 3)
    server.stop()
    refused = {START + timedelta(minutes=i) for i in range(3, 9)}
    assert not refused & _times_in(sqlite_file)  # no refused write landed in the file now at the path


def _times_in(path: Path) -> set[datetime]:
    """The ``created_at`` of every event in the database file at ``path`` (none without an events table)."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT created_at FROM events").fetchall()
    except sqlite3.OperationalError:
        return set()
    finally:
        conn.close()
    return {datetime.fromisoformat(value) for (value,) in rows}
