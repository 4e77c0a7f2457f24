"""The feed's records as /openapi.json documents them (the service writes them from stored JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from app.api.schemas import ComponentTimelineRead, Envelope, UtcDateTime

MAX_SEQ = 2**53 - 1
"""The largest position accepted as input (422 above): an integer every JSON client holds exactly,
far below what the 64-bit columns hold, so no position can overflow a query."""


class CauseRead(BaseModel):
    kind: Literal["event", "late_event", "revocation", "reevaluation", "contract", "amendment"] = Field(
        description="What made the change."
    )
    id: str | None = Field(
        description="The entry that made it: `ev_<n>` for an event, the rules version for a re-evaluation, "
        "the contract number for a contract's creation or deletion."
    )


class FlippedVerdict(BaseModel):
    event_id: str = Field(description="The stored event whose verdict changed, as the history names it (`ev_<n>`).")
    previous: Envelope
    current: Envelope


class ContractComponents(BaseModel):
    components: dict[str, ComponentTimelineRead]


class ChangeRecord(BaseModel):
    seq: int = Field(description="Position in the feed: grows by one per record, in commit order, without gaps.")
    committed_at: UtcDateTime
    contract_number: str
    component: str | None = Field(description="Null for a contract-level change.")
    kind: Literal["timeline", "verdicts", "contract_created", "contract_amended", "contract_deleted"]
    before: ComponentTimelineRead | ContractComponents | None
    after: ComponentTimelineRead | ContractComponents | None = Field(
        description="The state after the change: apply every `after` in seq order to get the current timelines."
    )
    cause: CauseRead
    verdicts: list[FlippedVerdict] = Field(description="Earlier events whose verdict this change flipped.")


class ChangesPage(BaseModel):
    changes: list[ChangeRecord]
    next: int = Field(description="Pass it back as `after` to read on.")


CHANGE_EXAMPLE: dict[str, Any] = {
    "seq": 42,
    "committed_at": "2024-03-03T10:00:00.123456Z",
    "contract_number": "1234",
    "component": "battery_optimization",
    "kind": "timeline",
    "before": {"start": "2024-03-03", "end": None, "state": "started"},
    "after": {"start": "2024-03-03", "end": "2024-04-01", "state": "ended"},
    "cause": {"kind": "late_event", "id": "ev_17"},
    "verdicts": [
        {
            "event_id": "ev_12",
            "previous": {"status": "accepted", "code": "accepted", "message": "Event processed successfully."},
            "current": {"status": "rejected", "code": "restart_after_end", "message": "..."},
        }
    ],
}
