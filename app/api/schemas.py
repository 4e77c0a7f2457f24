"""Request and response bodies. Kept apart from the stored model and from the domain."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: Any) -> Any:
    if type(value) is str:
        if not _DATE.fullmatch(value):
            raise ValueError("expected a calendar date written YYYY-MM-DD, without a time")
        return value
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError("expected a calendar date written YYYY-MM-DD")
    return value


def _datetime_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("expected an ISO 8601 date-time such as 2024-03-03T10:00:00Z")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
IsoDateTime = Annotated[datetime, BeforeValidator(_datetime_text)]
# Stored times are naive UTC and are written back without an offset, which RFC 3339's
# "date-time" does not allow; the schema says what is actually sent.
UtcDateTime = Annotated[
    datetime,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$",
            "description": "A UTC time written without an offset.",
            "examples": ["2024-03-03T10:00:00"],
        }
    ),
]
ContractNumber = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", examples=["1234"])]
Name = Annotated[str, Field(min_length=1, max_length=64, examples=["battery_optimization_start"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContractCreate(Strict):
    contract_number: ContractNumber
    components: Annotated[list[Name], Field(max_length=64, examples=[["energy_supply", "battery_optimization"]])]
    created_at: IsoDateTime | None = None


class ContractRead(BaseModel):
    contract_number: str
    created_at: UtcDateTime
    components: list[str]


class EventIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "battery_optimization_start",
                    "contract_number": "1234",
                    "date": "2024-03-03",
                    "created_at": "2024-03-03T10:00:00",
                }
            ]
        },
    )

    type: Name
    contract_number: ContractNumber
    date: IsoDate
    created_at: IsoDateTime | None = Field(None, description="When the event happened; defaults to receipt time.")
    event_id: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        None, description="Client-chosen id; an event repeating it is not stored twice."
    )


class Envelope(BaseModel):
    status: Literal["accepted", "rejected", "error"]
    message: str
    code: str


class ChangedEventRead(BaseModel):
    type: str
    date: date
    created_at: UtcDateTime
    event_id: str | None
    previous: Envelope
    current: Envelope


class EventResult(Envelope):
    created_at: UtcDateTime | None = Field(None, description="The ordering time used, in UTC.")
    duplicate: bool = Field(False, description="True when this event was already stored; the verdict is repeated.")
    changed: list[ChangedEventRead] = Field(
        default_factory=list, description="Earlier-recorded events whose verdict this late event changed."
    )


class EventBatchResult(BaseModel):
    results: list[EventResult]


class ComponentTimelineRead(BaseModel):
    start: date | None
    end: date | None
    state: str


class TimelineRead(BaseModel):
    contract_number: str
    components: dict[str, ComponentTimelineRead]


class RecordedEventRead(BaseModel):
    type: str
    component: str
    date: date
    created_at: UtcDateTime
    received_at: UtcDateTime
    event_id: str | None
    status: Literal["accepted", "rejected"]
    code: str
    message: str
    rules_version: str


class HistoryRead(BaseModel):
    contract_number: str
    events: list[RecordedEventRead]
