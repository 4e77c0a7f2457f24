"""Operators' reads: GET /{number}/contract_timeline and GET /{number}/events."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection

from app.api.deps import runtime_of
from app.api.history_schemas import DEFAULT_PAGE, MAX_PAGE, HistoryPage
from app.api.responses import error_examples, json_response
from app.api.schemas import ContractNumber, IsoDateTime, TimelineRead
from app.domain.catalog import EngineAt
from app.domain.ordering import to_utc
from app.runtime import Runtime
from app.services import known, timelines

router = APIRouter(tags=["timelines"])
NOT_FOUND = error_examples((404, "error", "contract_not_found", "Contract 9999 not found."))
INVALID_PAGE = error_examples(
    (422, "error", "invalid_payload", "Invalid request. query.limit: Input should be less than or equal to 1000."),
    (
        422,
        "error",
        "invalid_cursor",
        "Invalid 'after' cursor: it is not a cursor this service wrote. Use the 'next' value of a previous page.",
    ),
)


AsKnownAt = Annotated[
    IsoDateTime | None,
    Query(
        description="Answer exactly what this endpoint answered at this instant: only the events, revocations and "
        "amendments committed at or before it count (404 before the contract existed)."
    ),
]


_AS_KNOWN_AT = TypeAdapter(IsoDateTime)
_AS_KNOWN_AT_DESCRIPTION = (
    "Answer exactly what this endpoint answered at this instant: only the events, revocations and "
    "amendments committed at or before it count (404 before the contract existed)."
)


def _as_known_at(request: Request) -> datetime | None:
    """``as_known_at`` from the query string, read by hand on the hottest read.

    A declared query parameter makes FastAPI solve the route's parameters on every request, about
    a sixth of a timeline read; the plain read has no query string and skips all of it. The
    parameter is documented through ``openapi_extra`` and refused with the usual 422 envelope."""
    if not request.scope["query_string"]:
        return None
    raw = request.query_params.get("as_known_at")
    if raw is None:
        return None
    try:
        return _AS_KNOWN_AT.validate_python(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("query", "as_known_at")} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc


@router.get(
    "/{contract_number}/contract_timeline",
    response_model=TimelineRead,
    responses=NOT_FOUND,
    openapi_extra={
        "parameters": [
            {
                "name": "as_known_at",
                "in": "query",
                "required": False,
                "description": _AS_KNOWN_AT_DESCRIPTION,
                "schema": {"type": "string", "format": "date-time"},
            }
        ]
    },
)
async def get_timeline(contract_number: ContractNumber, request: Request) -> Response:
    """Start, end and state of each of the contract's components, as stored; reads never replay,
    except ``as_known_at``, which folds the log as it was known then."""
    as_known_at = _as_known_at(request)
    runtime = runtime_of(request)
    if as_known_at is None:
        view = await runtime.reader.run(partial(timelines.get_timeline, number=contract_number, engine=runtime.engine))
    else:
        at = to_utc(as_known_at)
        work = partial(known.known_timeline, number=contract_number, at=at, engine_at=_engine_at(runtime, at))
        view = await runtime.reader.run_off_loop(work)
    return json_response(
        {
            "contract_number": view.contract_number,
            "components": {
                name: {"start": t.start, "end": t.end, "state": t.state, **dict(t.others)}
                for name, t in view.components.items()
            },
        }
    )


@router.get(
    "/{contract_number}/events",
    response_model=HistoryPage,
    responses={**NOT_FOUND, **INVALID_PAGE},
)
async def get_history(
    contract_number: ContractNumber,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Most events in this page.")] = DEFAULT_PAGE,
    after: Annotated[str | None, Query(description="The `next` value of the previous page.")] = None,
    as_known_at: AsKnownAt = None,
) -> Response:
    """The contract's stored events in ``created_at`` order, one page at a time, each with its
    current verdict and the version of the rule tables that produced it.

    The page is read and shaped off the event loop: its size grows with ``limit``, and the loop
    serves every other request meanwhile."""
    runtime = runtime_of(request)
    at = None if as_known_at is None else to_utc(as_known_at)
    work = partial(_history_body, number=contract_number, after=after, limit=limit, at=at, runtime=runtime)
    return json_response(await runtime.reader.run_off_loop(work))


def _engine_at(runtime: Runtime, at: datetime) -> EngineAt:
    """Each event judged by the version in force at its ``created_at``, among those published by ``at``."""
    return runtime.rules.catalog.known_at(at).engine_at


def _history_body(
    conn: Connection, *, number: str, after: str | None, limit: int, at: datetime | None, runtime: Runtime
) -> dict[str, Any]:
    if at is None:
        page = timelines.get_history_page(conn, number=number, after=after, limit=limit, engine=runtime.engine)
    else:
        page = known.known_history_page(
            conn, number=number, at=at, after=after, limit=limit, engine_at=_engine_at(runtime, at)
        )
    return {
        "contract_number": number,
        "events": [
            {
                "id": e.id,
                "type": e.type,
                "component": e.component,
                "date": e.date,
                "created_at": e.created_at,
                "received_at": e.received_at,
                "committed_at": e.committed_at,
                "event_id": e.event_id,
                "status": e.status,
                "code": e.code,
                "message": e.message,
                "rules_version": e.rules_version,
                "state_after": e.state_after,
                "dates_after": e.dates_after,
                "revoked": e.revoked,
                "revoked_at": e.revoked_at,
                "revocation_reason": e.revocation_reason,
                "previous_verdict": None
                if e.previous is None
                else {
                    "status": e.previous.status,
                    "code": e.previous.code,
                    "message": e.previous.message,
                    "changed_at": e.previous.changed_at,
                },
            }
            for e in page.events
        ],
        "next": page.next,
    }
