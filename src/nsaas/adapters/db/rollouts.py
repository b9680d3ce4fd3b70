"""Rollouts in the database (:class:`nsaas.services.ports.RolloutStore`).

A rollout and its whole plan (one row per namespace) are written in one transaction, so a rollout
either exists with every target or not at all. The worker takes a rollout with a lease (a
compare-and-set on ``lease_expires_at``): a worker that dies mid-wave leaves its lease to lapse and
the next worker carries on with the targets still ``pending``, which is what makes a rollout
survive a SIGKILL. Each target's outcome is its own small write.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from nsaas.adapters.db import journal, tables
from nsaas.adapters.db.database import Database
from nsaas.domain import errors, lifecycle, records, rollouts

O = tables.rollouts  # noqa: E741
T = tables.rollout_targets
R = tables.namespace_requests


class RolloutStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create(
        self,
        rollout: rollouts.Rollout,
        *,
        plan: Callable[[list[rollouts.Candidate]], list[rollouts.Assignment]],
        audit: records.NewAudit,
    ) -> tuple[rollouts.Rollout, list[rollouts.Target]]:
        """Store ``rollout`` with the targets ``plan(candidates)`` assigns, read in the same transaction.

        Conflict when another rollout of the template is still running or rolling back."""
        async with self.database.write() as conn:
            busy = select(O.c.id).where(O.c.template == rollout.template, O.c.state.in_(rollouts.ACTIVE))
            other = (await conn.execute(busy)).scalar_one_or_none()
            if other is not None:
                raise errors.Conflict(
                    f"rollout {other} of {rollout.template} is still under way",
                    details={"template": f"rollout {other} is under way; wait for it or roll it back"},
                )
            assignments = plan(await _candidates(conn, rollout))
            await conn.execute(insert(O).values(_values(rollout)))
            targets = [
                rollouts.Target(rollout.id, a.request_id, a.name, a.wave, a.from_version, a.state, a.note)
                for a in assignments
            ]
            if targets:
                await conn.execute(insert(T), [dataclasses.asdict(t) for t in targets])
            await journal.insert_audit(conn, entry=audit, now=rollout.created_at)
        return rollout, targets

    async def get(self, rollout_id: str) -> rollouts.Rollout | None:
        async with self.database.read() as conn:
            row = (await conn.execute(select(O).where(O.c.id == rollout_id))).mappings().one_or_none()
        return None if row is None else _rollout(row)

    async def list_rollouts(self, *, limit: int = 50) -> list[rollouts.Rollout]:
        async with self.database.read() as conn:
            query = select(O).order_by(O.c.created_at.desc(), O.c.id).limit(limit)
            return [_rollout(row) for row in (await conn.execute(query)).mappings()]

    async def targets(
        self,
        rollout_id: str,
        *,
        wave: int | None = None,
        states: Sequence[rollouts.TargetState] | None = None,
        limit: int | None = None,
    ) -> list[rollouts.Target]:
        query = select(T).where(T.c.rollout_id == rollout_id).order_by(T.c.wave, T.c.namespace)
        if wave is not None:
            query = query.where(T.c.wave == wave)
        if states is not None:
            query = query.where(T.c.state.in_(list(states)))
        if limit is not None:
            query = query.limit(limit)
        async with self.database.read() as conn:
            return [_target(row) for row in (await conn.execute(query)).mappings()]

    async def counts(self, rollout_id: str) -> dict[tuple[int | None, str], int]:
        """Targets per (wave, state)."""
        query = (
            select(T.c.wave, T.c.state, func.count()).where(T.c.rollout_id == rollout_id).group_by(T.c.wave, T.c.state)
        )
        async with self.database.read() as conn:
            return {(row[0], row[1]): int(row[2]) for row in await conn.execute(query)}

    async def count_in(self, states: Sequence[rollouts.State]) -> int:
        async with self.database.read() as conn:
            query = select(func.count()).select_from(O).where(O.c.state.in_(list(states)))
            return int((await conn.execute(query)).scalar_one())

    async def claim(self, *, worker: str, now: datetime, lease_seconds: float) -> rollouts.Rollout | None:
        """One due rollout (running or rolling back) leased to ``worker``; None when there is none.

        Looked for in a read transaction first: every worker polls this, and on SQLite a write
        transaction takes the database's one write lock even when there is nothing to claim.
        """
        free = or_(O.c.lease_expires_at.is_(None), O.c.lease_expires_at < now, O.c.lease_owner == worker)
        due = and_(O.c.state.in_(rollouts.ACTIVE), or_(O.c.next_at.is_(None), O.c.next_at <= now), free)
        async with self.database.read() as conn:
            found = (await conn.execute(select(O.c.id).where(due).order_by(O.c.created_at).limit(1))).scalar()
        if found is None:
            return None
        async with self.database.write() as conn:
            query = (
                update(O)
                .where(O.c.id == found, due)
                .values(lease_owner=worker, lease_expires_at=now + timedelta(seconds=lease_seconds))
                .returning(*O.c)
            )
            row = (await conn.execute(query)).mappings().one_or_none()
        return None if row is None else _rollout(row)

    async def save(
        self,
        rollout: rollouts.Rollout,
        *,
        worker: str | None,
        was: rollouts.State | None = None,
        audit: records.NewAudit | None = None,
    ) -> rollouts.Rollout:
        """Write ``rollout``'s state; with ``worker`` only while that worker holds the lease (which is given
        back), with ``was`` only while the stored state is still that one. Conflict otherwise: a
        rollback requested while a worker was moving a wave wins over that worker's outcome."""
        values = {k: v for k, v in _values(rollout).items() if k not in ("id", "created_at", "created_by")}
        query = update(O).where(O.c.id == rollout.id)
        if was is not None:
            query = query.where(O.c.state == was)
        if worker is not None:
            query = query.where(O.c.lease_owner == worker)
            values.update(lease_owner=None, lease_expires_at=None)
        async with self.database.write() as conn:
            row = (await conn.execute(query.values(values).returning(*O.c))).mappings().one_or_none()
            if row is None:
                raise errors.Conflict(f"rollout {rollout.id} changed meanwhile", details={"id": "changed meanwhile"})
            if audit is not None:
                await journal.insert_audit(conn, entry=audit, now=rollout.updated_at)
        return _rollout(row)

    async def set_target(self, target: rollouts.Target) -> None:
        async with self.database.write() as conn:
            await conn.execute(
                update(T)
                .where(T.c.rollout_id == target.rollout_id, T.c.request_id == target.request_id)
                .values(state=target.state, error=target.error[:2000])
            )


async def _candidates(conn: AsyncConnection, rollout: rollouts.Rollout) -> list[rollouts.Candidate]:
    """Live namespaces of the template on another version (not being deleted: nothing to move there)."""
    moving = sorted(lifecycle.LIVE - {lifecycle.Status.DECOMMISSIONING})
    query = select(R.c.id, R.c.name, R.c.environment, R.c.template_version, R.c.template_pinned).where(
        R.c.template_name == rollout.template,
        R.c.template_version != rollout.version,
        R.c.status.in_([s.value for s in moving]),
    )
    return [
        rollouts.Candidate(row.id, row.name, row.environment, row.template_version, bool(row.template_pinned))
        for row in await conn.execute(query)
    ]


def _values(rollout: rollouts.Rollout) -> dict[str, Any]:
    return {
        "id": rollout.id,
        "template": rollout.template,
        "version": rollout.version,
        "waves": [{"environments": list(w.environments), "percent": w.percent} for w in rollout.waves],
        "state": rollout.state,
        "current_wave": rollout.current_wave,
        "pause_seconds": rollout.pause_seconds,
        "max_failure_rate": rollout.max_failure_rate,
        "next_at": rollout.next_at,
        "reason": rollout.reason,
        "created_at": rollout.created_at,
        "created_by": rollout.created_by,
        "updated_at": rollout.updated_at,
    }


def _rollout(row: Any) -> rollouts.Rollout:
    return rollouts.Rollout(
        id=row["id"],
        template=row["template"],
        version=row["version"],
        waves=tuple(rollouts.Wave(tuple(w["environments"]), int(w["percent"])) for w in row["waves"]),
        state=row["state"],
        current_wave=row["current_wave"],
        pause_seconds=row["pause_seconds"],
        max_failure_rate=row["max_failure_rate"],
        next_at=row["next_at"],
        reason=row["reason"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        updated_at=row["updated_at"],
    )


def _target(row: Any) -> rollouts.Target:
    return rollouts.Target(
        rollout_id=row["rollout_id"],
        request_id=row["request_id"],
        namespace=row["namespace"],
        wave=row["wave"],
        from_version=row["from_version"],
        state=row["state"],
        error=row["error"],
    )
