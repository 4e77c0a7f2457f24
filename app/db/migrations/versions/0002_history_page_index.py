"""Index the event log by contract and ordering key, for paged histories.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 16:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_events_contract_order", "events", ["contract_id", "sort_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_events_contract_order", table_name="events")
