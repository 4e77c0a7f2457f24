"""Response bodies of GET /{number}/events, the paged event history.

Kept apart from schemas.py so that the history's page shape can change with its route."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from app.api.schemas import UtcDateTime

Day = date
"""``date`` under a name that no field shadows."""

DEFAULT_PAGE = 100
MAX_PAGE = 1000
"""A 1,000-event page is about 400 kB of JSON and a few milliseconds of work; see the README."""


class HistoryEventRead(BaseModel):
    id: str = Field(
        description="The service's id of the stored event: stable for the life of the event, to be treated "
        "as an opaque string.",
        examples=["ev_42"],
    )
    type: str
    component: str
    date: date
    created_at: UtcDateTime
    received_at: UtcDateTime
    committed_at: UtcDateTime = Field(
        description="When the service committed the event: from this instant on, `as_known_at` includes it."
    )
    event_id: str | None = Field(description="The client's id of the event, if it sent one.")
    status: Literal["accepted", "rejected"]
    code: str
    message: str
    rules_version: str
    revoked: bool = Field(description="True once the event is revoked: it stays in the log but no longer counts.")
    revoked_at: UtcDateTime | None = Field(description="When the revocation was received; null if not revoked.")
    revocation_reason: str | None = Field(description="The reason the revocation gave, if any.")
    state_after: str = Field(description="The component's state after this event, as judged now.")
    dates_after: dict[str, Day | None] = Field(
        description="Every date field the component's lifecycle declares (start, end and its own, such as "
        "paused_from), after this event.",
        examples=[{"start": "2024-03-03", "end": None}],
    )
    previous_verdict: PreviousVerdictRead | None = Field(
        None,
        description="The verdict before its latest change (by a late event, a revocation or a re-evaluation), "
        "and when that change committed; null if the verdict never changed.",
    )


class PreviousVerdictRead(BaseModel):
    status: Literal["accepted", "rejected"]
    code: str
    message: str
    changed_at: UtcDateTime


class HistoryPage(BaseModel):
    contract_number: str
    events: list[HistoryEventRead]
    next: str | None = Field(
        description="Pass as `after` to read the following page; null on the last page.",
        examples=["WyJoMSIsIjEyMzQiLCIyMDI0LTAzLTAzVDEwOjAwOjAwLjAwMDAwMHwwMDB8MjAyNC0wMy0wM3xiIiwxMDBd"],
    )
