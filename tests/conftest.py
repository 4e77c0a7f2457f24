"""Shared fixtures: a real database per test and the app served through its ASGI interface.

``TEST_DATABASE_URL`` chooses the database; without it every test gets its own SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
ALL_COMPONENTS = ["energy_supply", "battery_optimization", "heatpump_optimization"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'contracts.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, rules_dir=RULES)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def make_contract(client: TestClient, number: str = "1234", components: list[str] | None = None) -> None:
    response = client.post("/contract/", json={"contract_number": number, "components": components or ALL_COMPONENTS})
    assert response.status_code == 201, response.text
