"""Idempotency keys: a retried POST with the same key and body gets the first response again.

Keys expire by age (the repository's ``idempotency_ttl``): an expired key reads as absent and
may be reused, and :func:`purge` deletes old ones in bulk. A key is first *reserved*
(``status_code`` :data:`IN_PROGRESS`) before its request is processed, so a concurrent duplicate
can be told "in progress" (IETF Idempotency-Key draft); the create's transaction replaces the
reservation with the stored response. A reservation left by a crashed process lapses after
:data:`RESERVATION_SECONDS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from nsaas.adapters.db import rows, tables
from nsaas.domain import records

K = tables.idempotency_keys
#: ``status_code`` of a reserved key whose request is still being processed.
IN_PROGRESS = 0
RESERVATION_SECONDS = 60


def _lapsed(owner: str, key: str, *, now: datetime, fresh_after: datetime) -> Any:
    """This key's entry when expired, or when it is a reservation older than a create can take."""
    stale = now - timedelta(seconds=RESERVATION_SECONDS)
    return and_(
        K.c.owner == owner,
        K.c.key == key,
        or_(K.c.created_at <= fresh_after, and_(K.c.status_code == IN_PROGRESS, K.c.created_at <= stale)),
    )


async def reserve(
    conn: AsyncConnection, *, owner: str, key: str, body_hash: str, now: datetime, fresh_after: datetime
) -> records.IdempotencyRecord | None:
    """Reserve ``key``; returns the live entry instead when there is one (completed or in progress).

    A concurrent reservation on PostgreSQL surfaces as IntegrityError from the insert.
    """
    await conn.execute(delete(K).where(_lapsed(owner, key, now=now, fresh_after=fresh_after)))
    existing = await get(conn, owner=owner, key=key, fresh_after=fresh_after)
    if existing is not None:
        return existing
    values = {
        "owner": owner,
        "key": key,
        "body_hash": body_hash,
        "status_code": IN_PROGRESS,
        "response": {},
        "created_at": now,
    }
    await conn.execute(insert(K).values(values))
    return None


async def unreserve(conn: AsyncConnection, *, owner: str, key: str) -> None:
    """Drop a reservation whose request failed, so the client may retry with the same key."""
    await conn.execute(delete(K).where(K.c.owner == owner, K.c.key == key, K.c.status_code == IN_PROGRESS))


async def get(
    conn: AsyncConnection, *, owner: str, key: str, fresh_after: datetime
) -> records.IdempotencyRecord | None:
    query = select(K).where(K.c.owner == owner, K.c.key == key, K.c.created_at > fresh_after)
    row = (await conn.execute(query)).mappings().one_or_none()
    return None if row is None else rows.idempotency(row)


async def put(
    conn: AsyncConnection,
    *,
    owner: str,
    key: str,
    body_hash: str,
    status_code: int,
    response: Mapping[str, Any],
    now: datetime,
    fresh_after: datetime,
) -> records.IdempotencyRecord:
    """Store a response; an expired entry or a reservation is replaced. A live response raises IntegrityError."""
    live = and_(K.c.owner == owner, K.c.key == key)
    await conn.execute(delete(K).where(live, or_(K.c.created_at <= fresh_after, K.c.status_code == IN_PROGRESS)))
    values = {
        "owner": owner,
        "key": key,
        "body_hash": body_hash,
        "status_code": status_code,
        "response": rows.jsonable(response),
        "created_at": now,
    }
    result = await conn.execute(insert(K).values(values).returning(*K.c))
    return rows.idempotency(result.mappings().one())


async def purge(conn: AsyncConnection, *, older_than: datetime) -> int:
    result = await conn.execute(delete(K).where(K.c.created_at <= older_than))
    return int(result.rowcount)
