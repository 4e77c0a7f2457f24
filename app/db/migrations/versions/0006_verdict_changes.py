"""The log of verdict changes: an event's verdict before each change, and when it changed.

Revision ID: 0006
Revises: 0003b
Create Date: 2026-11-26 16:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0003b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "verdict_changes",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("event_row_id", Id, nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_row_id"], ["events.id"], name=op.f("fk_verdict_changes_event_row_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verdict_changes")),
    )
    op.create_index(op.f("ix_verdict_changes_event_row_id"), "verdict_changes", ["event_row_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_verdict_changes_event_row_id"), table_name="verdict_changes")
    op.drop_table("verdict_changes")
