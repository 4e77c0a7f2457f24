"""POST /events/{id}/revoke and POST /events/revoke (by the client's event_id)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from app.api.correction_schemas import RevocationResult, RevokeByEventIdIn, RevokeIn
from app.api.deps import RuntimeDep
from app.api.responses import INVALID_PAYLOAD, changed_bodies, error_examples, json_response
from app.api.routes.events import DryRun
from app.api.schemas import Text
from app.runtime import Runtime
from app.services.event_log import CHANGED_LIMIT
from app.services.revocation import RevocationOutcome, RevokeTarget, contract_of_event, submit_revocation

router = APIRouter(tags=["corrections"])
EventPublicId = Annotated[Text, Path(min_length=1, max_length=64, description="The event's `id`.", examples=["ev_42"])]
NOT_FOUND = (404, "error", "event_not_found", "Event ev_42 not found.")


@router.post(
    "/events/{event}/revoke",
    response_model=RevocationResult,
    summary="Revoke a stored event",
    responses=error_examples(NOT_FOUND, INVALID_PAYLOAD),
)
async def revoke_event(
    event: EventPublicId, runtime: RuntimeDep, body: RevokeIn | None = None, dry_run: DryRun = False
) -> Any:
    """Cancel one stored event: its component replays as if it had never been sent, and
    ``changed`` lists the verdicts that flipped. The event stays in the history, marked revoked.
    Revoking it again answers ``duplicate: true`` and changes nothing."""
    number, row_id = await contract_of_event(runtime.reader, event)
    target = RevokeTarget(number, row_id=row_id, reason=body.reason if body else None)
    return await _revoke(runtime, target, dry_run)


@router.post(
    "/events/revoke",
    response_model=RevocationResult,
    summary="Revoke a stored event by the client's event_id",
    responses=error_examples(NOT_FOUND, INVALID_PAYLOAD),
)
async def revoke_event_by_event_id(body: RevokeByEventIdIn, runtime: RuntimeDep, dry_run: DryRun = False) -> Any:
    """The same as ``POST /events/{id}/revoke``, for a client that knows only its own ``event_id``."""
    target = RevokeTarget(body.contract_number, event_id=body.event_id, reason=body.reason)
    return await _revoke(runtime, target, dry_run)


async def _revoke(runtime: Runtime, target: RevokeTarget, dry_run: bool) -> Any:
    outcome = await submit_revocation(
        writer=runtime.writer,
        reader=runtime.reader,
        reads=runtime.engines.reader,
        engine=runtime.rules.catalog.engine_at,
        target=target,
        dry_run=dry_run,
    )
    return json_response(revocation_body(outcome, dry_run=dry_run))


def revocation_body(outcome: RevocationOutcome, *, dry_run: bool) -> dict[str, Any]:
    change = outcome.change
    if outcome.duplicate:
        message = f"Event {outcome.event} was already revoked; nothing changed."
    else:
        would = "would replay" if dry_run else "replayed"
        message = f"Event {outcome.event} revoked; component {change.component} {would} without it."
    return {
        "status": "accepted",
        "message": message,
        "code": "revoked",
        "id": outcome.event,
        "contract_number": outcome.contract_number,
        "component": change.component,
        "event_id": outcome.event_id,
        "revocation_id": outcome.revocation_id,
        "revoked_at": outcome.revoked_at,
        "reason": outcome.reason,
        "duplicate": outcome.duplicate,
        "timeline": {
            "before": {"start": change.before.start, "end": change.before.end, "state": change.before.state},
            "after": {"start": change.after.start, "end": change.after.end, "state": change.after.state},
        },
        "changed": changed_bodies(change.flipped[:CHANGED_LIMIT]),
        "changed_total": len(change.flipped),
    }
