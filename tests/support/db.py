"""Database fixtures (SQLite and PostgreSQL), usable by every area's tests.

``database`` is parametrized over both dialects and gives each test a fresh, migrated schema:
a temporary SQLite file (a copy of one migrated once per test process, so the migrations do
not run again for every test), or a PostgreSQL schema of its own (``search_path``) that is dropped
afterwards, so parallel runs and other areas' tests never see each other's rows. PostgreSQL
comes from ``NSAAS_TEST_POSTGRES_URL`` (default: the local ``test`` database); when it cannot
be reached the PostgreSQL half is skipped with the reason in ``make test`` and fails in ``make ci``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url

from nsaas.adapters.db import database as db_module
from nsaas.adapters.db import repository as repository_module
from nsaas.adapters.db import tables
from tests.support import requirements

POSTGRES_URL = os.environ.get("NSAAS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
_postgres_problem: list[str] = []  # cached after the first attempt: "" = reachable


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'nsaas.db'}"


def _asyncpg_dsn() -> str:
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(), timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _require_postgres() -> None:
    if not _postgres_problem:
        try:
            await _admin("SELECT 1")
            _postgres_problem.append("")
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            _postgres_problem.append(f"{type(exc).__name__}: {exc}")
    problem = _postgres_problem[0]
    requirements.need("postgres", available=not problem, reason=f"{make_url(POSTGRES_URL)!r} unreachable ({problem})")


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, once per test process; tests get copies of it."""
    directory = tmp_path_factory.mktemp("migrated-sqlite")

    async def migrate() -> None:
        db = db_module.Database.create(sqlite_url(directory))
        await db.upgrade()
        await db.dispose()

    asyncio.run(migrate())
    migrated = directory / "nsaas.db"
    # Closing the last connection checkpoints the write-ahead log into the file and removes it.
    assert not migrated.with_name("nsaas.db-wal").exists(), "the migrated template still has a WAL"
    return migrated


#: What makes up a schema's structure: relations (tables, indexes, sequences, views), columns,
#: constraints and the Alembic revision. A test that changed any of it leaves a schema that is dropped.
_STRUCTURE = """
SELECT md5(coalesce(string_agg(part, ',' ORDER BY part), '')) FROM (
    SELECT c.relname || ':' || c.relkind::text AS part FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1
    UNION ALL
    SELECT concat_ws(':', table_name, column_name, data_type, column_default, is_nullable)
        FROM information_schema.columns WHERE table_schema = $1
    UNION ALL
    SELECT k.conname || ':' || pg_get_constraintdef(k.oid) FROM pg_constraint k
        JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = $1
    UNION ALL
    SELECT indexdef FROM pg_indexes WHERE schemaname = $1
) AS parts
"""


async def _structure(conn: asyncpg.Connection, schema: str) -> str:
    version = await conn.fetchval(f"SELECT string_agg(version_num, ',') FROM \"{schema}\".alembic_version")
    return f"{await conn.fetchval(_STRUCTURE, schema)}@{version}"


@dataclass
class Schema:
    """A migrated PostgreSQL schema of this test process; reused by the next test once emptied."""

    name: str
    structure: str = ""

    async def emptied(self) -> bool:
        """Delete every row (but Alembic's) and restart the sequences, if the structure is still
        the migrated one; False (the schema must go) when a test changed it.

        ``DELETE`` rather than ``TRUNCATE``: on tables of a few rows it is several times cheaper
        (no new files to create and sync), in foreign-key order (children first).
        """
        conn = await asyncpg.connect(_asyncpg_dsn(), timeout=3)
        try:
            if await _structure(conn, self.name) != self.structure:
                return False
            sequences = await conn.fetch("SELECT sequencename FROM pg_sequences WHERE schemaname = $1", self.name)
            statements = [
                f'DELETE FROM "{self.name}"."{table.name}"' for table in reversed(tables.metadata.sorted_tables)
            ]
            statements += [f'ALTER SEQUENCE "{self.name}"."{row[0]}" RESTART' for row in sequences]
            await conn.execute("SET lock_timeout = '5s'")  # a connection a test left open: drop instead
            await conn.execute("BEGIN; " + "; ".join(statements) + "; COMMIT")
            return True
        except asyncpg.PostgresError:
            return False
        finally:
            await conn.close()


async def _migrated_schema() -> Schema:
    schema = Schema(f"nsaas_test_{uuid.uuid4().hex[:12]}")
    await _admin(f'CREATE SCHEMA "{schema.name}"')
    db = db_module.Database.create(POSTGRES_URL, schema=schema.name, pool_size=1)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    conn = await asyncpg.connect(_asyncpg_dsn(), timeout=3)
    try:
        schema.structure = await _structure(conn, schema.name)
        found = {
            row[0] for row in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema.name)
        }
        # emptied() deletes the model's tables' rows; test_migrations checks the migrations make exactly those.
        assert found == {*tables.metadata.tables, "alembic_version"}, found
    finally:
        await conn.close()
    return schema


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[list[Schema]]:
    """The migrated schemas no test is using; dropped at the end of the session.

    Migrating a PostgreSQL schema costs about half a second; emptying one (``TRUNCATE``) a few
    milliseconds, and leaves what a fresh migration would: the same tables, no rows, sequences
    at their start. Each test still has a schema to itself.
    """
    free: list[Schema] = []
    yield free
    if free:

        async def drop() -> None:
            for schema in free:
                await _admin(f'DROP SCHEMA "{schema.name}" CASCADE')

        asyncio.run(drop())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path, postgres_schemas: list[Schema]
) -> AsyncIterator[db_module.Database]:
    """A migrated, empty database of each dialect, disposed (and emptied or dropped on PostgreSQL) afterwards."""
    if request.param == "sqlite":
        shutil.copyfile(migrated_sqlite, tmp_path / "nsaas.db")
        db = db_module.Database.create(sqlite_url(tmp_path))
        yield db
        await db.dispose()
        return
    await _require_postgres()
    schema = postgres_schemas.pop() if postgres_schemas else await _migrated_schema()
    db = db_module.Database.create(POSTGRES_URL, schema=schema.name, pool_size=5)
    try:
        yield db
    finally:
        await db.dispose()
        if await schema.emptied():
            postgres_schemas.append(schema)
        else:
            await _admin(f'DROP SCHEMA IF EXISTS "{schema.name}" CASCADE')


@contextlib.asynccontextmanager
async def postgres_database(prefix: str) -> AsyncIterator[str]:
    """The URL of a PostgreSQL database of its own (empty, not migrated), dropped afterwards."""
    await _require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database URL another process can use (not migrated): a SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    async with postgres_database("nsaas_proc") as url:
        yield url


@pytest.fixture
def repository(database: db_module.Database) -> repository_module.Repository:
    return repository_module.Repository(database)
