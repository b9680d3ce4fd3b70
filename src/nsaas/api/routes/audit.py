"""Audit log routes: platform and security admins only. A page as JSON, or everything as CSV/NDJSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from nsaas.api import schemas
from nsaas.api.deps import PrincipalDep, RuntimeDep
from nsaas.domain import records

router = APIRouter(prefix="/api/platform", tags=["audit"], responses=schemas.ERRORS)
FORMULA_STARTS = frozenset("=+-@\t\r")
CSV_COLUMNS = ("id", "at", "actor", "roles", "action", "targetType", "target", "outcome", "detail", "correlationId",
               "sourceIp", "userAgent", "before", "after")  # fmt: skip


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is taken as UTC (the audit log's own zone)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def audit_filter(
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target: Annotated[str | None, Query(max_length=100)] = None,
    outcome: Annotated[str | None, Query(pattern="^(success|denied|failed)$")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    team: Annotated[str | None, Query(max_length=32, description="records about this team's namespaces")] = None,
) -> records.AuditQuery:
    return records.AuditQuery(actor, action, target, outcome, _utc(since), _utc(until), team)


FilterDep = Annotated[records.AuditQuery, Depends(audit_filter)]


@router.get("/audit", response_model=schemas.Envelope[schemas.AuditPage])
async def audit_log(
    rt: RuntimeDep,
    principal: PrincipalDep,
    where: FilterDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    items, total = await rt.audit.page(principal, where, offset=offset, limit=limit)
    return schemas.ok({"items": [schemas.audit(a) for a in items], "total": total, "offset": offset, "limit": limit})


@router.get("/audit/facets", response_model=schemas.Envelope[dict[str, list[str]]])
async def audit_facets(rt: RuntimeDep, principal: PrincipalDep) -> dict[str, Any]:
    """The actions, actors and teams that occur in the log: the choices of its filters."""
    return schemas.ok(await rt.audit.facets(principal))


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}, "description": "Audit records"}},
)
async def audit_export(
    rt: RuntimeDep,
    principal: PrincipalDep,
    where: FilterDep,
    format: Annotated[Literal["ndjson", "csv"], Query()] = "ndjson",
) -> StreamingResponse:
    """Every matching record, newest first (at most 100,000), for a SIEM: one JSON object a line, or CSV."""
    found = rt.audit.export(principal, where)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = {"Content-Disposition": f'attachment; filename="nsaas-audit-{stamp}.{format}"'}
    if format == "csv":
        return StreamingResponse(_csv(found), media_type="text/csv; charset=utf-8", headers=headers)
    return StreamingResponse(_ndjson(found), media_type="application/x-ndjson", headers=headers)


async def _ndjson(found: AsyncIterator[records.AuditRecord]) -> AsyncIterator[str]:
    async for item in found:
        yield json.dumps(schemas.audit(item), default=_iso, separators=(",", ":")) + "\n"


async def _csv(found: AsyncIterator[records.AuditRecord]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    async for item in found:
        row = schemas.audit(item)
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, default=_iso, separators=(",", ":"))
    text = str(value)
    # A spreadsheet opening the export must not run a name or reason as a formula.
    return "'" + text if text[:1] in FORMULA_STARTS else text


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)
