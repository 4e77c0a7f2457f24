"""Request and response bodies. Kept apart from the stored model and from the domain."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A date, then a time: pydantic alone would also read "20240303" or 1709460000 as Unix time.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
# C0 (NUL included), DEL and C1 controls, and lone UTF-16 surrogates, which JSON can spell as
# escapes but which no database stores: PostgreSQL refuses NUL, and a surrogate is no UTF-8 text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# What the schema documents: the control characters. Lone surrogates stay refused but undocumented,
# since schema-driven generators (schemathesis, hypothesis) mishandle a surrogate range in a class.
PRINTABLE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"


def _iso_date_text(value: Any) -> Any:
    if type(value) is str:
        if not _DATE.fullmatch(value):
            raise ValueError("expected a calendar date written YYYY-MM-DD, without a time")
        return value
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError("expected a calendar date written YYYY-MM-DD")
    return value


def _datetime_text(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_TIME.match(value)):
        return value
    raise ValueError("expected an ISO 8601 date-time string such as 2024-03-03T10:00:00Z")


def _convertible_to_utc(value: datetime) -> datetime:
    """Times are stored in UTC; an offset that carries the time past year 1 or 9999 cannot be."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError("date-time lies outside years 0001 to 9999 once converted to UTC") from None
    return value


def _printable(value: str) -> str:
    found = _CONTROL.search(value)
    if found:
        raise ValueError(f"control character U+{ord(found.group()):04X} at position {found.start()} is not allowed")
    return value


def _utc_text(value: datetime) -> str:
    """Stored times are naive UTC; they are written as RFC 3339 with ``Z``, as orjson writes them
    with ``OPT_NAIVE_UTC | OPT_UTC_Z`` in app.api.responses, so every answer spells time one way."""
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
IsoDateTime = Annotated[datetime, BeforeValidator(_datetime_text), AfterValidator(_convertible_to_utc)]
UtcDateTime = Annotated[
    datetime,
    PlainSerializer(_utc_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2024-03-03T10:00:00Z"]}),
]
# Every string a request carries is one of these two types, so no control character reaches a
# database; tests/api/test_hostile_input.py checks that every request string is documented so.
Text = Annotated[str, AfterValidator(_printable), Field(json_schema_extra={"pattern": PRINTABLE_PATTERN})]
ContractNumber = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", examples=["1234"]), AfterValidator(_printable)
]
Name = Annotated[Text, Field(min_length=1, max_length=64, examples=["battery_optimization_start"])]


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
                    "created_at": "2024-03-03T10:00:00Z",
                }
            ]
        },
    )

    type: Name
    contract_number: ContractNumber
    date: IsoDate
    created_at: IsoDateTime | None = Field(None, description="When the event happened; defaults to receipt time.")
    event_id: Annotated[Text, Field(min_length=1, max_length=128)] | None = Field(
        None, description="Client-chosen id; an event repeating it is not stored twice."
    )


class Envelope(BaseModel):
    status: Literal["accepted", "rejected", "ok", "error"] = Field(
        description="accepted or rejected: a verdict on an event; ok: any other success; error: a refused request."
    )
    message: str
    code: str


class ChangedEventRead(BaseModel):
    id: str = Field(description="The stored event's id.", examples=["ev_42"])
    type: str
    date: date
    created_at: UtcDateTime
    event_id: str | None
    previous: Envelope
    current: Envelope


class EventResult(Envelope):
    id: str | None = Field(
        None,
        description="The stored event's id (for a duplicate, the stored event's): stable and opaque, as in the "
        "history. Null for an event not stored (no such contract or component, or a new event in a dry run).",
        examples=["ev_42"],
    )
    created_at: UtcDateTime | None = Field(None, description="The ordering time used, in UTC.")
    duplicate: bool = Field(False, description="True when this event was already stored; the verdict is repeated.")
    changed: list[ChangedEventRead] = Field(
        default_factory=list,
        description="Earlier-recorded events whose verdict this request changed, in created_at order; at most 100. "
        "Listed on the earliest newly stored event of each component the request touched.",
    )
    changed_total: int = Field(
        0,
        description="How many earlier-recorded verdicts this request changed; `changed` lists the first 100.",
    )


class EventBatchResult(BaseModel):
    results: list[EventResult]


class ComponentTimelineRead(BaseModel):
    """``start``, ``end`` and ``state``; a lifecycle that declares dates of its own (``dates:`` in the
    tables, for example ``paused_from``) adds each one that is set as a key of its own."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"additionalProperties": {"type": "string", "format": "date"}}
    )

    start: date | None
    end: date | None
    state: str


class TimelineRead(BaseModel):
    contract_number: str
    components: dict[str, ComponentTimelineRead]
