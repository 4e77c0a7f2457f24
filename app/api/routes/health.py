"""GET /health: writes can go through and the database answers. GET /ready: the rule tables loaded.

/health is what a load balancer or an orchestrator acts on, so it must turn 503 whenever a write
would fail, not only when the database stops answering reads: a read-only, removed or replaced
SQLite file still answers ``SELECT 1`` while every write fails (or, worse, is written to a file
that is gone). The writer knows why writes would fail (``Writer.problem``); it is asked first.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import RuntimeDep
from app.api.responses import error_examples
from app.api.schemas import Envelope
from app.domain.errors import Unavailable

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Envelope,
    responses=error_examples(
        (503, "error", "storage_unavailable", "Writes would fail: the database file ./contracts.db is missing."),
        (503, "error", "database_unavailable", "The database does not answer."),
    ),
)
def health(runtime: RuntimeDep) -> Envelope:
    problem = runtime.write_problem()
    if problem is not None:
        raise Unavailable(f"Writes would fail: {problem}", "storage_unavailable")
    try:
        with runtime.engines.reader.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise Unavailable("The database does not answer.", "database_unavailable") from exc
    return Envelope(status="ok", message="The database answers and writes can go through.", code="healthy")


@router.get("/ready", response_model=Envelope)
def ready(runtime: RuntimeDep) -> Envelope:
    rulebook = runtime.engine.rulebook
    return Envelope(status="ok", message=f"Rule tables {rulebook.version} loaded.", code="ready")
