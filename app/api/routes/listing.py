"""GET /contracts: find contracts by number prefix, component, state and the day they run."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.correction_schemas import ContractPageRead
from app.api.deps import RuntimeDep
from app.api.history_schemas import DEFAULT_PAGE, MAX_PAGE
from app.api.responses import error_examples, json_response
from app.api.schemas import IsoDate, Name, Text
from app.db.listing import ListingFilter
from app.services.listing import list_contracts as list_page

router = APIRouter(tags=["contracts"])
Prefix = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", description="Number prefix.")]


@router.get(
    "/contracts",
    response_model=ContractPageRead,
    summary="Find contracts",
    responses=error_examples(
        (422, "error", "invalid_payload", "Invalid request. query.active_on: Value error, expected a calendar date."),
        (422, "error", "invalid_cursor", "Invalid 'after' cursor: it is not a cursor this service wrote. ..."),
    ),
)
async def list_contracts(
    runtime: RuntimeDep,
    *,
    prefix: Prefix | None = None,
    component: Annotated[Name | None, Query(description="Contracts holding this component.")] = None,
    state: Annotated[
        Name | None,
        Query(description="... whose component (any, or `component`) is in this state."),
    ] = None,
    active_on: Annotated[
        IsoDate | None,
        Query(description="... whose component started on or before this day and has no end or ends on or after it."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Most contracts in this page.")] = DEFAULT_PAGE,
    after: Annotated[Text | None, Query(max_length=256, description="The `next` value of the previous page.")] = None,
) -> Any:
    """Contracts in number order, each with its components' start, end and state. Filters combine:
    ``component``, ``state`` and ``active_on`` apply to the same component."""
    engine = runtime.engine  # names as the version in force gives them, whatever stored rows hold
    listing = ListingFilter(prefix, component, state, active_on, engine.shown_filter(component, state))
    page = await runtime.reader.run_off_loop(partial(list_page, listing=listing, after=after, limit=limit))
    return json_response(
        {
            "items": [
                {
                    "contract_number": item.contract_number,
                    "created_at": item.created_at,
                    "components": {
                        name: {"start": t.start, "end": t.end, "state": t.state}
                        for name, t in (engine.shown(c, stored) for c, stored in item.components)
                    },
                }
                for item in page.items
            ],
            "next": page.next,
        }
    )
