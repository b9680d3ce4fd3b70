"""Storage of the UI's sessions: opaque encrypted blobs by hashed id, with an expiry.

The UI owns what a session holds and how it is encrypted (ui/sessions.py); this module only keeps
rows. An expired row is never returned, and :meth:`SessionRows.purge` deletes them in bulk.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from nsaas import config
from nsaas.adapters.db import database, tables

T = tables.ui_sessions


class SessionRows:
    """The UI's ``sessions.SessionRows`` in the platform database (given to the UI by ``nsaas ui``/``nsaas dev``)."""

    def __init__(self, db: database.Database) -> None:
        self.db = db

    @classmethod
    def from_settings(cls, settings: config.Settings) -> SessionRows:
        """The rows in the platform database the settings name (connected lazily)."""
        return cls(database.Database.from_settings(settings))

    async def prepare(self, *, migrate: bool) -> None:
        """Create the schema where the process owns it (SQLite, dev); production's API migrates PostgreSQL."""
        if migrate or self.db.dialect == "sqlite":
            await self.db.upgrade()

    async def aclose(self) -> None:
        await self.db.dispose()

    async def get(self, key: str, *, now: datetime) -> str | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(T.c.data).where(T.c.id == key, T.c.expires_at > now))).first()
        return None if row is None else str(row.data)

    async def put(self, key: str, data: str, *, expires_at: datetime, now: datetime) -> None:
        """Insert or replace (update first: the common case is an existing session)."""
        async with self.db.write() as conn:
            values = {"data": data, "expires_at": expires_at, "updated_at": now}
            changed = await conn.execute(update(T).where(T.c.id == key).values(**values))
            if changed.rowcount == 0:
                await conn.execute(T.insert().values(id=key, **values))

    async def delete(self, key: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(delete(T).where(T.c.id == key))

    async def purge(self, *, now: datetime) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(delete(T).where(T.c.expires_at <= now))
        return int(result.rowcount or 0)
