"""The UI session store: encrypted at rest under a hashed id, expiring, revocable, tamper-evident."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import select

from nsaas.adapters.db import database as db_module
from nsaas.adapters.db import tables, ui_sessions
from nsaas.ui import sessions

SECRET = "s" * 48


def _store(database: db_module.Database, *, secret: str = SECRET, max_age: int = 3600) -> sessions.SessionStore:
    return sessions.SessionStore(rows=ui_sessions.SessionRows(database), secret=secret, max_age_seconds=max_age)


def _signed_in() -> sessions.Session:
    session = sessions.Session(id="the-session-id", csrf="csrf", created=time.time())
    session.access_token, session.refresh_token = "access-token-value", "refresh-token-value"
    session.pending = sessions.PendingLogin(state="st", nonce="no", verifier="pkce-verifier", next_url="/", started=1.0)
    session.identity = sessions.Identity(
        subject="u1", name="U", email=None, roles=frozenset({"team:a:developer"}), teams=("a",),
        can_see_all=False, can_read_audit=False, is_platform_admin=False,
    )  # fmt: skip
    return session


async def test_a_session_round_trips_and_nothing_readable_is_stored(database: db_module.Database) -> None:
    store = _store(database)
    await store.put(_signed_in())
    found = await store.get("the-session-id")
    expected = _signed_in()
    assert found is not None
    assert (found.identity, found.pending, found.access_token) == (
        expected.identity,
        expected.pending,
        expected.access_token,
    )
    async with database.read() as conn:
        rows = (await conn.execute(select(tables.ui_sessions))).mappings().all()
    assert len(rows) == 1
    assert rows[0]["id"] != "the-session-id"
    for secret in ("access-token-value", "refresh-token-value", "pkce-verifier", "the-session-id"):
        assert secret not in rows[0]["data"]


async def test_an_expired_session_is_not_returned_and_is_purged(database: db_module.Database) -> None:
    store = _store(database, max_age=60)
    old = _signed_in()
    old.created = time.time() - 120
    await store.put(old)
    assert await store.get(old.id) is None
    await ui_sessions.SessionRows(database).purge(now=datetime.now(UTC))
    async with database.read() as conn:
        assert (await conn.execute(select(tables.ui_sessions))).first() is None


async def test_a_deleted_session_is_gone(database: db_module.Database) -> None:
    store = _store(database)
    await store.put(_signed_in())
    await store.delete("the-session-id")
    assert await store.get("the-session-id") is None


async def test_a_session_written_under_another_secret_is_refused(database: db_module.Database) -> None:
    await _store(database, secret="x" * 48).put(_signed_in())
    assert await _store(database).get("the-session-id") is None
