"""Idempotency keys: a retried POST with the same key and body gets the first response again.

Keys expire by age (the repository's ``idempotency_ttl``): an expired key reads as absent and
may be reused, and :func:`purge` deletes old ones in bulk.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from nsaas.adapters.db import rows, tables
from nsaas.domain import records

K = tables.idempotency_keys


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
    """Store a response; an expired entry under the same key is replaced. A live one raises IntegrityError."""
    await conn.execute(delete(K).where(K.c.owner == owner, K.c.key == key, K.c.created_at <= fresh_after))
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


async def replace_response(
    conn: AsyncConnection, *, owner: str, key: str, response: Mapping[str, Any], fresh_after: datetime
) -> bool:
    query = (
        update(K)
        .where(K.c.owner == owner, K.c.key == key, K.c.created_at > fresh_after)
        .values(response=rows.jsonable(response))
    )
    return int((await conn.execute(query)).rowcount) == 1


async def purge(conn: AsyncConnection, *, older_than: datetime) -> int:
    result = await conn.execute(delete(K).where(K.c.created_at <= older_than))
    return int(result.rowcount)
