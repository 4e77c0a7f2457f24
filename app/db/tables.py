"""The stored model: contracts, their components' timelines, and the event log.

The event log is the source of truth. ``contract_components`` is a projection of it that
reads use directly; every event row also keeps its component's timeline after it, so a late
event replays from the event before it instead of from the beginning.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer(), "sqlite")
# Dates a lifecycle declares beyond start and end ({"paused_from": "2025-02-01"}); NULL when
# there are none, which is every component of the default tables, so the hot path stays as it was.
Dates = JSON(none_as_null=True)
# Ordering keys compare byte by byte everywhere; PostgreSQL needs the "C" collation for that.
Key = String(160).with_variant(String(160, collation="C"), "postgresql")
# Contract numbers too: the listing pages by number, and a prefix is a byte-wise range of them.
Number = String(64).with_variant(String(64, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(Number, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    recorded_at: Mapped[datetime] = mapped_column(DateTime())
    """When the service committed the contract (the writer's group time): ``as_known_at`` before it is 404."""


class ContractComponent(Base):
    """One component of a contract and its current timeline (the projection)."""

    __tablename__ = "contract_components"
    __table_args__ = (
        # The listing (GET /contracts) with a component, state or active_on filter walks one of these
        # in contract-number order: equality columns first, then the number, then the date columns
        # and the contract id, so a page is one index-only range scan. See app/db/listing.py.
        Index(
            "ix_contract_components_listing",
            "component",
            "contract_number",
            "state",
            "start_date",
            "end_date",
            "contract_id",
        ),
        Index(
            "ix_contract_components_listing_state",
            "component",
            "state",
            "contract_number",
            "start_date",
            "end_date",
            "contract_id",
        ),
        Index(
            "ix_contract_components_listing_any_state",
            "state",
            "contract_number",
            "start_date",
            "end_date",
            "contract_id",
        ),
        Index("ix_contract_components_listing_any", "contract_number", "start_date", "end_date", "contract_id"),
    )

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    component: Mapped[str] = mapped_column(String(64), primary_key=True)
    contract_number: Mapped[str] = mapped_column(Number)
    """The contract's number, copied (numbers never change) so that a filtered listing is one index range."""
    position: Mapped[int] = mapped_column(Integer())
    state: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date | None] = mapped_column(Date())
    end_date: Mapped[date | None] = mapped_column(Date())
    dates: Mapped[dict[str, Any] | None] = mapped_column(Dates)
    """Declared dates beyond start and end, ISO-written by name."""
    last_key: Mapped[str | None] = mapped_column(Key)
    """Ordering key of the component's latest event; a new event at or before it is late."""


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("contract_id", "component", "sort_key"),
        # Client event ids are unique per contract. Partial: most events carry none, and an index
        # entry per id-less event cost every such write a random index page (about an eighth of
        # the writer's time per event with one request per group commit, measured on SQLite).
        Index(
            "uq_events_contract_id_event_id",
            "contract_id",
            "event_id",
            unique=True,
            sqlite_where=text("event_id IS NOT NULL"),
            postgresql_where=text("event_id IS NOT NULL"),
        ),
        # A page of a contract's history (all components, in key order) reads only its own rows.
        Index("ix_events_contract_order", "contract_id", "sort_key", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    component: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date())
    created_at: Mapped[datetime] = mapped_column(DateTime())
    sort_key: Mapped[str] = mapped_column(Key)
    event_id: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(DateTime())
    accepted: Mapped[bool] = mapped_column()
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500))
    rules_version: Mapped[str] = mapped_column(String(32))
    state_after: Mapped[str] = mapped_column(String(64))
    start_after: Mapped[date | None] = mapped_column(Date())
    end_after: Mapped[date | None] = mapped_column(Date())
    committed_at: Mapped[datetime] = mapped_column(DateTime())
    """When the service committed the event (the writer's group time): what ``as_known_at`` reads."""
    revoked: Mapped[bool] = mapped_column(Boolean(), server_default=false())
    """Revoked events stay in the log but no longer count; the revocation itself is a row of ``revocations``."""

    dates_after: Mapped[dict[str, Any] | None] = mapped_column(Dates)


class RuleVersion(Base):
    """Every version of the rule tables the service has used, and from when each is in force."""

    __tablename__ = "rule_versions"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    hash: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text())
    """The merged tables as JSON (``Tables.plain()``); ``hash`` is computed from it."""
    effective_from: Mapped[datetime] = mapped_column(DateTime())
    """Naive UTC. Events created at or after it are judged by this version (until the next one)."""
    published_at: Mapped[datetime] = mapped_column(DateTime())


class VerdictChange(Base):
    """An event's verdict before one change of it (late event, revocation, re-evaluation), and when
    that change committed. The history shows the latest change known at the instant it is read for."""

    __tablename__ = "verdict_changes"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_row_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime())
    accepted: Mapped[bool] = mapped_column()
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500))


class Revocation(Base):
    """An entry of the log that cancels one stored event, with its time of receipt and of commit."""

    __tablename__ = "revocations"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    event_row_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(DateTime())
    committed_at: Mapped[datetime] = mapped_column(DateTime())


class ComponentAmendment(Base):
    """A component added to or removed from a contract, creation included, with its commit time.

    Append-only: the components a contract held at instant T are those whose latest amendment
    committed at or before T is an addition, in ``position`` order."""

    __tablename__ = "component_amendments"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    component: Mapped[str] = mapped_column(String(64))
    added: Mapped[bool] = mapped_column(Boolean())
    position: Mapped[int] = mapped_column(Integer())
    committed_at: Mapped[datetime] = mapped_column(DateTime())


class FeedPosition(Base):
    """Named positions of the change feed: ``head`` (the last seq given out) and ``pruned``
    (every seq at or below it has been removed by retention). One row each, so that retention
    never waits on the row that every committing transaction locks."""

    __tablename__ = "feed_positions"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(Id)


class Change(Base):
    """The change feed (transactional outbox): one row per change of stored state.

    ``body`` is the record as clients receive it, JSON written once at commit; reads, streams
    and webhooks send it as stored instead of shaping it again per reader."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_contract_seq", "contract_number", "seq"),
        Index("ix_changes_committed_at", "committed_at"),
    )

    seq: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    committed_at: Mapped[datetime] = mapped_column(DateTime())
    contract_number: Mapped[str] = mapped_column(String(64))
    component: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text())


class Webhook(Base):
    """A webhook subscription and its delivery position (the last seq delivered or skipped)."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    components: Mapped[str | None] = mapped_column(Text())
    """JSON list of component names; null for every component."""
    description: Mapped[str | None] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    status: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Id)
    attempt: Mapped[int] = mapped_column(Integer())
    """Failed attempts at the change after ``position``; 0 when the last attempt succeeded."""
    first_failure_at: Mapped[datetime | None] = mapped_column(DateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime())


class WebhookDelivery(Base):
    """One delivery attempt: the delivery log, and the evidence of at-least-once."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_webhook_id", "webhook_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Id)
    attempt: Mapped[int] = mapped_column(Integer())
    attempted_at: Mapped[datetime] = mapped_column(DateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    response_code: Mapped[int | None] = mapped_column(Integer())
    latency_ms: Mapped[float] = mapped_column(Float())
    error: Mapped[str | None] = mapped_column(String(500))


contracts = cast(Table, Contract.__table__)
contract_components = cast(Table, ContractComponent.__table__)
events = cast(Table, Event.__table__)
revocations = cast(Table, Revocation.__table__)
component_amendments = cast(Table, ComponentAmendment.__table__)
verdict_changes = cast(Table, VerdictChange.__table__)
rule_versions = cast(Table, RuleVersion.__table__)
feed_positions = cast(Table, FeedPosition.__table__)
changes = cast(Table, Change.__table__)
webhooks = cast(Table, Webhook.__table__)
webhook_deliveries = cast(Table, WebhookDelivery.__table__)
