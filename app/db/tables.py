"""The stored model: contracts, their components' timelines, and the event log.

The event log is the source of truth. ``contract_components`` is a projection of it that
reads use directly; every event row also keeps its component's timeline after it, so a late
event replays from the event before it instead of from the beginning.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
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
# Ordering keys compare byte by byte everywhere; PostgreSQL needs the "C" collation for that.
Key = String(160).with_variant(String(160, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime())


class ContractComponent(Base):
    """One component of a contract and its current timeline (the projection)."""

    __tablename__ = "contract_components"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    component: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer())
    state: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date | None] = mapped_column(Date())
    end_date: Mapped[date | None] = mapped_column(Date())
    last_key: Mapped[str | None] = mapped_column(Key)
    """Ordering key of the component's latest event; a new event at or before it is late."""


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("contract_id", "component", "sort_key"),
        UniqueConstraint("contract_id", "event_id"),
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
feed_positions = cast(Table, FeedPosition.__table__)
changes = cast(Table, Change.__table__)
webhooks = cast(Table, Webhook.__table__)
webhook_deliveries = cast(Table, WebhookDelivery.__table__)
