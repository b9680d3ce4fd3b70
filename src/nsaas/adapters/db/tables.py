"""The schema, as SQLAlchemy Core tables (no ORM: the repository maps rows to domain records).

The Alembic migrations in ``migrations/versions`` must produce exactly this metadata; a test
compares them with Alembic's autogenerate on both dialects.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
    text,
)

from nsaas.adapters.db import types
from nsaas.domain import lifecycle

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: SQL for "this request is not in a terminal state", shared by the model and the migration.
LIVE_PREDICATE = "status NOT IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(lifecycle.TERMINAL)))

namespace_requests = Table(
    "namespace_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(63), nullable=False),
    Column("team", String(32), nullable=False),
    Column("environment", String(16), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("network_policy", String(16), nullable=False),
    Column("spec", types.Json, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_reason", Text, nullable=False),
    Column("end_state", String(32), nullable=True),
    Column("version", Integer, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("observed_generation", Integer, nullable=False),
    Column("applied_digest", String(128), nullable=True),
    Column("engine", String(16), nullable=False),
    Column("requested_by", String(255), nullable=False),
    Column("approved_by", String(255), nullable=True),
    Column("approved_at", types.UtcDateTime(), nullable=True),
    Column("rejection_reason", Text, nullable=True),
    Column("created_at", types.UtcDateTime(), nullable=False),
    Column("updated_at", types.UtcDateTime(), nullable=False),
    Column("ready_at", types.UtcDateTime(), nullable=True),
    Column("expires_at", types.UtcDateTime(), nullable=True),
    Column("deleted_at", types.UtcDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", types.UtcDateTime(), nullable=True),
    Column("lease_owner", String(255), nullable=True),
    Column("lease_expires_at", types.UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_resync_at", types.UtcDateTime(), nullable=True),
    Column("warnings_sent", types.Json, nullable=False),
    Column("workflow_name", String(253), nullable=True),
    # W3C traceparent of the API call that created the request: the provisioning run continues its trace.
    Column("traceparent", String(55), nullable=True),
    # api | gitops (nsaas.domain.sources); a GitOps request names its NamespaceRequest in source_ref.
    Column("source", String(16), nullable=False, server_default="api"),
    Column("source_ref", String(255), nullable=True),
    # The bundle template version the namespace runs (nsaas.domain.templates); pinned: rollouts skip it.
    Column("template_name", String(32), nullable=False, server_default="standard"),
    Column("template_version", Integer, nullable=False, server_default="1"),
    Column("template_pinned", Boolean, nullable=False, server_default=false()),
    # At most one live request per namespace name; terminal requests keep their history.
    Index(
        "uq_namespace_requests_live_name",
        "name",
        unique=True,
        sqlite_where=text(LIVE_PREDICATE),
        postgresql_where=text(LIVE_PREDICATE),
    ),
    Index("ix_namespace_requests_name_created", "name", "created_at"),
    Index("ix_namespace_requests_team_status", "team", "status"),
    Index("ix_namespace_requests_requested_by_created", "requested_by", "created_at"),
    Index("ix_namespace_requests_status_created", "status", "created_at"),
    # The list's default order and its keyset pages (all teams, and one team's view).
    Index("ix_namespace_requests_created_id", "created_at", "id"),
    Index("ix_namespace_requests_team_created_id", "team", "created_at", "id"),
    Index("ix_namespace_requests_due", "next_attempt_at"),
    Index("ix_namespace_requests_expires_at", "expires_at"),
)

status_events = Table(
    "status_events",
    metadata,
    Column("id", types.BigId, primary_key=True, autoincrement=True),
    Column(
        "request_id",
        String(36),
        ForeignKey("namespace_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("namespace", String(63), nullable=False),
    Column("team", String(32), nullable=False),
    Column("at", types.UtcDateTime(), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(32), nullable=False),
    Column("step", String(64), nullable=True),
    Column("phase", String(64), nullable=True),
    Column("message", Text, nullable=False),
    Column("data", types.Json, nullable=False),
    Index("ix_status_events_request_id_id", "request_id", "id"),
    Index("ix_status_events_team_id", "team", "id"),
    # AUTOINCREMENT: ids are never reused on SQLite, so a Last-Event-ID stays meaningful.
    sqlite_autoincrement=True,
)

audit_records = Table(
    "audit_records",
    metadata,
    Column("id", types.BigId, primary_key=True, autoincrement=True),
    Column("at", types.UtcDateTime(), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("roles", types.Json, nullable=False),
    Column("action", String(64), nullable=False),
    Column("target_type", String(64), nullable=False),
    Column("target", String(255), nullable=False),
    Column("before", types.Json, nullable=True),
    Column("after", types.Json, nullable=True),
    Column("correlation_id", String(128), nullable=True),
    Column("source_ip", String(64), nullable=True),
    Column("user_agent", String(512), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_audit_records_at", "at"),
    Index("ix_audit_records_actor_at", "actor", "at"),
    Index("ix_audit_records_target", "target"),
    sqlite_autoincrement=True,
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("owner", String(255), nullable=False),
    Column("key", String(255), nullable=False),
    Column("body_hash", String(128), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", types.Json, nullable=False),
    Column("created_at", types.UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("owner", "key"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

# -- notifications (issue 15): per-team webhook channels, the delivery outbox and its cursor --------

notification_channels = Table(
    "notification_channels",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("team", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("url", Text, nullable=False),
    Column("format", String(16), nullable=False),
    Column("events", types.Json, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", types.UtcDateTime(), nullable=False),
    Index("ix_notification_channels_team", "team"),
)

notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", types.BigId, primary_key=True, autoincrement=True),
    # event id and channel id: the same happening is queued once per channel, whoever queues it.
    Column("dedup_key", String(100), nullable=False, unique=True),
    Column("channel_id", String(36), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("payload", types.Json, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", types.UtcDateTime(), nullable=True),
    Column("delivered_at", types.UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", types.UtcDateTime(), nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", types.UtcDateTime(), nullable=True),
    Index("ix_notification_outbox_due", "next_attempt_at"),
    sqlite_autoincrement=True,
)

notification_cursor = Table(
    "notification_cursor",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("last_event_id", types.BigId, nullable=False),
)

#: The UI's server-side sessions (ui/sessions.py), shared by every UI replica. ``id`` is the
#: SHA-256 of the session id (a database reader learns no usable cookie); ``data`` is the session
#: encrypted with a key derived from ``session-secret`` (Fernet: AES-CBC + HMAC, timestamped).
ui_sessions = Table(
    "ui_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("data", Text, nullable=False),
    Column("expires_at", types.UtcDateTime(), nullable=False),
    Column("updated_at", types.UtcDateTime(), nullable=False),
    Index("ix_ui_sessions_expires_at", "expires_at"),
)

# -- the team registry (issue 17): per-team limits and Azure AD groups -----------------------------

#: ``settings`` is :meth:`nsaas.domain.teams.TeamSettings.snapshot` (limits left unset are null);
#: ``version`` moves on every write.
teams = Table(
    "teams",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("settings", types.Json, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", types.UtcDateTime(), nullable=False),
    Column("updated_at", types.UtcDateTime(), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("updated_by", String(255), nullable=False),
)

#: Which Azure AD groups own (admin) or belong to (developer) a team: looked up by group at sign-in.
team_groups = Table(
    "team_groups",
    metadata,
    Column("group_id", String(128), nullable=False),
    Column("team", String(32), ForeignKey("teams.name", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),
    PrimaryKeyConstraint("group_id", "team", "kind"),
    Index("ix_team_groups_team", "team"),
)

#: Stored bundle template versions (version 1 of each is built in: nsaas.domain.templates.builtin).
bundle_templates = Table(
    "bundle_templates",
    metadata,
    Column("name", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("spec", types.Json, nullable=False),
    Column("state", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", types.UtcDateTime(), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("published_at", types.UtcDateTime(), nullable=True),
    Column("published_by", String(255), nullable=True),
    PrimaryKeyConstraint("name", "version"),
)

#: Rollouts of a bundle template version (nsaas.domain.rollouts); advanced by the worker under a lease.
rollouts = Table(
    "rollouts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("template", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("waves", types.Json, nullable=False),
    Column("state", String(16), nullable=False),
    Column("current_wave", Integer, nullable=False),
    Column("pause_seconds", Float, nullable=False),
    Column("max_failure_rate", Float, nullable=False),
    Column("next_at", types.UtcDateTime(), nullable=True),
    Column("reason", Text, nullable=False),
    Column("created_at", types.UtcDateTime(), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("updated_at", types.UtcDateTime(), nullable=False),
    Column("lease_owner", String(255), nullable=True),
    Column("lease_expires_at", types.UtcDateTime(), nullable=True),
    Index("ix_rollouts_state_next_at", "state", "next_at"),
)

#: Each namespace a rollout plans to move: its wave, the version it ran before, and how it went.
rollout_targets = Table(
    "rollout_targets",
    metadata,
    Column("rollout_id", String(36), ForeignKey("rollouts.id", ondelete="CASCADE"), nullable=False),
    Column("request_id", String(36), nullable=False),
    Column("namespace", String(63), nullable=False),
    Column("wave", Integer, nullable=True),
    Column("from_version", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("error", Text, nullable=False),
    PrimaryKeyConstraint("rollout_id", "request_id"),
    Index("ix_rollout_targets_rollout_id_wave_state", "rollout_id", "wave", "state"),
)
