"""Initial schema: contracts, their components' timelines, and the event log.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 12:00:51
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they were at this revision (later model changes need their own migration).
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Key = sa.String(length=160).with_variant(sa.String(length=160, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("number", name=op.f("uq_contracts_number")),
    )
    op.create_table(
        "contract_components",
        sa.Column("contract_id", Id, nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("last_key", Key, nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_components_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contract_id", "component", name=op.f("pk_contract_components")),
    )
    op.create_table(
        "events",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("contract_id", Id, nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sort_key", Key, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("rules_version", sa.String(length=32), nullable=False),
        sa.Column("state_after", sa.String(length=64), nullable=False),
        sa.Column("start_after", sa.Date(), nullable=True),
        sa.Column("end_after", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_events_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint(
            "contract_id", "component", "sort_key", name=op.f("uq_events_contract_id_component_sort_key")
        ),
        sa.UniqueConstraint("contract_id", "event_id", name=op.f("uq_events_contract_id_event_id")),
    )


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("contract_components")
    op.drop_table("contracts")
