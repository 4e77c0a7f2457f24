"""Bodies of corrections (revocations, amendments) and of the contract listing.

Kept apart from schemas.py, whose models serve the event path."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.api.schemas import (
    ChangedEventRead,
    ComponentTimelineRead,
    ContractNumber,
    Envelope,
    Name,
    Strict,
    Text,
    UtcDateTime,
)

Reason = Annotated[Text, Field(max_length=500, examples=["sent by mistake"])]
ClientEventId = Annotated[Text, Field(min_length=1, max_length=128, examples=["upstream-7781"])]


class RevokeIn(Strict):
    reason: Reason | None = None


class RevokeByEventIdIn(Strict):
    contract_number: ContractNumber
    event_id: ClientEventId
    reason: Reason | None = None


class TimelineChangeRead(BaseModel):
    before: ComponentTimelineRead
    after: ComponentTimelineRead


class RevocationResult(Envelope):
    id: str = Field(description="The revoked event's id.", examples=["ev_42"])
    contract_number: str
    component: str
    event_id: str | None = Field(description="The client's id of the revoked event, if it sent one.")
    revocation_id: str | None = Field(description="The revocation's own id in the log; null in a dry run.")
    revoked_at: UtcDateTime = Field(description="When the revocation was received (for a repeat, the first one).")
    reason: str | None
    duplicate: bool = Field(description="True when the event was already revoked; nothing changed.")
    timeline: TimelineChangeRead = Field(description="The component's timeline before and after the revocation.")
    changed: list[ChangedEventRead] = Field(description="Stored verdicts the revocation flipped; at most 100.")
    changed_total: int


class ContractAmend(Strict):
    add_components: Annotated[list[Name], Field(max_length=64, examples=[["heatpump_optimization"]])] = Field(
        default_factory=list
    )
    remove_components: Annotated[list[Name], Field(max_length=64, examples=[[]])] = Field(default_factory=list)


class ContractItemRead(BaseModel):
    contract_number: str
    created_at: UtcDateTime
    components: dict[str, ComponentTimelineRead]


class ContractPageRead(BaseModel):
    items: list[ContractItemRead]
    next: str | None = Field(description="Pass as `after` for the following page; null on the last page.")
