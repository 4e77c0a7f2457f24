"""Operators' reads: GET /{number}/contract_timeline and GET /{number}/events."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response

from app.api.deps import RuntimeDep, runtime_of
from app.api.responses import error_examples, json_response
from app.api.schemas import ContractNumber, HistoryRead, RecordedEventRead, TimelineRead
from app.services import timelines

router = APIRouter(tags=["timelines"])
NOT_FOUND = error_examples((404, "error", "contract_not_found", "Contract 9999 not found."))


@router.get("/{contract_number}/contract_timeline", response_model=TimelineRead, responses=NOT_FOUND)
async def get_timeline(contract_number: ContractNumber, request: Request) -> Response:
    """Start, end and state of each of the contract's components, as stored; reads never replay."""
    view = await runtime_of(request).reader.run(partial(timelines.get_timeline, number=contract_number))
    return json_response(
        {
            "contract_number": view.contract_number,
            "components": {
                name: {"start": t.start, "end": t.end, "state": t.state} for name, t in view.components.items()
            },
        }
    )


@router.get("/{contract_number}/events", response_model=HistoryRead, responses=NOT_FOUND)
async def get_history(contract_number: ContractNumber, runtime: RuntimeDep) -> HistoryRead:
    """Every stored event of the contract in ``created_at`` order, with its current verdict
    and the version of the rule tables that produced it."""
    events = await runtime.reader.run(partial(timelines.get_history, number=contract_number))
    return HistoryRead(
        contract_number=contract_number,
        events=[
            RecordedEventRead(
                type=e.type,
                component=e.component,
                date=e.date,
                created_at=e.created_at,
                received_at=e.received_at,
                event_id=e.event_id,
                status=e.status,
                code=e.code,
                message=e.message,
                rules_version=e.rules_version,
            )
            for e in events
        ],
    )
