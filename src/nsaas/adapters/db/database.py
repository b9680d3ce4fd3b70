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

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import ColumnElement, Connection, RowMapping, Table, event, make_url, select, text, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from nsaas import config, tracing
from nsaas.domain import errors

BUSY_TIMEOUT_MS = 15_000
_IMMEDIATE = "nsaas_sqlite_immediate"
#: Key of the PostgreSQL advisory lock every ``nsaas db upgrade`` holds while it migrates
#: (one per pod's init container may run at once; the others wait and then find nothing to do).
MIGRATION_LOCK_KEY = 0x6E73_6161_735F_6D67  # "nsaas_mg"
log = structlog.get_logger("nsaas.db")


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
        # Parameters never reach logs or error messages (they hold subjects, keys and request
        # data); a pooled connection is tested before use, so the first request after a
        # database restart does not fail on a dead connection.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True, "pool_pre_ping": True}
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
        """A write transaction: committed on success, rolled back on any error.

        A server that cannot be reached (or went away mid-transaction) raises
        :class:`errors.DatabaseUnavailable`; nothing was committed then.
        """
        with unavailable_as_error():
            async with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    await conn.execution_options(**{_IMMEDIATE: True})
                async with conn.begin():
                    yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (one consistent snapshot for a list and its total)."""
        with unavailable_as_error():
            async with self.engine.connect() as conn, conn.begin():
                yield conn

    async def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations shipped inside this package (``nsaas db upgrade``).

        On PostgreSQL the migration runs under a transaction-level advisory lock, so concurrent
        upgrades (one per pod) run one after another instead of racing on the same DDL. A server
        that cannot be reached raises :class:`errors.DatabaseUnavailable` (from :meth:`write`).
        """
        try:
            async with self.write() as conn:
                await xact_lock(conn, MIGRATION_LOCK_KEY)
                await conn.run_sync(_upgrade, revision)
        except SQLAlchemyError as exc:
            raise errors.ConfigurationError(f"database migration failed: {exc}") from exc

    async def ping(self) -> None:
        """One round trip; raises :class:`errors.DatabaseUnavailable` when the server does not answer."""
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    async def wait_until_ready(self, *, within: float, max_delay: float = 5.0) -> None:
        """Wait (with capped exponential backoff and a log line per try) until the database answers.

        A process started during a database outage waits instead of exiting: a crash loop would
        outlast the outage. Raises :class:`errors.DatabaseUnavailable` after ``within`` seconds.
        """
        deadline = time.monotonic() + within
        delay = 0.1
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.ping()
            except errors.DatabaseUnavailable as exc:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                wait = min(delay, left)
                log.warning("waiting for the database", attempt=attempt, retry_in=round(wait, 2), error=exc.message)
                await asyncio.sleep(wait)
                delay = min(delay * 2, max_delay)
            else:
                if attempt > 1:
                    log.info("database reachable", attempts=attempt)
                return

    async def dispose(self) -> None:
        await self.engine.dispose()


async def xact_lock(conn: AsyncConnection, key: int, name: str | None = None) -> None:
    """Hold the PostgreSQL advisory lock ``key`` (or ``key`` and the hash of ``name``) until the
    transaction ends. A no-op on SQLite, whose single writer already serializes write transactions."""
    if conn.dialect.name != "postgresql":
        return
    if name is None:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:name))"), {"key": key, "name": name})


async def lease(
    conn: AsyncConnection,
    table: Table,
    *,
    due: ColumnElement[bool],
    order_by: Sequence[ColumnElement[Any]],
    worker: str,
    now: datetime,
    limit: int,
    lease_seconds: float,
) -> list[RowMapping]:
    """Lease up to ``limit`` rows of ``table`` (first in ``order_by``) that are ``due``: the leased rows.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets concurrent claimers pass over each other's rows
    instead of waiting or double-claiming. The UPDATE repeats ``due``, so even without the row
    locks a row already leased by someone else is never taken.
    """
    candidates = select(table.c.id).where(due).order_by(*order_by).limit(limit)
    ids = list((await conn.execute(candidates.with_for_update(skip_locked=True))).scalars())
    if not ids:
        return []
    values = {"lease_owner": worker, "lease_expires_at": now + timedelta(seconds=lease_seconds)}
    claimed = await conn.execute(update(table).where(table.c.id.in_(ids), due).values(values).returning(*table.c))
    return list(claimed.mappings())


def is_unavailable(exc: BaseException) -> bool:
    """True for errors that mean "the database cannot be reached now", not "this query is wrong".

    Refused or dropped connections, a server shutting down or starting up, pool timeouts, and
    SQLite's busy lock. Constraint violations and bad SQL are not (they are bugs or conflicts).
    """
    if isinstance(exc, (OSError, TimeoutError, PoolTimeout)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)):
            return True
        return isinstance(exc.orig, (OSError, ConnectionError)) or _sqlstate(exc.orig).startswith(("08", "57P"))
    # asyncpg errors raised while connecting are not wrapped by SQLAlchemy.
    return _sqlstate(exc).startswith(("08", "57P"))


def _sqlstate(exc: BaseException | None) -> str:
    return str(getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None) or "")


@contextlib.contextmanager
def unavailable_as_error() -> Iterator[None]:
    try:
        yield
    except errors.NsaasError:
        raise
    except Exception as exc:
        if is_unavailable(exc):
            raise errors.DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
        raise


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
