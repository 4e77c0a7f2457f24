"""Turning service results into response bodies and HTTP statuses."""

from __future__ import annotations

from typing import Any

from app.api.schemas import ChangedEventRead, Envelope, EventResult
from app.domain.timeline import Verdict
from app.services.commands import EventOutcome

# Rule rejections from the tables are conflicts with the contract's history (409); these
# verdicts are about the request itself.
HTTP_STATUS_OF_CODE = {"accepted": 200, "contract_not_found": 404, "unsupported_event_type": 422}


def http_status(verdict: Verdict) -> int:
    return HTTP_STATUS_OF_CODE.get(verdict.code, 409)


def _envelope(verdict: Verdict) -> Envelope:
    return Envelope(status="accepted" if verdict.accepted else "rejected", message=verdict.message, code=verdict.code)


def event_result(outcome: EventOutcome) -> EventResult:
    verdict = outcome.verdict
    return EventResult(
        status="accepted" if verdict.accepted else "rejected", message=verdict.message, code=verdict.code,
        created_at=outcome.created_at, duplicate=outcome.duplicate,
        changed=[ChangedEventRead(type=c.type, date=c.day, created_at=c.created_at, event_id=c.event_id,
                                  previous=_envelope(c.previous), current=_envelope(c.current))
                 for c in outcome.changed],
    )


def error_examples(*cases: tuple[int, str, str, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error envelopes, one example per case."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status_code, status, code, message in cases:
        entry = responses.setdefault(status_code, {"model": Envelope, "content": {"application/json": {"examples": {}}}})
        entry["content"]["application/json"]["examples"][code] = {
            "value": {"status": status, "message": message, "code": code}}
    return responses


INVALID_PAYLOAD = (422, "error", "invalid_payload", "Invalid request. date: Value error, expected a calendar date.")
