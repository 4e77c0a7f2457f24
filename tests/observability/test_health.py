"""GET /health answers for the database, GET /ready for the rule tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from app.db.engines import Engines


def test_health_and_ready_answer(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "accepted", "message": "The database answers.", "code": "healthy"}
    ready = client.get("/ready").json()
    assert ready["code"] == "ready"
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
