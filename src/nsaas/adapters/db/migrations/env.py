"""Alembic environment: always run programmatically on a connection the caller already holds.

:meth:`nsaas.adapters.db.database.Database.upgrade` passes its connection in
``config.attributes["connection"]``, so migrations use the same engine settings (SQLite
pragmas, PostgreSQL search path) as the application.
"""

from __future__ import annotations

from alembic import context

from nsaas.adapters.db import tables

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("nsaas migrations run through `nsaas db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=tables.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
