"""The loaded rule tables, their diagram and their JSON Schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from app.api.deps import RuntimeDep
from app.domain.diagram import all_diagrams
from app.domain.rules.tables import rules_schema

router = APIRouter(prefix="/rules", tags=["rules"])


@router.get("", summary="The loaded rule tables")
def get_rules(runtime: RuntimeDep) -> dict[str, Any]:
    """Components, event types, lifecycles, guards and messages, with the tables' version hash."""
    return runtime.engine.rulebook.as_document()


@router.get(
    "/diagram",
    name="get_rules_diagram",
    response_class=PlainTextResponse,
    summary="Mermaid state diagrams of the lifecycles",
)
def get_diagram(runtime: RuntimeDep) -> str:
    return "\n".join(all_diagrams(runtime.engine.rulebook).values())


@router.get("/schema", name="get_rules_schema", summary="JSON Schema of a rule file")
def get_schema() -> dict[str, Any]:
    return rules_schema()
