"""Indexes for keyset paging of the namespace list (issue 18).

The list's default order is ``created_at DESC, id DESC`` and its pages continue after the last
row's ``(created_at, id)``: one index on both serves every page in order with no sort and no
OFFSET; the same with ``team`` first serves a team's own view. The plain ``created_at`` index is
a prefix of the new one and goes.

Revision ID: 0005_18
Revises: 0004_14
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0005_18"
down_revision: str | None = "0004_14"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_namespace_requests_created_id", "namespace_requests", ["created_at", "id"])
    op.create_index("ix_namespace_requests_team_created_id", "namespace_requests", ["team", "created_at", "id"])
    op.drop_index("ix_namespace_requests_created_at", table_name="namespace_requests")


def downgrade() -> None:
    op.create_index("ix_namespace_requests_created_at", "namespace_requests", ["created_at"])
    op.drop_index("ix_namespace_requests_team_created_id", table_name="namespace_requests")
    op.drop_index("ix_namespace_requests_created_id", table_name="namespace_requests")
