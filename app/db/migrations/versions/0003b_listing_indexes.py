"""Listing indexes that every filter combination of GET /contracts can walk in number order.

- The two component indexes get the contract id as their last column, so that a page is an
  index-only scan (no table row is read to learn a match's contract id).
- ``ix_contract_components_listing_any_state`` (state, contract_number, ...) serves a ``state``
  filter without a component, and ``ix_contract_components_listing_any`` (contract_number, ...)
  an ``active_on`` filter without one: before, both were an ``EXISTS`` per contract in number
  order, which reads the whole table when the state is rare.

Revision ID: 0003b
Revises: 0003
Create Date: 2026-11-26 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003b"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY_COMPONENT = ["component", "contract_number", "state", "start_date", "end_date"]
BY_COMPONENT_STATE = ["component", "state", "contract_number", "start_date", "end_date"]


def upgrade() -> None:
    op.drop_index("ix_contract_components_listing", table_name="contract_components")
    op.drop_index("ix_contract_components_listing_state", table_name="contract_components")
    op.create_index("ix_contract_components_listing", "contract_components", [*BY_COMPONENT, "contract_id"])
    op.create_index("ix_contract_components_listing_state", "contract_components", [*BY_COMPONENT_STATE, "contract_id"])
    op.create_index(
        "ix_contract_components_listing_any_state",
        "contract_components",
        ["state", "contract_number", "start_date", "end_date", "contract_id"],
    )
    op.create_index(
        "ix_contract_components_listing_any",
        "contract_components",
        ["contract_number", "start_date", "end_date", "contract_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_contract_components_listing_any", table_name="contract_components")
    op.drop_index("ix_contract_components_listing_any_state", table_name="contract_components")
    op.drop_index("ix_contract_components_listing_state", table_name="contract_components")
    op.drop_index("ix_contract_components_listing", table_name="contract_components")
    op.create_index("ix_contract_components_listing", "contract_components", BY_COMPONENT)
    op.create_index("ix_contract_components_listing_state", "contract_components", BY_COMPONENT_STATE)
