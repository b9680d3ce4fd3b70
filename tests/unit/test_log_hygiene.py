"""Logs never contain SQL parameters, tokens or passwords."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import structlog
from sqlalchemy import text

from nsaas import logs
from nsaas.adapters.db import database as db_module

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl"  # pragma: allowlist secret


async def test_a_database_error_does_not_carry_its_parameters(database: db_module.Database) -> None:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - whatever the dialect raises
        async with database.read() as conn:
            await conn.execute(text("SELECT * FROM no_such_table WHERE owner = :owner"), {"owner": "alice-subject"})
    assert "alice-subject" not in str(caught.value)


def test_secrets_are_masked_in_fields_and_in_text(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(level="INFO", json=True)
    try:
        log = structlog.get_logger("test")
        log.error(
            "call failed",
            authorization=f"Bearer {JWT}",
            jwt_secret="s3cr3t-value",  # pragma: allowlist secret
            detail=f"upstream said: Bearer {JWT}",
            url="postgresql://nsaas:hunter2@db:5432/nsaas",  # pragma: allowlist secret
        )
        try:
            raise RuntimeError(f"token {JWT} refused")
        except RuntimeError:
            log.exception("boom")
    finally:
        structlog.reset_defaults()
    err = capsys.readouterr().err
    for secret in (JWT, "s3cr3t-value", "hunter2"):
        assert secret not in err
    first = json.loads(err.splitlines()[0])
    assert first["url"] == "postgresql://nsaas:[redacted]@db:5432/nsaas"
    assert first["detail"] == "upstream said: Bearer [redacted]"


def test_the_database_handle_hides_parameters(tmp_path: Path) -> None:
    db = db_module.Database.create(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert db.engine.sync_engine.hide_parameters is True
