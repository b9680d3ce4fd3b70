"""The schema comes from the packaged Alembic migrations, and they match the model exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from typer.testing import CliRunner

from nsaas.adapters.db import database, tables
from nsaas.cli import main


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, tables.metadata))


async def test_the_migrated_schema_matches_the_model(database: database.Database) -> None:
    async with database.read() as conn:
        assert await conn.run_sync(_diff) == []


async def test_upgrading_twice_is_harmless(database: database.Database) -> None:
    await database.upgrade()
    async with database.read() as conn:
        assert await conn.run_sync(_diff) == []


def test_nsaas_db_upgrade_creates_the_schema_in_a_fresh_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "new" / "data"
    monkeypatch.delenv("NSAAS_DATABASE_URL", raising=False)
    monkeypatch.setenv("NSAAS_DATA_DIR", str(data_dir))
    result = CliRunner().invoke(main.app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "head" in result.output
    with sqlite3.connect(data_dir / "nsaas.db") as conn:
        found = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    conn.close()
    assert {"namespace_requests", "status_events", "audit_records", "idempotency_keys"} <= found
    assert {"notification_channels", "notification_outbox", "notification_cursor"} <= found
    head = ScriptDirectory.from_config(database.alembic_config()).get_current_head()
    assert (journal, version) == ("wal", head)


def test_nsaas_db_upgrade_reports_an_unreachable_database_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NSAAS_DATABASE_URL", "postgresql+asyncpg://nobody:secret@127.0.0.1:9/nothing")
    monkeypatch.setenv("NSAAS_DATABASE__STARTUP_WAIT_SECONDS", "0.3")
    result = CliRunner().invoke(main.app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "error:" in result.output
    assert "secret" not in result.output
