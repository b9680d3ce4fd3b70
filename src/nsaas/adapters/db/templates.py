"""Stored bundle template versions (:class:`nsaas.services.ports.TemplateStore`).

Version 1 of every template is built in and never stored; stored versions start at 2. A version's
document never changes after it is created: creating the same version again with the same
document is a no-op (what makes a GitOps import idempotent), with another document a Conflict.
Each write is one transaction with its audit record.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from nsaas.adapters.db import journal, tables
from nsaas.adapters.db.database import Database
from nsaas.domain import errors, records, templates

B = tables.bundle_templates


class TemplateStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def version(self, name: str, version: int) -> templates.TemplateVersion | None:
        async with self.database.read() as conn:
            return await _load(conn, name, version)

    async def versions(self, name: str) -> list[templates.TemplateVersion]:
        query = select(B).where(B.c.name == name).order_by(B.c.version)
        async with self.database.read() as conn:
            return [_version(row) for row in (await conn.execute(query)).mappings()]

    async def current(self, name: str) -> int:
        """The newest published version (the built-in one when none is)."""
        query = select(func.max(B.c.version)).where(B.c.name == name, B.c.state == "published")
        async with self.database.read() as conn:
            found = (await conn.execute(query)).scalar_one_or_none()
        return int(found) if found is not None else templates.BUILTIN_VERSION

    async def create_version(
        self,
        name: str,
        parameters: templates.BundleParameters,
        *,
        version: int | None,
        description: str,
        actor: str,
        audit: records.NewAudit,
    ) -> tuple[templates.TemplateVersion, bool]:
        """The new version (the next one when ``version`` is None) and True; the existing one and False
        when ``version`` exists with the same document; Conflict when it exists with another or is
        not the next one."""
        now = datetime.now(UTC)
        spec = parameters.snapshot()
        async with self.database.write() as conn:
            latest = (await conn.execute(select(func.max(B.c.version)).where(B.c.name == name))).scalar_one_or_none()
            following = (int(latest) if latest is not None else templates.BUILTIN_VERSION) + 1
            if version is not None and version != following:
                existing = await _load(conn, name, version) if version > templates.BUILTIN_VERSION else None
                if existing is not None and existing.parameters.snapshot() == spec:
                    return existing, False
                why = "exists with another document" if version < following else "skips a version"
                raise errors.Conflict(
                    f"{name} version {version} {why}; the next version is {following}",
                    details={"version": f"the next version of {name} is {following}"},
                )
            values = {
                "name": name,
                "version": following,
                "spec": spec,
                "state": "draft",
                "description": description,
                "created_at": now,
                "created_by": actor,
                "published_at": None,
                "published_by": None,
            }
            row = (await conn.execute(insert(B).values(values).returning(*B.c))).mappings().one()
            await journal.insert_audit(conn, entry=_targeted(audit, name, following), now=now)
        return _version(row), True

    async def publish(
        self, name: str, version: int, *, actor: str, audit: records.NewAudit
    ) -> templates.TemplateVersion:
        """Make ``version`` published (new namespaces get the newest published one); NotFound."""
        now = datetime.now(UTC)
        async with self.database.write() as conn:
            current = await _load(conn, name, version)
            if current is None:
                raise errors.NotFound(f"no version {version} of {name}", details={"version": "not found"})
            if current.state == "published":
                return current
            query = (
                update(B)
                .where(B.c.name == name, B.c.version == version)
                .values(state="published", published_at=now, published_by=actor)
                .returning(*B.c)
            )
            row = (await conn.execute(query)).mappings().one()
            await journal.insert_audit(conn, entry=_targeted(audit, name, version), now=now)
        return _version(row)


def _targeted(audit: records.NewAudit, name: str, version: int) -> records.NewAudit:
    """The audit record names the version (``standard@2``): a new one's number is known only here."""
    return dataclasses.replace(audit, target=f"{name}@{version}")


async def _load(conn: AsyncConnection, name: str, version: int) -> templates.TemplateVersion | None:
    query = select(B).where(B.c.name == name, B.c.version == version)
    row = (await conn.execute(query)).mappings().one_or_none()
    return None if row is None else _version(row)


def _version(row: Any) -> templates.TemplateVersion:
    return templates.TemplateVersion(
        name=row["name"],
        version=row["version"],
        parameters=templates.BundleParameters.from_snapshot(row["spec"]),
        state=row["state"],
        description=row["description"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        published_at=row["published_at"],
        published_by=row["published_by"],
    )
