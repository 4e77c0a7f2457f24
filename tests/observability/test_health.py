"""GET /health answers for the database and for writes, GET /ready for the rule tables."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from app.db.engines import Engines
from app.settings import Settings
from tests.conftest import make_contract


def test_health_and_ready_answer(client: TestClient) -> None:
    assert client.get("/health").json() == {
        "status": "ok",
        "message": "The database answers and writes can go through.",
        "code": "healthy",
    }
    ready = client.get("/ready").json()
    assert (ready["status"], ready["code"]) == ("ok", "ready")
    assert ready["message"].startswith("Rule tables ")


def test_health_is_503_when_the_database_does_not_answer(client: TestClient, tmp_path: Path) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    unreachable = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}")
    client.app.state.runtime = dataclasses.replace(  # type: ignore[attr-defined]
        runtime, engines=Engines(runtime.engines.writer, unreachable)
    )
    try:
        response = client.get("/health")
    finally:
        client.app.state.runtime = runtime  # type: ignore[attr-defined]
        unreachable.dispose()
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "message": "The database does not answer.",
        "code": "database_unavailable",
    }
    assert client.get("/ready").status_code == 200
    assert client.get("/health").status_code == 200


def test_health_is_503_storage_unavailable_once_the_writer_has_stopped(client: TestClient) -> None:
    client.app.state.runtime.writer.stop()  # type: ignore[attr-defined]
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["code"]) == ("error", "storage_unavailable")
    assert body["message"].startswith("Writes would fail: ")
    assert response.headers["X-Request-ID"]


def test_health_is_503_while_the_sqlite_file_is_replaced(client: TestClient, settings: Settings) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("a database file of its own exists only on SQLite")
    make_contract(client)
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    shutil.copy(path, path.with_name("copy.db"))
    os.replace(path.with_name("copy.db"), path)  # same content, another file: writes would go to the old one

    response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert str(path) in response.json()["message"]
    assert client.get("/ready").status_code == 200
