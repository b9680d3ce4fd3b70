"""Versioned bundle templates and rollouts: stored versions, the version each namespace runs, and
rollouts with their planned targets.

Every existing namespace runs version 1 of ``standard``, the built-in version that renders exactly
what the settings rendered before (same digest: nothing is re-applied), so no data step is needed.

Revision ID: 0007_17
Revises: 0006_17
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_17"
down_revision: str | None = "0006_17"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("namespace_requests") as batch:
        batch.add_column(sa.Column("template_name", sa.String(32), nullable=False, server_default="standard"))
        batch.add_column(sa.Column("template_version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("template_pinned", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "bundle_templates",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("name", "version", name="pk_bundle_templates"),
    )
    op.create_table(
        "rollouts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("template", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("waves", JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("current_wave", sa.Integer(), nullable=False),
        sa.Column("pause_seconds", sa.Float(), nullable=False),
        sa.Column("max_failure_rate", sa.Float(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rollouts"),
    )
    op.create_index("ix_rollouts_state_next_at", "rollouts", ["state", "next_at"])
    op.create_table(
        "rollout_targets",
        sa.Column("rollout_id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("namespace", sa.String(63), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=True),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rollout_id"], ["rollouts.id"], name="fk_rollout_targets_rollout_id_rollouts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("rollout_id", "request_id", name="pk_rollout_targets"),
    )
    op.create_index("ix_rollout_targets_rollout_id_wave_state", "rollout_targets", ["rollout_id", "wave", "state"])


def downgrade() -> None:
    op.drop_index("ix_rollout_targets_rollout_id_wave_state", table_name="rollout_targets")
    op.drop_table("rollout_targets")
    op.drop_index("ix_rollouts_state_next_at", table_name="rollouts")
    op.drop_table("rollouts")
    op.drop_table("bundle_templates")
    with op.batch_alter_table("namespace_requests") as batch:
        batch.drop_column("template_pinned")
        batch.drop_column("template_version")
        batch.drop_column("template_name")
