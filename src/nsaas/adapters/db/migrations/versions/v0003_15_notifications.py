"""Notifications: per-team webhook channels, the delivery outbox and the notifier's event cursor.

Revision ID: 0003_15
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_15"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notification_channels"),
    )
    op.create_index("ix_notification_channels_team", "notification_channels", ["team"])
    op.create_table(
        "notification_outbox",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("dedup_key", sa.String(100), nullable=False),
        sa.Column("channel_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        _ts("delivered_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at", nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        _ts("lease_expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_notification_outbox"),
        sa.UniqueConstraint("dedup_key", name="uq_notification_outbox_dedup_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_notification_outbox_due", "notification_outbox", ["next_attempt_at"])
    op.create_table(
        "notification_cursor",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("last_event_id", BIG_ID, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_notification_cursor"),
    )


def downgrade() -> None:
    op.drop_table("notification_cursor")
    op.drop_index("ix_notification_outbox_due", table_name="notification_outbox")
    op.drop_table("notification_outbox")
    op.drop_index("ix_notification_channels_team", table_name="notification_channels")
    op.drop_table("notification_channels")
