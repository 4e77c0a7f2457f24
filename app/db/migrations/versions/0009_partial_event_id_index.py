"""Client event ids: a partial unique index instead of a unique constraint.

Most events carry no ``event_id``; the constraint's index still took an entry for each of them,
a random index page per write. The partial index holds only events that carry one, and keeps
the same rule: an ``event_id`` is unique within its contract.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 03:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "uq_events_contract_id_event_id"
WITH_ID = sa.text("event_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(NAME, type_="unique")
    op.create_index(
        NAME, "events", ["contract_id", "event_id"], unique=True, sqlite_where=WITH_ID, postgresql_where=WITH_ID
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.create_unique_constraint(NAME, ["contract_id", "event_id"])
