"""Fixtures for end-to-end tests: a fresh database per test, real uvicorn servers on it,
their logs printed when a test fails, and the figures of each run in the terminal summary.

Like the rest of the suite, the tests run on SQLite, or on PostgreSQL when ``TEST_DATABASE_URL``
is a postgresql URL, in a scratch database made by tests/databases.py like every other test's.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from tests.conftest import RULES
from tests.databases import ScratchDatabases, postgres_server
from tests.e2e.server import ServerFactory, UvicornServer

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_FIGURES = pytest.StashKey[list[str]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def database_kind() -> str:
    """The database the suite runs on: each pass of .ci/run covers one."""
    return "postgresql" if postgres_server() else "sqlite"


@pytest.fixture
def e2e_database(database_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of this test's own: a SQLite file, or a migrated scratch PostgreSQL database."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'e2e.db'}"
        return
    databases: ScratchDatabases = request.getfixturevalue("scratch_databases")
    url = databases.create()
    yield url
    databases.drop(url)


@pytest.fixture
def serve(e2e_database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerFactory]:
    """Start a server with ``n`` workers on this test's database; every server is stopped at teardown."""
    servers: list[UvicornServer] = []

    def start(workers: int, **env: str) -> UvicornServer:
        server = UvicornServer(
            database_url=e2e_database,
            rules_dir=RULES,
            workers=workers,
            log_path=tmp_path / f"uvicorn-{len(servers)}.log",
            env=env,
        )
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
    call = request.node.stash.get(_REPORTS, {}).get("call")
    if call is not None and call.failed:
        for index, server in enumerate(servers):
            print(f"===== uvicorn server {index} log ({server.log_path}) =====\n{server.log()}")


@pytest.fixture
def seed() -> int:
    """``E2E_SEED`` replays a run; otherwise each run draws a new seed and reports it."""
    return int(os.environ.get("E2E_SEED") or random.SystemRandom().randrange(2**31))


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Record a line of figures: printed now and repeated in the terminal summary."""
    lines = request.config.stash.setdefault(_FIGURES, [])

    def record(line: str) -> None:
        line = f"{request.node.name}: {line}"
        print(line)
        lines.append(line)

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(_FIGURES, [])
    if lines:
        terminalreporter.write_sep("-", "end-to-end figures")
        for line in lines:
            terminalreporter.write_line(line)
