"""Aggregates for the analytics API, computed by the database from stored requests.

Only the day bucket differs per dialect (SQLite stores UTC text, PostgreSQL ``timestamptz``);
everything else is plain ``GROUP BY`` / ``COUNT`` that both engines run the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from nsaas.adapters.db import tables
from nsaas.domain import lifecycle, records

R = tables.namespace_requests


def _scope(teams: Sequence[str] | None) -> list[ColumnElement[bool]]:
    return [] if teams is None else [R.c.team.in_(list(teams))]


async def counts(conn: AsyncConnection, *, teams: Sequence[str] | None) -> records.RequestCounts:
    return records.RequestCounts.tally(await allocation(conn, teams=teams, statuses=None))


def _day(conn: AsyncConnection) -> ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return cast(func.timezone("UTC", R.c.created_at), Date)
    return func.date(R.c.created_at)


async def created_per_day(
    conn: AsyncConnection, *, days: int, now: datetime, teams: Sequence[str] | None
) -> list[records.DailyCount]:
    """One entry per UTC day, oldest first, ending today; days without requests count 0."""
    today = now.date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    day = _day(conn).label("day")
    query = select(day, func.count()).where(R.c.created_at >= start, *_scope(teams)).group_by(day)
    found = {_as_date(d): int(n) for d, n in (await conn.execute(query)).all()}
    return [
        records.DailyCount(day=first + timedelta(days=i), count=found.get(first + timedelta(days=i), 0))
        for i in range(days)
    ]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def provisioning_durations(
    conn: AsyncConnection, *, limit: int | None, since: datetime | None, teams: Sequence[str] | None
) -> list[float]:
    """Seconds from approval (or creation, when no approval was needed) to first ready, oldest first."""
    query = select(R.c.approved_at, R.c.created_at, R.c.ready_at).where(R.c.ready_at.is_not(None), *_scope(teams))
    if since is not None:
        query = query.where(R.c.ready_at >= since)
    result = await conn.execute(query.order_by(R.c.ready_at.desc(), R.c.id.desc()).limit(limit))
    newest_first = [(ready - (approved or created)).total_seconds() for approved, created, ready in result.all()]
    return newest_first[::-1]


async def outcomes(
    conn: AsyncConnection, *, since: datetime | None, teams: Sequence[str] | None
) -> records.ProvisioningOutcomes:
    conditions = _scope(teams)
    if since is not None:
        conditions.append(R.c.created_at >= since)
    ready = R.c.ready_at.is_not(None)
    failed = and_(R.c.ready_at.is_(None), R.c.status == lifecycle.Status.FAILED.value)
    query = select(
        func.coalesce(func.sum(case((ready, 1), else_=0)), 0), func.coalesce(func.sum(case((failed, 1), else_=0)), 0)
    ).where(*conditions)
    succeeded, failed_count = (await conn.execute(query)).one()
    return records.ProvisioningOutcomes(succeeded=int(succeeded), failed=int(failed_count))


async def allocation(
    conn: AsyncConnection, *, teams: Sequence[str] | None, statuses: Sequence[str] | None
) -> list[records.Allocation]:
    """Requests grouped by (status, team, environment, tier); only ``statuses`` when given."""
    columns = (R.c.status, R.c.team, R.c.environment, R.c.tier)
    query = select(*columns, func.count()).where(*_scope(teams)).group_by(*columns)
    if statuses is not None:
        query = query.where(R.c.status.in_(list(statuses)))
    return [
        records.Allocation(status=str(s), team=str(t), environment=str(e), tier=str(tier), count=int(n))
        for s, t, e, tier, n in (await conn.execute(query)).all()
    ]
