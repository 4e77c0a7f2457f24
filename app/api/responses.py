"""Turning service results into response bodies and HTTP statuses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import Response

from app.api.schemas import Envelope
from app.domain.timeline import Verdict
from app.services.commands import ChangedEvent, EventOutcome

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
        "id": outcome.id,
        "created_at": outcome.created_at,
        "duplicate": outcome.duplicate,
        "changed": changed_bodies(outcome.changed),
        "changed_total": outcome.changed_total,
    }


def changed_bodies(changed: Sequence[ChangedEvent]) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "type": c.type,
            "date": c.day,
            "created_at": c.created_at,
            "event_id": c.event_id,
            "previous": _envelope(c.previous),
            "current": _envelope(c.current),
        }
        for c in changed
    ]


# Stored times are naive UTC: written with "Z", as UtcDateTime's serializer writes them.
_ORJSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def json_response(body: Any, status_code: int = 200) -> Response:
    """A body already shaped like its documented model, written by orjson without re-validation."""
    return Response(orjson.dumps(body, option=_ORJSON_OPTIONS), status_code=status_code, media_type="application/json")


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

ENVELOPE_REF = "#/components/schemas/Envelope"
# An example for each envelope answer documented without one; otherwise /docs invents a body
# from the schema and shows the first status of the enum, "accepted", on a 400 or a 413.
FALLBACK_EXAMPLES = {
    "400": ("error", "invalid_body", "There was an error parsing the body"),
    "401": ("error", "unauthorized", "A valid API key is required."),
    "403": ("error", "forbidden", "This API key may only read."),
    "413": ("error", "body_too_large", "Request body larger than 4194304 bytes."),
    "422": INVALID_PAYLOAD[1:],
    "503": ("error", "storage_unavailable", "The database does not answer."),
}
# Successes that are not event verdicts answer "ok"; the code says which operation succeeded.
OK_EXAMPLES = {
    "delete_contract": ("ok", "contract_deleted", "Contract 1234 deleted."),
    "health": ("ok", "healthy", "The database answers."),
    "ready": ("ok", "ready", "Rule tables cec913b2a19b loaded."),
}


def document_envelopes(schema: dict[str, Any]) -> None:
    """Describe only bodies the service sends: FastAPI's default 422 (``HTTPValidationError``)
    becomes the envelope that app.api.errors really answers, and every envelope answer gets an example."""
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status_code, response in operation.get("responses", {}).items():
                media = response.get("content", {}).get("application/json", {})
                if media.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                    media["schema"] = {"$ref": ENVELOPE_REF}
                if media.get("schema", {}).get("$ref") == ENVELOPE_REF and not media.get("examples"):
                    status, code, message = (
                        OK_EXAMPLES.get(operation.get("operationId", ""), ("ok", "ok", "Done."))
                        if status_code.startswith("2")
                        else FALLBACK_EXAMPLES.get(status_code, ("error", "http_error", "Refused."))
                    )
                    media["examples"] = {code: {"value": {"status": status, "message": message, "code": code}}}
