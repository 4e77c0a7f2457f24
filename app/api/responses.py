"""Turning service results into response bodies and HTTP statuses."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

from app.api.schemas import Envelope
from app.domain.timeline import Verdict
from app.services.commands import EventOutcome

# Rule rejections from the tables are conflicts with the contract's history (409); these
# verdicts are about the request itself.
HTTP_STATUS_OF_CODE = {"accepted": 200, "contract_not_found": 404, "unsupported_event_type": 422}


def http_status(verdict: Verdict) -> int:
    return HTTP_STATUS_OF_CODE.get(verdict.code, 409)


def _envelope(verdict: Verdict) -> dict[str, Any]:
    return {"status": "accepted" if verdict.accepted else "rejected", "message": verdict.message, "code": verdict.code}


def event_body(outcome: EventOutcome) -> dict[str, Any]:
    """The ``EventResult`` body of an outcome, as JSON-ready data."""
    return {
        **_envelope(outcome.verdict),
        "created_at": outcome.created_at,
        "duplicate": outcome.duplicate,
        "changed": [
            {
                "type": c.type,
                "date": c.day,
                "created_at": c.created_at,
                "event_id": c.event_id,
                "previous": _envelope(c.previous),
                "current": _envelope(c.current),
            }
            for c in outcome.changed
        ],
    }


def json_response(body: Any, status_code: int = 200) -> Response:
    """A body already shaped like its documented model, written by orjson without re-validation."""
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def error_examples(*cases: tuple[int, str, str, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error envelopes, one example per case."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status_code, status, code, message in cases:
        entry = responses.setdefault(
            status_code, {"model": Envelope, "content": {"application/json": {"examples": {}}}}
        )
        entry["content"]["application/json"]["examples"][code] = {
            "value": {"status": status, "message": message, "code": code}
        }
    return responses


INVALID_PAYLOAD = (422, "error", "invalid_payload", "Invalid request. date: Value error, expected a calendar date.")
