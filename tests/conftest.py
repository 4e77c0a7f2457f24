"""Shared fixtures: a real database per test and the app served through its ASGI interface.

``TEST_DATABASE_URL`` chooses the database. Without it every test gets its own SQLite file;
with a PostgreSQL URL every test starts on an empty database migrated to head, on that server
(see tests/databases.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.databases import ScratchDatabases, postgres_server

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
ALL_COMPONENTS = ["energy_supply", "battery_optimization", "heatpump_optimization"]


@pytest.fixture(scope="session")
def scratch_databases() -> Iterator[ScratchDatabases]:
    """This run's PostgreSQL databases; skips the test when the suite runs on SQLite."""
    server = postgres_server()
    if server is None:
        pytest.skip("needs TEST_DATABASE_URL=postgresql://...")
    databases = ScratchDatabases(server)
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A clean database for this test: a new SQLite file, or the run's migrated PostgreSQL
    database with every table emptied."""
    if postgres_server() is None:
        return f"sqlite:///{tmp_path / 'contracts.db'}"
    databases: ScratchDatabases = request.getfixturevalue("scratch_databases")
    return databases.emptied()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, rules_dir=RULES, event_writer="thread")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def make_contract(client: TestClient, number: str = "1234", components: list[str] | None = None) -> None:
    response = client.post("/contract/", json={"contract_number": number, "components": components or ALL_COMPONENTS})
    assert response.status_code == 201, response.text
