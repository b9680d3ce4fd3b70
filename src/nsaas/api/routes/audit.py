"""Audit log route: platform and security admins only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from nsaas.api import schemas
from nsaas.api.deps import PrincipalDep, RuntimeDep

router = APIRouter(prefix="/api/platform", tags=["audit"], responses=schemas.ERRORS)


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is taken as UTC (the audit log's own zone)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@router.get("/audit", response_model=schemas.Envelope[schemas.AuditPage])
async def audit_log(
    rt: RuntimeDep,
    principal: PrincipalDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target: Annotated[str | None, Query(max_length=100)] = None,
    outcome: Annotated[str | None, Query(pattern="^(success|denied|failed)$")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    since, until = (_utc(t) for t in (since, until))
    items, total = await rt.audit.page(
        principal,
        actor=actor,
        action=action,
        target=target,
        outcome=outcome,
        since=since,
        until=until,
        offset=offset,
        limit=limit,
    )
    return schemas.ok({"items": [schemas.audit(a) for a in items], "total": total, "offset": offset, "limit": limit})
