"""Request and response bodies of the webhook management API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from app.api.schemas import Name, Strict, Text, UtcDateTime
from app.feed.schemas import MAX_SEQ

Url = Annotated[Text, Field(min_length=1, max_length=2048, examples=["https://billing.example.com/hooks/contracts"])]


class WebhookCreate(Strict):
    url: Url
    components: Annotated[list[Name], Field(min_length=1, max_length=64)] | None = Field(
        None, description="Deliver only these components' changes (and every contract-level one); all when absent."
    )
    description: Annotated[Text, Field(max_length=500)] | None = None


class WebhookRead(BaseModel):
    id: str
    url: str
    components: list[str] | None
    description: str | None
    created_at: UtcDateTime
    status: Literal["active", "failing"] = Field(
        description="failing: a change has been undeliverable for WEBHOOK_MAX_RETRY_AGE; retries go on."
    )
    position: int = Field(description="The last seq delivered (or not meant for this subscription).")
    attempt: int = Field(description="Failed attempts at the next change.")
    next_attempt_at: UtcDateTime | None


class WebhookCreated(WebhookRead):
    secret: str = Field(description="The signing secret, `whsec_...`: shown only in this answer.")


class WebhookList(BaseModel):
    webhooks: list[WebhookRead]


class DeliveryRead(BaseModel):
    seq: int
    webhook_id: str = Field(description="The `webhook-id` header sent: the same for every attempt at a change.")
    attempt: int
    attempted_at: UtcDateTime
    outcome: Literal["delivered", "failed"]
    response_code: int | None
    latency_ms: float
    error: str | None


class DeliveryList(BaseModel):
    deliveries: list[DeliveryRead]


def _not_text(value: object) -> object:
    """A seq is a JSON number: ``"12"`` or ``true`` is refused rather than read as one."""
    if isinstance(value, str | bool):
        raise ValueError("expected an integer")
    return value


class ReplayIn(Strict):
    from_seq: Annotated[int, Field(ge=1, le=MAX_SEQ), BeforeValidator(_not_text)] = Field(
        description="Deliver again from this seq on."
    )
