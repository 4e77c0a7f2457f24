"""POST /event and POST /events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import RuntimeDep, runtime_of
from app.api.responses import INVALID_PAYLOAD, error_examples, event_body, http_status, json_response
from app.api.schemas import EventBatchResult, EventIn, EventResult
from app.domain.errors import TooLarge

router = APIRouter(tags=["events"])
FUTURE = (422, "error", "created_at_in_future", "created_at 2999-01-01T00:00:00Z lies more than 0:05:00 after receipt.")
ID_CONFLICT = (
    409,
    "error",
    "event_id_conflict",
    "event_id 'evt-1' of contract 1234 already names ev_7: supply_energy_start dated 2024-01-01. This event has "
    "date 2024-02-01. Nothing was stored; send a new event_id for a different event.",
)
REJUDGE_LIMIT = (
    409,
    "error",
    "rejudge_limit_exceeded",
    "placing this event on contract 1234 would judge more than 500 stored events of energy_supply again (those "
    "created after it), more than one write may do (MAX_REJUDGE=500). Nothing was stored; ...",
)
DryRun = Annotated[bool, Query(description="Answer what would happen against the stored history; store nothing.")]


@router.post(
    "/event",
    response_model=EventResult,
    summary="Record one event",
    responses=error_examples(
        (404, "rejected", "contract_not_found", "Contract 9999 not found."),
        (409, "rejected", "end_before_start", "End event cannot occur before start event."),
        (409, "rejected", "component_not_in_contract", "Component heatpump_optimization is not part of this contract."),
        ID_CONFLICT,
        REJUDGE_LIMIT,
        (422, "rejected", "unsupported_event_type", "Unsupported event type 'x'. Supported types: ..."),
        FUTURE,
        INVALID_PAYLOAD,
    ),
)
async def post_event(event: EventIn, request: Request, dry_run: DryRun = False) -> Response:
    """Judge the event against the rule tables and store it, accepted or rejected.

    A rule rejection answers 409 with the table's message and code. An event whose
    ``created_at`` is older than events already stored for its component replays that
    component; ``changed`` lists stored events whose verdict changed. A replay that would judge
    more than ``MAX_REJUDGE`` stored events is refused (409 ``rejudge_limit_exceeded``)."""
    [outcome] = await runtime_of(request).recorder.submit([event], dry_run=dry_run)
    return json_response(event_body(outcome), http_status(outcome.verdict))


@router.post(
    "/events",
    response_model=EventBatchResult,
    summary="Record a list of events",
    responses=error_examples(
        (413, "error", "too_many_events", "At most 10000 events per request."),
        ID_CONFLICT,
        REJUDGE_LIMIT,
        FUTURE,
        (422, "error", "invalid_payload", "Invalid request. events[3].created_at: Value error, expected an ISO ..."),
    ),
)
async def post_events(events: list[EventIn], runtime: RuntimeDep, dry_run: DryRun = False) -> Response:
    """Record events in one transaction; one result per input, in input order. Events
    without ``created_at`` are ordered by their position in the list. One malformed item
    refuses the whole batch with 422, naming it as ``events[3].created_at``; nothing is stored."""
    limit = runtime.settings.max_batch_events
    if len(events) > limit:
        raise TooLarge(f"At most {limit} events per request; got {len(events)}.", "too_many_events")
    outcomes = await runtime.recorder.submit(events, dry_run=dry_run, batch=True)
    return json_response({"results": [event_body(o) for o in outcomes]})
