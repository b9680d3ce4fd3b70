"""The team registry: per-team limits and the Azure AD groups that own or belong to a team.

A team without a row keeps the configured defaults, so existing installations need no data step.

Revision ID: 0006_17
Revises: 0005_18
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_17"
down_revision: str | None = "0005_18"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_teams"),
    )
    op.create_table(
        "team_groups",
        sa.Column("group_id", sa.String(128), nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.ForeignKeyConstraint(["team"], ["teams.name"], name="fk_team_groups_team_teams", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "team", "kind", name="pk_team_groups"),
    )
    op.create_index("ix_team_groups_team", "team_groups", ["team"])


def downgrade() -> None:
    op.drop_index("ix_team_groups_team", table_name="team_groups")
    op.drop_table("team_groups")
    op.drop_table("teams")
