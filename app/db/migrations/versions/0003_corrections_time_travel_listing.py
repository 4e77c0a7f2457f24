"""Corrections, time travel and the contract listing.

- ``events.committed_at`` (when the service committed the event) and ``events.revoked``;
- ``revocations``: entries of the log that cancel one event each;
- ``component_amendments``: components added and removed, creation included, with commit time;
- ``contracts.recorded_at`` (when the service committed the contract);
- ``contract_components.contract_number`` with the two listing indexes, and contract numbers in
  the "C" collation on PostgreSQL, so that the listing's order and prefix ranges are byte-wise.

Rows stored before this revision get the best times known: an event's ``received_at``, a
contract's ``created_at``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Number = sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql")


def upgrade() -> None:
    op.add_column("events", sa.Column("committed_at", sa.DateTime(), nullable=True))
    op.add_column("events", sa.Column("revoked", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE events SET committed_at = received_at")
    op.add_column("contracts", sa.Column("recorded_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE contracts SET recorded_at = created_at")
    op.add_column("contract_components", sa.Column("contract_number", Number, nullable=True))
    op.execute(
        "UPDATE contract_components SET contract_number = "
        "(SELECT number FROM contracts WHERE contracts.id = contract_components.contract_id)"
    )
    with op.batch_alter_table("events") as batch:
        batch.alter_column("committed_at", existing_type=sa.DateTime(), nullable=False)
    with op.batch_alter_table("contracts") as batch:
        batch.alter_column("recorded_at", existing_type=sa.DateTime(), nullable=False)
        batch.alter_column("number", existing_type=sa.String(length=64), type_=Number, existing_nullable=False)
    with op.batch_alter_table("contract_components") as batch:
        batch.alter_column("contract_number", existing_type=Number, nullable=False)
    op.create_index(
        "ix_contract_components_listing",
        "contract_components",
        ["component", "contract_number", "state", "start_date", "end_date"],
    )
    op.create_index(
        "ix_contract_components_listing_state",
        "contract_components",
        ["component", "state", "contract_number", "start_date", "end_date"],
    )
    op.create_table(
        "revocations",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("contract_id", Id, nullable=False),
        sa.Column("event_row_id", Id, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("committed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_revocations_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_row_id"], ["events.id"], name=op.f("fk_revocations_event_row_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocations")),
        sa.UniqueConstraint("event_row_id", name=op.f("uq_revocations_event_row_id")),
    )
    op.create_index("ix_revocations_contract_id", "revocations", ["contract_id"])
    op.create_table(
        "component_amendments",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("contract_id", Id, nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("added", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("committed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_component_amendments_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component_amendments")),
    )
    op.create_index("ix_component_amendments_contract_id", "component_amendments", ["contract_id"])
    op.execute(
        "INSERT INTO component_amendments (contract_id, component, added, position, committed_at) "
        "SELECT cc.contract_id, cc.component, true, cc.position, c.recorded_at "
        "FROM contract_components cc JOIN contracts c ON c.id = cc.contract_id"
    )


def downgrade() -> None:
    op.drop_table("component_amendments")
    op.drop_table("revocations")
    op.drop_index("ix_contract_components_listing_state", table_name="contract_components")
    op.drop_index("ix_contract_components_listing", table_name="contract_components")
    with op.batch_alter_table("contract_components") as batch:
        batch.drop_column("contract_number")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("recorded_at")
        batch.alter_column("number", existing_type=Number, type_=sa.String(length=64), existing_nullable=False)
    with op.batch_alter_table("events") as batch:
        batch.drop_column("revoked")
        batch.drop_column("committed_at")
