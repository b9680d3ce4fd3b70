"""One database handle for SQLite (the embedded default) and PostgreSQL (production).

SQLite needs care to behave like a server database under concurrent writers:

* WAL journal (readers never block the writer), foreign keys on, and a busy timeout so a
  second writer waits instead of failing at once;
* the driver's implicit transactions are switched off and every transaction is begun by us;
  writes use ``BEGIN IMMEDIATE``, taking the write lock up front. A deferred transaction that
  reads and then writes can fail with "database is locked" without waiting, because its read
  snapshot is stale by the time it wants the lock; an immediate one simply queues.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from nsaas import config, tracing
from nsaas.domain import errors

BUSY_TIMEOUT_MS = 15_000
_IMMEDIATE = "nsaas_sqlite_immediate"


class Database:
    """An async engine plus the knowledge of how to begin transactions and migrate on its dialect."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def create(
        cls, url: str, *, echo: bool = False, pool_size: int | None = None, schema: str | None = None
    ) -> Database:
        """Connect lazily to ``url``; ``schema`` (PostgreSQL only) becomes the search path.

        For SQLite the file's directory is created on first use.
        """
        parsed = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        else:
            if pool_size is not None:
                kwargs["pool_size"] = pool_size
            if schema is not None:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        engine = create_async_engine(parsed, **kwargs)
        tracing.instrument_engine(engine)
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        return cls(engine)

    @classmethod
    def from_settings(cls, settings: config.Settings) -> Database:
        return cls.create(
            settings.resolved_database_url(), echo=settings.database.echo, pool_size=settings.database.pool_size
        )

    @property
    def url(self) -> str:
        """The connection URL, password included (for the LISTEN/NOTIFY connection; never log it)."""
        return self.engine.url.render_as_string(hide_password=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed on success, rolled back on any error."""
        async with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                await conn.execution_options(**{_IMMEDIATE: True})
            async with conn.begin():
                yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (one consistent snapshot for a list and its total)."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    async def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations shipped inside this package (``nsaas db upgrade``)."""
        try:
            async with self.write() as conn:
                await conn.run_sync(_upgrade, revision)
        except (SQLAlchemyError, OSError) as exc:  # OSError: the server is unreachable
            raise errors.ConfigurationError(f"database migration failed: {exc}") from exc

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("nsaas.adapters.db") / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", f"busy_timeout={BUSY_TIMEOUT_MS}"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
