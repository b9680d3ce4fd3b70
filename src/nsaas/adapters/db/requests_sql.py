"""SQL for reading and leasing namespace requests, each run on a caller's connection."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from nsaas.adapters.db import database, rows, tables
from nsaas.domain import errors, lifecycle, records, tiers

R = tables.namespace_requests
ACTIVE = sorted(s.value for s in lifecycle.ACTIVE)
LIVE = sorted(s.value for s in lifecycle.LIVE)
TERMINAL = sorted(s.value for s in lifecycle.TERMINAL)


async def load(conn: AsyncConnection, request_id: str, *, lock: bool = False) -> records.RequestRecord:
    """The request, row-locked until commit when ``lock`` (PostgreSQL; SQLite has one writer anyway)."""
    query = select(R).where(R.c.id == request_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().one_or_none()
    if row is None:
        raise errors.NotFound(f"namespace request {request_id} does not exist", details={"id": request_id})
    return rows.request(row)


async def first(conn: AsyncConnection, query: Select[Any]) -> records.RequestRecord | None:
    row = (await conn.execute(query.limit(1))).mappings().one_or_none()
    return None if row is None else rows.request(row)


def live_by_name(name: str) -> Select[Any]:
    return select(R).where(R.c.name == name, R.c.status.in_(LIVE))


def latest_by_name(name: str) -> Select[Any]:
    return select(R).where(R.c.name == name).order_by(R.c.created_at.desc(), R.c.id.desc())


def filters(
    *,
    teams: Sequence[str] | None,
    team: str | None,
    environment: str | None,
    status: lifecycle.Status | Sequence[lifecycle.Status] | None,
    tier: str | None,
    name_contains: str | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if teams is not None:
        conditions.append(R.c.team.in_(list(teams)))
    for column, value in ((R.c.team, team), (R.c.environment, environment), (R.c.tier, tier)):
        if value is not None:
            conditions.append(column == value)
    if isinstance(status, str):
        conditions.append(R.c.status == status)
    elif status is not None:
        conditions.append(R.c.status.in_([s.value for s in status]))
    if name_contains:
        conditions.append(R.c.name.contains(name_contains, autoescape=True))
    return conditions


#: Sort keys of a page (the API's ``sort`` names); tier and cost sort by size, not by name.
_RANKS: dict[str, int] = {name: rank for rank, name in enumerate(tiers.TIER_NAMES)}
_TIER_RANK = case(_RANKS, value=R.c.tier, else_=len(_RANKS))
SORT_KEYS: dict[str, Any] = {
    "name": R.c.name,
    "team": R.c.team,
    "environment": R.c.environment,
    "tier": _TIER_RANK,
    "cost": _TIER_RANK,
    "status": R.c.status,
    "requestedBy": R.c.requested_by,
    "createdAt": R.c.created_at,
    "updatedAt": R.c.updated_at,
    "expiresAt": R.c.expires_at,
}


_TIMES = frozenset({"createdAt", "updatedAt", "expiresAt"})


def _sort_value(record: records.RequestRecord, key: str) -> Any:
    """``record``'s value of sort ``key`` as the database orders it (the cursor carries the last row's)."""
    column = SORT_KEYS[key]
    return _RANKS.get(record.tier, len(_RANKS)) if column is _TIER_RANK else getattr(record, column.key)


def _sort_key(sort: str | None) -> str | None:
    return sort.lstrip("-") if sort and sort.lstrip("-") in SORT_KEYS else None


def _order(sort: str | None) -> list[Any]:
    """``name`` ascending, ``-name`` descending; nothing means newest first. Empty values sort last."""
    key = _sort_key(sort)
    if key is None:
        return [R.c.created_at.desc(), R.c.id.desc()]
    column = SORT_KEYS[key]
    ordered = column.desc() if sort and sort.startswith("-") else column.asc()
    return [ordered.nulls_last(), R.c.created_at.desc(), R.c.id.desc()]


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def cursor_after(record: records.RequestRecord, sort: str | None) -> str:
    """An opaque cursor for the page that follows ``record`` in ``sort`` order."""
    key = _sort_key(sort)
    value = _encode(_sort_value(record, key)) if key else None
    raw = json.dumps([sort if key else None, value, record.created_at.isoformat(), record.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str | None) -> tuple[Any, datetime, str]:
    invalid = errors.ValidationFailed("invalid cursor", details={"cursor": "not a cursor of this list and sort"})
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        cursor_sort, value, created, request_id = raw
        key = _sort_key(sort)
        if cursor_sort != (sort if key else None) or not isinstance(request_id, str):
            raise invalid
        if key in _TIMES and value is not None:
            value = datetime.fromisoformat(value)
        return value, datetime.fromisoformat(created), request_id
    except (ValueError, TypeError) as exc:
        raise invalid from exc


def _after(cursor: str, sort: str | None) -> ColumnElement[bool]:
    """Rows strictly after the cursor's row in :func:`_order`'s order (keyset paging, no OFFSET)."""
    value, created, request_id = _decode(cursor, sort)
    tail = or_(R.c.created_at < created, and_(R.c.created_at == created, R.c.id < request_id))
    key = _sort_key(sort)
    if key is None:
        return tail
    column = SORT_KEYS[key]
    if value is None:
        return and_(column.is_(None), tail)
    beyond = column < value if sort and sort.startswith("-") else column > value
    return or_(beyond, column.is_(None), and_(column == value, tail))


def page_query(
    conditions: list[ColumnElement[bool]], *, offset: int, limit: int, sort: str | None, cursor: str | None
) -> Select[Any]:
    """The rows of one page plus one (which tells whether another page follows)."""
    query = select(R).where(*conditions).order_by(*_order(sort)).limit(limit + 1)
    return query.where(_after(cursor, sort)) if cursor else query.offset(offset)


async def page(
    conn: AsyncConnection,
    conditions: list[ColumnElement[bool]],
    *,
    offset: int,
    limit: int,
    sort: str | None = None,
    cursor: str | None = None,
) -> records.RequestPage:
    """One page; counted only without a cursor (a cursor's pages skip the pass over every matching row)."""
    query = page_query(conditions, offset=offset, limit=limit, sort=sort, cursor=cursor)
    found = [rows.request(row) for row in (await conn.execute(query)).mappings()]
    items, more = found[:limit], len(found) > limit
    total = None
    if not cursor:
        total = int((await conn.execute(select(func.count()).select_from(R).where(*conditions))).scalar_one())
    return records.RequestPage(
        items=items, total=total, next_cursor=cursor_after(items[-1], sort) if more and items else None
    )


def _due(now: datetime) -> ColumnElement[bool]:
    lease_free = or_(R.c.lease_owner.is_(None), R.c.lease_expires_at <= now)
    return and_(R.c.status.in_(ACTIVE), R.c.next_attempt_at <= now, lease_free)


async def claim(
    conn: AsyncConnection, *, worker: str, now: datetime, limit: int, lease_seconds: float
) -> list[records.RequestRecord]:
    """Lease up to ``limit`` due requests, most overdue first (:func:`database.lease`)."""
    claimed = await database.lease(
        conn,
        R,
        due=_due(now),
        order_by=[R.c.next_attempt_at, R.c.id],
        worker=worker,
        now=now,
        limit=limit,
        lease_seconds=lease_seconds,
    )
    found = [rows.request(row) for row in claimed]
    return sorted(found, key=lambda r: (r.next_attempt_at or now, r.id))


async def due_count(conn: AsyncConnection, *, now: datetime) -> int:
    return int((await conn.execute(select(func.count()).select_from(R).where(_due(now)))).scalar_one())


async def expiring(conn: AsyncConnection, *, before: datetime, limit: int) -> list[records.RequestRecord]:
    # A TTL runs from approval: pending requests have no namespace to expire yet.
    waiting = {lifecycle.Status.DECOMMISSIONING, lifecycle.Status.PENDING_APPROVAL}
    statuses = sorted(s.value for s in lifecycle.LIVE - waiting)
    query = (
        select(R)
        .where(R.c.expires_at.is_not(None), R.c.expires_at <= before, R.c.status.in_(statuses))
        .order_by(R.c.expires_at, R.c.id)
        .limit(limit)
    )
    return [rows.request(row) for row in (await conn.execute(query)).mappings()]


async def ended(conn: AsyncConnection, request_ids: Sequence[str]) -> list[records.RequestRecord]:
    """The requests among ``request_ids`` that are over (a terminal status), in one query."""
    query = select(R).where(R.c.id.in_(request_ids), R.c.status.in_(TERMINAL))
    return [rows.request(row) for row in (await conn.execute(query)).mappings()]


async def team_tiers(conn: AsyncConnection, *, team: str, exclude_id: str | None) -> list[str]:
    query = select(R.c.tier).where(R.c.team == team, R.c.status.in_(LIVE)).order_by(R.c.created_at, R.c.id)
    if exclude_id is not None:
        query = query.where(R.c.id != exclude_id)
    return [str(tier) for tier in (await conn.execute(query)).scalars()]


async def count_created_by(conn: AsyncConnection, *, subject: str, since: datetime) -> int:
    query = select(func.count()).select_from(R).where(R.c.requested_by == subject, R.c.created_at >= since)
    return int((await conn.execute(query)).scalar_one())
