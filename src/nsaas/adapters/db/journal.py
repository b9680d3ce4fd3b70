"""Status events (the timeline and SSE stream) and audit records, written inside a caller's transaction.

Event ids must grow in *commit* order, or a client resuming with ``Last-Event-ID`` could skip
an event whose id was taken before, but committed after, the one it last saw. SQLite has a
single writer, so that holds by construction. On PostgreSQL sequence values are handed out at
insert time, so every transaction that adds an event first takes one transaction-scoped
advisory lock: event-writing transactions commit one at a time, in id order. The lock is taken
as late as possible (just before the insert) so the serialized section stays short.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from nsaas.adapters.db import database, rows, tables
from nsaas.domain import records

#: Arbitrary constant naming the advisory lock that orders event commits ("nsaasevt").
EVENT_ORDER_LOCK = 0x6E73616173657674

E = tables.status_events
A = tables.audit_records
R = tables.namespace_requests
#: At most this many choices per audit filter.
FACET_LIMIT = 500


async def insert_event(
    conn: AsyncConnection, *, request: records.RequestRecord, event: records.NewEvent, now: datetime
) -> records.EventRecord:
    await database.xact_lock(conn, EVENT_ORDER_LOCK)
    values = {
        "request_id": request.id,
        "namespace": request.name,
        "team": request.team,
        "at": now,
        "kind": event.kind,
        "status": (event.status or request.status).value,
        "step": event.step,
        "phase": event.phase,
        "message": event.message,
        "data": rows.jsonable(event.data),
    }
    result = await conn.execute(insert(E).values(values).returning(*E.c))
    return rows.event(result.mappings().one())


async def events_after(
    conn: AsyncConnection,
    *,
    after_id: int,
    request_id: str | None,
    teams: Sequence[str] | None,
    limit: int,
) -> list[records.EventRecord]:
    query = select(E).where(E.c.id > after_id).order_by(E.c.id).limit(limit)
    if request_id is not None:
        query = query.where(E.c.request_id == request_id)
    if teams is not None:
        query = query.where(E.c.team.in_(list(teams)))
    result = await conn.execute(query)
    return [rows.event(row) for row in result.mappings()]


async def recent_events(
    conn: AsyncConnection, *, teams: Sequence[str] | None, kinds: Sequence[str], limit: int
) -> list[records.EventRecord]:
    """The newest events of ``kinds`` first (the notification bell), limited to ``teams`` unless None."""
    query = select(E).where(E.c.kind.in_(list(kinds))).order_by(E.c.id.desc()).limit(limit)
    if teams is not None:
        query = query.where(E.c.team.in_(list(teams)))
    result = await conn.execute(query)
    return [rows.event(row) for row in result.mappings()]


async def last_event_id(conn: AsyncConnection) -> int:
    result = await conn.execute(select(func.coalesce(func.max(E.c.id), 0)))
    return int(result.scalar_one())


async def insert_audit(conn: AsyncConnection, *, entry: records.NewAudit, now: datetime) -> records.AuditRecord:
    result = await conn.execute(insert(A).values(rows.audit_values(entry, now=now)).returning(*A.c))
    return rows.audit(result.mappings().one())


def _audit_where(where: records.AuditQuery) -> list[ColumnElement[bool]]:
    conditions = [
        column == value
        for column, value in (
            (A.c.actor, where.actor),
            (A.c.action, where.action),
            (A.c.target, where.target),
            (A.c.outcome, where.outcome),
        )
        if value is not None
    ]
    if where.team is not None:
        # Audit records name their namespace; its team is the request's.
        conditions.append(A.c.target.in_(select(R.c.name).where(R.c.team == where.team)))
    if where.since is not None:
        conditions.append(A.c.at >= where.since)
    if where.until is not None:
        conditions.append(A.c.at < where.until)
    return conditions


async def list_audit(
    conn: AsyncConnection, where: records.AuditQuery, *, offset: int, limit: int
) -> tuple[list[records.AuditRecord], int]:
    conditions = _audit_where(where)
    total = await conn.execute(select(func.count()).select_from(A).where(*conditions))
    page = await conn.execute(select(A).where(*conditions).order_by(A.c.id.desc()).offset(offset).limit(limit))
    return [rows.audit(row) for row in page.mappings()], int(total.scalar_one())


async def audit_before(
    conn: AsyncConnection, where: records.AuditQuery, *, before_id: int | None, limit: int
) -> list[records.AuditRecord]:
    """The next ``limit`` matching records older than ``before_id``, newest first: a keyset page, no count."""
    conditions = _audit_where(where)
    if before_id is not None:
        conditions.append(A.c.id < before_id)
    page = await conn.execute(select(A).where(*conditions).order_by(A.c.id.desc()).limit(limit))
    return [rows.audit(row) for row in page.mappings()]


async def audit_facets(conn: AsyncConnection) -> dict[str, list[str]]:
    """The values the audit log's filters can choose from: actions, actors and teams that occur."""
    facets: dict[str, list[str]] = {}
    for key, column in (("actions", A.c.action), ("actors", A.c.actor), ("teams", R.c.team)):
        found = await conn.execute(select(column).distinct().order_by(column).limit(FACET_LIMIT))
        facets[key] = [str(value) for value in found.scalars()]
    return facets
