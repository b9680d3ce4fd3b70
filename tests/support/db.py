"""Database fixtures (SQLite and PostgreSQL), usable by every area's tests.

``database`` is parametrized over both dialects and gives each test a fresh, migrated schema:
a temporary SQLite file, or a PostgreSQL schema of its own (``search_path``) that is dropped
afterwards, so parallel runs and other areas' tests never see each other's rows. PostgreSQL
comes from ``NSAAS_TEST_POSTGRES_URL`` (default: the local ``test`` database); when it cannot
be reached the PostgreSQL half is skipped with the reason in ``make test`` and fails in ``make ci``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url

from nsaas.adapters.db import database as db_module
from nsaas.adapters.db import repository as repository_module
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[db_module.Database]:
    """A migrated, empty database of each dialect, disposed (and dropped on PostgreSQL) afterwards."""
    if request.param == "sqlite":
        db = db_module.Database.create(sqlite_url(tmp_path))
        await db.upgrade()
        yield db
        await db.dispose()
        return
    await _require_postgres()
    schema = f"nsaas_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE SCHEMA "{schema}"')
    db = db_module.Database.create(POSTGRES_URL, schema=schema, pool_size=5)
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()
        await _admin(f'DROP SCHEMA "{schema}" CASCADE')


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
