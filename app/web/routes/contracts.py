"""Contracts: search by number prefix, filter by component, state and "active on", page through."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.web.capabilities import LISTING
from app.web.client import ApiError, path_of
from app.web.console import Console, prefix
from app.web.views.listing import filters_from, listing_rows

PAGE_SIZES = (25, 100, 500)


async def contracts_page(request: Request) -> Response:
    console: Console = request.app.state.console
    principal = console.principal(request)
    refused = console.refuse(request, principal)
    if refused is not None:
        return refused
    query = dict(request.query_params)
    opened = query.get("open", "").strip()
    if opened:  # "Open by number" works with or without the listing endpoint
        return RedirectResponse(f"{prefix(request)}/contracts/{path_of(opened)}", 303)
    filters = filters_from(query)
    limit = int(query["limit"]) if query.get("limit", "").isdigit() else PAGE_SIZES[0]
    rulebook = console.rulebook()
    model: dict[str, object] = {
        "title": "Contracts",
        "filters": filters,
        "limit": limit,
        "page_sizes": PAGE_SIZES,
        "components": list(rulebook.components),
        "states": sorted({s for lc in rulebook.lifecycles.values() for s in lc.states}),
        "missing": console.capabilities.missing(LISTING),
        "items": [],
        "next": None,
        "error": None,
    }
    if not model["missing"]:
        try:
            page = await console.api(request, principal).get(
                "/contracts", {**filters, "limit": limit, "after": query.get("after")}
            )
            model["items"], model["next"] = listing_rows(page.get("items", [])), page.get("next")
        except ApiError as exc:
            model["error"] = {"status": exc.status, "code": exc.code, "message": exc.message}
    return console.render(request, principal, "contracts.html", model)
