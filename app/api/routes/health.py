"""GET /health: the database answers. GET /ready: the rule tables loaded."""

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
    responses=error_examples((503, "error", "database_unavailable", "The database does not answer.")),
)
def health(runtime: RuntimeDep) -> Envelope:
    try:
        with runtime.engines.reader.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise Unavailable("The database does not answer.", "database_unavailable") from exc
    return Envelope(status="accepted", message="The database answers.", code="healthy")


@router.get("/ready", response_model=Envelope)
def ready(runtime: RuntimeDep) -> Envelope:
    rulebook = runtime.engine.rulebook
    return Envelope(status="accepted", message=f"Rule tables {rulebook.version} loaded.", code="ready")
