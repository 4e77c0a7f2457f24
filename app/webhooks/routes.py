"""Webhook management: POST/GET /webhooks, GET/DELETE /webhooks/{id}, its deliveries and replay.

Every one of these needs a write key when API keys are configured (app/api/security.py): the
answers name the receivers, and the subscriptions decide where the data goes."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query

from app.api.deps import RuntimeDep
from app.api.responses import INVALID_PAYLOAD, error_examples
from app.api.schemas import Envelope
from app.db.webhooks import WebhookRow
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryList,
    DeliveryRead,
    ReplayIn,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
)
from app.webhooks.signing import message_id
from app.webhooks.targets import check

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
NOT_FOUND = (404, "error", "webhook_not_found", "Webhook wh_0123456789abcdef not found.")
WebhookId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]


def _read(row: WebhookRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "components": None if row.components is None else orjson.loads(row.components),
        "description": row.description,
        "created_at": row.created_at,
        "status": row.status,
        "position": row.position,
        "attempt": row.attempt,
        "next_attempt_at": row.next_attempt_at,
    }


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreated,
    responses=error_examples(
        (422, "error", "webhook_url_refused", "Webhook URL 'http://10.0.0.5/' refused: 10.0.0.5 is a private address."),
        (422, "error", "invalid_components", "Unknown component(s): solar. Supported components: ..."),
        INVALID_PAYLOAD,
    ),
)
async def create_webhook(body: WebhookCreate, runtime: RuntimeDep) -> WebhookCreated:
    """Subscribe a URL to the change feed from now on. The answer holds the signing secret, once."""
    await check(body.url, allow_private=runtime.settings.webhook_allow_private_networks)
    service.check_components(body.components, list(runtime.engine.rulebook.components))
    work = partial(service.create, url=body.url, components=body.components, description=body.description)
    row, secret = await runtime.writer.run(work)
    runtime.subscribed.set()
    return WebhookCreated(**_read(row), secret=secret)


@router.get("", response_model=WebhookList)
async def list_webhooks(runtime: RuntimeDep) -> WebhookList:
    rows = await runtime.reader.run(service.list_all)
    return WebhookList(webhooks=[WebhookRead(**_read(r)) for r in rows])


@router.get("/{webhook_id}", response_model=WebhookRead, responses=error_examples(NOT_FOUND))
async def get_webhook(webhook_id: WebhookId, runtime: RuntimeDep) -> WebhookRead:
    return WebhookRead(**_read(await runtime.reader.run(partial(service.get, webhook_id=webhook_id))))


@router.delete("/{webhook_id}", response_model=Envelope, responses=error_examples(NOT_FOUND))
async def delete_webhook(webhook_id: WebhookId, runtime: RuntimeDep) -> Envelope:
    await runtime.writer.run(partial(service.delete, webhook_id=webhook_id))
    return Envelope(status="ok", message=f"Webhook {webhook_id} deleted.", code="webhook_deleted")


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList, responses=error_examples(NOT_FOUND))
async def list_deliveries(
    webhook_id: WebhookId,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most attempts, newest first.")] = 100,
) -> DeliveryList:
    """The latest delivery attempts, newest first, with outcome, response code and latency."""
    rows = await runtime.reader.run(partial(service.deliveries, webhook_id=webhook_id, limit=limit))
    return DeliveryList(
        deliveries=[
            DeliveryRead(
                seq=r.seq,
                webhook_id=message_id(r.seq),
                attempt=r.attempt,
                attempted_at=r.attempted_at,
                outcome=r.outcome,
                response_code=r.response_code,
                latency_ms=r.latency_ms,
                error=r.error,
            )
            for r in rows
        ]
    )


@router.post(
    "/{webhook_id}/replay",
    response_model=WebhookRead,
    responses=error_examples(
        NOT_FOUND,
        (410, "error", "feed_position_expired", "Position 11 is no longer in the feed: ..."),
        INVALID_PAYLOAD,
    ),
)
async def replay_webhook(webhook_id: WebhookId, body: ReplayIn, runtime: RuntimeDep) -> WebhookRead:
    """Deliver again from ``from_seq`` on, in order; also resumes a failing subscription at once."""
    row = await runtime.writer.run(partial(service.replay, webhook_id=webhook_id, from_seq=body.from_seq))
    return WebhookRead(**_read(row))
