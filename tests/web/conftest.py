"""Console tests: the app through TestClient, and a skip that names the endpoint a test awaits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.capabilities import Capabilities, Need
from tests.conftest import RULES

WRITE_KEY, READ_KEY = "console-write-key", "console-read-key"


def require(app: FastAPI, *needs: Need) -> None:
    """Skip unless the app serves every need; the reason names what is missing and its issue."""
    missing = Capabilities(app.openapi()).missing(*needs)
    if missing:
        pytest.skip(f"needs {', '.join(missing)}, not served on this branch yet; re-run after the merge")


@pytest.fixture
def keyed(database_url: str) -> Iterator[TestClient]:
    """The service with a write key and a read key configured."""
    settings = Settings(
        database_url=database_url,
        rules_dir=RULES,
        api_keys=f"{WRITE_KEY}:write,{READ_KEY}:read",
        event_writer="thread",
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client
