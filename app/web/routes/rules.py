"""Rules: each lifecycle drawn with every row, its state x trigger table, versions and diffs,
and a simulate form that runs the same code as ``rules simulate``."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.web.capabilities import DIAGRAMS, DIFF, VERSIONS
from app.web.client import Api, ApiError
from app.web.console import Console, form_of
from app.web.views.cells import table
from app.web.views.lifecycle import diagram
from app.web.views.simulate import simulate
from app.web.views.times import show_instant

EXAMPLE = [
    {
        "type": "supply_energy_start",
        "contract_number": "1234",
        "date": "2024-03-01",
        "created_at": "2024-03-01T09:00:00Z",
    },
    {
        "type": "supply_energy_end",
        "contract_number": "1234",
        "date": "2024-02-01",
        "created_at": "2024-03-02T09:00:00Z",
    },
    {
        "type": "supply_energy_end",
        "contract_number": "1234",
        "date": "2024-06-30",
        "created_at": "2024-03-03T09:00:00Z",
    },
]


def versions_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """GET /rules/versions as rows; the first version is in force from the beginning of time."""
    in_force = document.get("in_force")
    return [
        {
            "version": v["hash"],
            "effective_from": "the beginning (all history)"
            if str(v.get("effective_from", "")).startswith("0001-01-01")
            else show_instant(v.get("effective_from")),
            "published_at": show_instant(v.get("published_at")),
            "in_force": v["hash"] == in_force,
        }
        for v in document.get("versions", [])
    ]


async def _versions(api: Api, console: Console, query: dict[str, str], model: dict[str, Any]) -> None:
    """The versions, and the diff GET /rules/diff computes when two are chosen."""
    model["missing_versions"] = console.capabilities.missing(VERSIONS, DIFF)
    model["versions"], model["diff"], model["versions_error"] = [], None, None
    if model["missing_versions"]:
        return
    try:
        model["versions"] = versions_of(await api.get("/rules/versions"))
        old, new = query.get("from"), query.get("to")
        if old and new:
            answer = await api.get("/rules/diff", {"from": old, "to": new})
            model["diff"] = {"from": answer["from"], "to": answer["to"], "changes": answer["differences"]}
    except ApiError as exc:
        model["versions_error"] = {"status": exc.status, "code": exc.code, "message": exc.message}


async def rules_page(
    request: Request, simulation: dict[str, Any] | None = None, form: dict[str, str] | None = None
) -> Response:
    console: Console = request.app.state.console
    principal = console.principal(request)
    refused = console.refuse(request, principal)
    if refused is not None:
        return refused
    api = console.api(request, principal)
    try:
        document = await api.get("/rules")
    except ApiError as exc:
        failed = {"title": "Rules", "error": {"status": exc.status, "code": exc.code, "message": exc.message}}
        return console.render(request, principal, "rules.html", failed, exc.status)
    guards, messages = document["guards"], document["messages"]
    mermaid: dict[str, str] = {}
    if not console.capabilities.missing(DIAGRAMS):
        try:  # the same rows as Mermaid text, for pasting into documents; the page draws its own SVG
            drawn = await api.get("/rules/diagram", {"version": document["version"]})
            mermaid = {d["lifecycle"]: d["mermaid"] for d in drawn.get("diagrams", [])}
        except ApiError:
            mermaid = {}
    model: dict[str, Any] = {
        "title": "Rules",
        "error": None,
        "version": document["version"],
        "lifecycles": [
            {
                "diagram": diagram(name, lifecycle, guards),
                "table": table(lifecycle, guards, messages),
                "components": [c for c, spec in document["components"].items() if spec["lifecycle"] == name],
                "mermaid": mermaid.get(name, ""),
            }
            for name, lifecycle in document["lifecycles"].items()
        ],
        "event_types": document["event_types"],
        "simulation": simulation,
        "events_text": (form or {}).get("events") or json.dumps(EXAMPLE, indent=2),
        "contracts_text": (form or {}).get("contracts", ""),
    }
    await _versions(api, console, dict(request.query_params), model)
    return console.render(request, principal, "rules.html", model)


async def simulate_form(request: Request) -> Response:
    """Reads only (nothing is stored), so it needs a signed-in reader and no CSRF token."""
    console: Console = request.app.state.console
    form = await form_of(request)
    result = simulate(console.rulebook(), form.get("events", ""), form.get("contracts", ""))
    return await rules_page(request, simulation=result, form=form)
