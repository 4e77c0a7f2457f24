"""Rule-table versions with effective dates, and the dates lifecycles declare beyond start/end.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rule_versions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("hash", sa.String(length=32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_versions")),
    )
    op.add_column("contract_components", sa.Column("dates", sa.JSON(none_as_null=True), nullable=True))
    op.add_column("events", sa.Column("dates_after", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    op.drop_column("events", "dates_after")
    op.drop_column("contract_components", "dates")
    op.drop_table("rule_versions")
