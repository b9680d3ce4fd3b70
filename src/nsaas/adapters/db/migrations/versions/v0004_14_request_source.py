"""Where a request comes from: the API (portal, CLI, Backstage) or a GitOps NamespaceRequest.

A request has exactly one source; the other side sees it read-only (``nsaas.domain.sources``).
``source_ref`` names the NamespaceRequest (``<namespace>/<name>``) of a GitOps request.

Revision ID: 0004_14
Revises: 0003_15
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_14"
down_revision: str | None = "0003_15"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("namespace_requests") as batch:
        batch.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="api"))
        batch.add_column(sa.Column("source_ref", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("namespace_requests") as batch:
        batch.drop_column("source_ref")
        batch.drop_column("source")
