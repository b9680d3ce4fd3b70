"""The team registry in the database (:class:`nsaas.services.ports.TeamStore`).

Each write is one transaction with its audit record, and takes the team's lock
(:func:`lock_team`), the same lock a namespace create takes before it counts the team's usage:
a limit lowered while a request is being created is seen by one or the other, never by neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exc, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from nsaas.adapters.db import database, journal, tables
from nsaas.adapters.db.database import Database
from nsaas.domain import errors, records, teams

T = tables.teams
G = tables.team_groups
#: First key of the PostgreSQL advisory locks on teams (the second is the hash of the team's name).
TEAM_LOCK_SPACE = 0x6E_7374  # "nst"


async def lock_team(conn: AsyncConnection, team: str) -> None:
    """Hold ``team``'s lock until the transaction ends (PostgreSQL; SQLite's writer lock already serializes).

    An advisory lock rather than a row lock: a team without a registry row has limits too.
    """
    await database.xact_lock(conn, TEAM_LOCK_SPACE, team)


async def load_team(conn: AsyncConnection, name: str) -> teams.TeamRecord | None:
    row = (await conn.execute(select(T).where(T.c.name == name))).mappings().one_or_none()
    return None if row is None else _record(row)


class TeamStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def team(self, name: str) -> teams.TeamRecord | None:
        async with self.database.read() as conn:
            return await load_team(conn, name)

    async def list_teams(self, *, names: Sequence[str] | None = None) -> list[teams.TeamRecord]:
        """Registered teams by name; ``names`` limits them (None = all)."""
        query = select(T).order_by(T.c.name)
        if names is not None:
            query = query.where(T.c.name.in_(list(names)))
        async with self.database.read() as conn:
            return [_record(row) for row in (await conn.execute(query)).mappings()]

    async def memberships(self, groups: Sequence[str]) -> list[tuple[str, teams.GroupKind]]:
        """(team, kind) of every registry entry naming one of ``groups``."""
        if not groups:
            return []
        query = select(G.c.team, G.c.kind).where(G.c.group_id.in_(list(groups))).distinct()
        async with self.database.read() as conn:
            return [(row.team, row.kind) for row in await conn.execute(query)]

    async def create_team(
        self, name: str, settings: teams.TeamSettings, *, actor: str, audit: records.NewAudit
    ) -> teams.TeamRecord:
        """Register ``name``; Conflict (details ``name``) when it is registered already."""
        now = datetime.now(UTC)
        values = {
            "name": name,
            "settings": settings.snapshot(),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by": actor,
            "updated_by": actor,
        }
        try:
            async with self.database.write() as conn:
                await lock_team(conn, name)
                row = (await conn.execute(insert(T).values(values).returning(*T.c))).mappings().one()
                await _put_groups(conn, name, settings)
                await journal.insert_audit(conn, entry=audit, now=now)
        except exc.IntegrityError as error:
            raise errors.Conflict(
                f"team {name} is registered already", details={"name": "already registered"}
            ) from error
        return _record(row)

    async def update_team(
        self,
        name: str,
        settings: teams.TeamSettings,
        *,
        actor: str,
        audit: records.NewAudit,
        expected_version: int | None = None,
    ) -> teams.TeamRecord:
        """Replace ``name``'s settings: NotFound, or PreconditionFailed when ``expected_version`` is stale."""
        now = datetime.now(UTC)
        async with self.database.write() as conn:
            await lock_team(conn, name)
            current = await load_team(conn, name)
            if current is None:
                raise errors.NotFound(f"no team {name}", details={"name": "not registered"})
            if expected_version is not None and current.version != expected_version:
                raise errors.PreconditionFailed(
                    f"team {name} changed since it was read (version {current.version})",
                    details={"If-Match": f"the current version is {current.version}"},
                )
            query = (
                update(T)
                .where(T.c.name == name)
                .values(settings=settings.snapshot(), version=T.c.version + 1, updated_at=now, updated_by=actor)
                .returning(*T.c)
            )
            row = (await conn.execute(query)).mappings().one()
            await conn.execute(delete(G).where(G.c.team == name))
            await _put_groups(conn, name, settings)
            await journal.insert_audit(conn, entry=audit, now=now)
        return _record(row)


async def _put_groups(conn: AsyncConnection, team: str, settings: teams.TeamSettings) -> None:
    pairs = list(dict.fromkeys(settings.groups()))
    if pairs:
        await conn.execute(insert(G), [{"group_id": g, "team": team, "kind": kind} for g, kind in pairs])


def _record(row: Any) -> teams.TeamRecord:
    return teams.TeamRecord(
        name=row["name"],
        settings=teams.TeamSettings.from_snapshot(row["settings"]),
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        created_by=row["created_by"],
        updated_by=row["updated_by"],
    )
