"""Initial schema: namespace requests, status events, audit records, idempotency keys.

Written out in full (not imported from ``tables``) so this revision stays what it was when the
model moves on; a test checks that head and the model agree.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LIVE = "status NOT IN ('cancelled', 'deleted', 'expired', 'rejected')"


def _ts(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    _requests()
    _events()
    _audit()
    _idempotency()


def _requests() -> None:
    op.create_table(
        "namespace_requests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("network_policy", sa.String(16), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("end_state", sa.String(32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("observed_generation", sa.Integer(), nullable=False),
        sa.Column("applied_digest", sa.String(128), nullable=True),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(255), nullable=False),
        sa.Column("approved_by", sa.String(255), nullable=True),
        _ts("approved_at"),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        _ts("ready_at"),
        _ts("expires_at"),
        _ts("deleted_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        _ts("lease_expires_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("last_resync_at"),
        sa.Column("warnings_sent", JSON, nullable=False),
        sa.Column("workflow_name", sa.String(253), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_namespace_requests"),
    )
    op.create_index(
        "uq_namespace_requests_live_name",
        "namespace_requests",
        ["name"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )
    for name, columns in (
        ("ix_namespace_requests_name_created", ["name", "created_at"]),
        ("ix_namespace_requests_team_status", ["team", "status"]),
        ("ix_namespace_requests_requested_by_created", ["requested_by", "created_at"]),
        ("ix_namespace_requests_status_created", ["status", "created_at"]),
        ("ix_namespace_requests_created_at", ["created_at"]),
        ("ix_namespace_requests_due", ["next_attempt_at"]),
        ("ix_namespace_requests_expires_at", ["expires_at"]),
    ):
        op.create_index(name, "namespace_requests", columns)


def _events() -> None:
    op.create_table(
        "status_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("namespace", sa.String(63), nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        _ts("at", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("phase", sa.String(64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["namespace_requests.id"],
            name="fk_status_events_request_id_namespace_requests",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_status_events"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_status_events_request_id_id", "status_events", ["request_id", "id"])
    op.create_index("ix_status_events_team_id", "status_events", ["team", "id"])


def _audit() -> None:
    op.create_table(
        "audit_records",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        _ts("at", nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("roles", JSON, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("source_ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_records"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_records_at", "audit_records", ["at"])
    op.create_index("ix_audit_records_actor_at", "audit_records", ["actor", "at"])
    op.create_index("ix_audit_records_target", "audit_records", ["target"])


def _idempotency() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("body_hash", sa.String(128), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", JSON, nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("owner", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("audit_records")
    op.drop_table("status_events")
    op.drop_table("namespace_requests")
