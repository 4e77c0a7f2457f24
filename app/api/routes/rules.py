"""The rule tables: every published version, one version's tables, diffs, diagrams and the schema."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from app.api.deps import RuntimeDep
from app.api.responses import error_examples, json_response
from app.api.schemas import Name
from app.domain.catalog import Catalog
from app.domain.diagram import component_diagram, lifecycle_diagram
from app.domain.diff import diff
from app.domain.errors import NotFound
from app.domain.rules.model import Rulebook
from app.domain.rules.tables import rules_schema
from app.services.rule_versions import now_utc

router = APIRouter(prefix="/rules", tags=["rules"])
VERSION_NOT_FOUND = (404, "error", "rule_version_not_found", "No published rule version has hash 0123456789ab.")
VersionQuery = Annotated[
    str | None,
    Query(description="A version's hash (see GET /rules/versions); default: the version in force now.", max_length=32),
]


def _rulebook(catalog: Catalog, version: str | None) -> Rulebook:
    if version is None:
        return catalog.engine_at(now_utc()).rulebook
    found = catalog.version(version)
    if found is None:
        raise NotFound(f"No published rule version has hash {version}.", "rule_version_not_found")
    return found.rulebook


@router.get("", summary="The rule tables of one version", responses=error_examples(VERSION_NOT_FOUND))
def get_rules(runtime: RuntimeDep, version: VersionQuery = None) -> dict[str, Any]:
    """Components, event types, lifecycles, guards and messages, with the version's hash."""
    return _rulebook(runtime.catalog, version).as_document()


@router.get("/versions", summary="Every published version of the rule tables")
def get_rule_versions(runtime: RuntimeDep) -> dict[str, Any]:
    """Versions by ``effective_from``: each event is judged by the latest version whose
    ``effective_from`` is at or before its ``created_at``; the first is in force for all
    earlier history too. ``in_force`` is the version that judges an event created now."""
    catalog = runtime.catalog
    return {
        "in_force": catalog.engine_at(now_utc()).version,
        "versions": [
            {
                "hash": v.hash,
                "effective_from": v.effective_from.isoformat() + "Z",
                "published_at": v.published_at.isoformat() + "Z",
            }
            for v in catalog.versions
        ],
    }


@router.get("/diff", summary="What changes between two versions", responses=error_examples(VERSION_NOT_FOUND))
def get_rules_diff(
    runtime: RuntimeDep,
    old: Annotated[
        str | None, Query(alias="from", max_length=32, description="Default: the version before `to`.")
    ] = None,
    new: Annotated[str | None, Query(alias="to", max_length=32, description="Default: the latest version.")] = None,
) -> dict[str, Any]:
    """Rows, rejections, guards, messages, components and event types added, removed or changed."""
    catalog = runtime.catalog
    hashes = catalog.hashes
    to_hash = new or hashes[-1]
    after = _rulebook(catalog, to_hash)
    position = hashes.index(to_hash)
    before = _rulebook(catalog, old or hashes[max(position - 1, 0)])
    return {
        "from": before.version,
        "to": after.version,
        "differences": [
            {"section": d.section, "name": d.name, "change": d.change, "message": d.message}
            for d in diff(before, after)
        ],
    }


@router.get(
    "/diagram",
    name="get_rules_diagram",
    summary="Mermaid state diagrams: one document per lifecycle",
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/plain": {"example": "---\ntitle: lifecycle standard\n---\nstateDiagram-v2\n..."},
            },
            "description": "Without `lifecycle` or `component`: JSON, one complete Mermaid document per "
            "lifecycle. With one of them: that one document as text/plain.",
        },
        **error_examples(VERSION_NOT_FOUND, (404, "error", "lifecycle_not_found", "No lifecycle 'x' in rules 0123.")),
    },
)
def get_diagram(
    runtime: RuntimeDep,
    lifecycle: Annotated[Name | None, Query(description="Draw this lifecycle only, as text/plain.")] = None,
    component: Annotated[Name | None, Query(description="Draw this component, with its event types.")] = None,
    version: VersionQuery = None,
) -> Response:
    """Every row and rejection is drawn (see app/domain/diagram.py); each document renders on its own."""
    rulebook = _rulebook(runtime.catalog, version)
    if component is not None:
        if component not in rulebook.components:
            raise NotFound(f"No component '{component}' in rules {rulebook.version}.", "component_not_found")
        return PlainTextResponse(component_diagram(rulebook, component))
    if lifecycle is not None:
        if lifecycle not in rulebook.lifecycles:
            raise NotFound(f"No lifecycle '{lifecycle}' in rules {rulebook.version}.", "lifecycle_not_found")
        return PlainTextResponse(lifecycle_diagram(rulebook, lifecycle))
    return json_response(
        {
            "version": rulebook.version,
            "diagrams": [
                {
                    "lifecycle": name,
                    "components": [c.name for c in rulebook.components.values() if c.lifecycle == name],
                    "mermaid": lifecycle_diagram(rulebook, name),
                }
                for name in rulebook.lifecycles
            ],
        }
    )


@router.get("/schema", name="get_rules_schema", summary="JSON Schema of a rule file")
def get_schema() -> dict[str, Any]:
    return rules_schema()
