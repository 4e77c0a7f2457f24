"""Contract: the timeline as bars, the paged event log, "as known at", and the two write actions."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.web.auth import Principal, write_refusal
from app.web.capabilities import AMEND, AS_KNOWN_AT, HISTORY_AS_KNOWN_AT, REVOKE, Need
from app.web.client import ApiError, path_of
from app.web.console import Console, back, form_of
from app.web.views.gantt import gantt
from app.web.views.history import event_rows
from app.web.views.palette import legend
from app.web.views.times import form_value, instant_from_form, show_instant

PAGE_SIZES = (100, 1000)


def _error(exc: ApiError) -> dict[str, Any]:
    return {"status": exc.status, "code": exc.code, "message": exc.message}


async def contract_page(request: Request) -> Response:
    console: Console = request.app.state.console
    principal = console.principal(request)
    refused = console.refuse(request, principal)
    if refused is not None:
        return refused
    number = request.path_params["number"]
    query = request.query_params
    limit = int(query["limit"]) if query.get("limit", "").isdigit() else PAGE_SIZES[0]
    rulebook = console.rulebook()
    caps = console.capabilities
    model: dict[str, Any] = {
        "title": f"Contract {number}",
        "number": number,
        "limit": limit,
        "page_sizes": PAGE_SIZES,
        "after": query.get("after"),
        "as_known_at": None,
        "as_known_at_input": query.get("as_known_at", ""),
        "missing": {
            "as_known_at": caps.missing(AS_KNOWN_AT, HISTORY_AS_KNOWN_AT),
            "revoke": caps.missing(REVOKE),
            "amend": caps.missing(AMEND),
        },
        "error": None,
    }
    past: dict[str, str] = {}
    if query.get("as_known_at"):
        try:
            model["as_known_at"] = past["as_known_at"] = instant_from_form(query["as_known_at"])
            model["as_known_at_shown"] = show_instant(past["as_known_at"])
            model["as_known_at_input"] = form_value(past["as_known_at"])
        except ValueError as exc:
            model["error"] = {"status": 422, "code": "invalid_as_known_at", "message": str(exc)}
            return console.render(request, principal, "contract.html", model, 422)
        if model["missing"]["as_known_at"]:
            # Never show the present labelled as the past: today's endpoints ignore as_known_at.
            missing = ", ".join(model["missing"]["as_known_at"])
            model["error"] = {
                "status": 501,
                "code": "as_known_at_not_served",
                "message": f"Looking back needs {missing}, which this service does not serve yet.",
            }
            return console.render(request, principal, "contract.html", model, 501)
    api = console.api(request, principal)
    try:
        contract, timeline, history = await asyncio.gather(
            api.get(path_of("", "contract", number)),
            api.get(path_of("", number, "contract_timeline"), past),
            api.get(path_of("", number, "events"), {"limit": limit, "after": query.get("after"), **past}),
        )
    except ApiError as exc:
        model["error"] = _error(exc)
        return console.render(request, principal, "contract.html", model, exc.status)
    components: dict[str, Any] = timeline["components"]
    states = {name: list(rulebook.lifecycle_of(name).states) for name in components if name in rulebook.components}
    all_states = list(dict.fromkeys(s for names in states.values() for s in names))
    model.update(
        {
            "created_at": show_instant(contract.get("created_at")),
            "components": list(components),
            "addable": [c for c in rulebook.components if c not in components],
            "gantt": gantt(components, states),
            "legend": legend(all_states),
            "events": event_rows(history["events"]),
            "next": history.get("next"),
        }
    )
    return console.render(request, principal, "contract.html", model)


async def _write_action(
    request: Request, need: Need, what: str
) -> tuple[Console, Principal, dict[str, str], str, Response | None]:
    """What every write action starts with: the form, the key's scope and CSRF, the endpoint it needs."""
    console: Console = request.app.state.console
    form = await form_of(request)
    here = f"/contracts/{path_of(request.path_params['number'])}"
    principal = console.principal(request)
    refusal = write_refusal(request, principal, form.get("csrf"))
    if refusal:
        return console, principal, form, here, back(request, here, problem=refusal)
    missing = console.capabilities.missing(need)
    if missing:
        problem = f"{what} needs {missing[0]}, which this service does not serve yet."
        return console, principal, form, here, back(request, here, problem=problem)
    return console, principal, form, here, None


async def revoke(request: Request) -> Response:
    console, principal, form, here, refused = await _write_action(request, REVOKE, "Revoking")
    if refused is not None:
        return refused
    body = {"reason": form["reason"]} if form.get("reason", "").strip() else {}
    try:
        answer = await console.api(request, principal).json(
            "POST", path_of("", "events", form.get("event", ""), "revoke"), body=body
        )
    except ApiError as exc:
        return back(request, here, problem=str(exc))
    if answer.get("duplicate"):
        return back(request, here, notice=f"Event {form.get('event')} was already revoked; nothing changed.")
    changed = answer.get("changed_total", len(answer.get("changed") or []))
    return back(request, here, notice=f"Event {form.get('event')} revoked; {changed} other verdict(s) changed.")


async def add_component(request: Request) -> Response:
    console, principal, form, here, refused = await _write_action(request, AMEND, "Adding a component")
    if refused is not None:
        return refused
    number = request.path_params["number"]
    try:
        await console.api(request, principal).json(
            "PATCH", path_of("", "contract", number), body={"add_components": [form.get("component", "")]}
        )
    except ApiError as exc:
        return back(request, here, problem=str(exc))
    return back(request, here, notice=f"Component {form.get('component')} added to contract {number}.")
