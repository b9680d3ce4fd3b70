"""Analytics routes: computed from the database, scoped to the teams the caller may see.

Shapes (all inside the ``data`` of the envelope):

- ``usage``: ``{total, byStatus, byTeam, byEnvironment, byTier, createdPerDay: [{day, count}], days}``
- ``resources``: ``{basis, byTeam: {team: {cpu, memoryGi, storageGi, namespaces}}, byEnvironment: {...}}``
- ``costs``: ``{isEstimate: true, currency, basis, totalMonthly, byTeam: {team: n}, byTier: {tier: n}}``
- ``teams``: ``{teams: [{team, requests, reserved, estimatedMonthly}], costBasis}``
- ``dashboard``: ``{total, byStatus, pendingApprovals, provisioning: {succeeded, failed, successRate,
  samples, p50Seconds, p95Seconds, maxSeconds}, costs}``
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from nsaas.api import schemas
from nsaas.api.deps import CallerDep, RuntimeDep

router = APIRouter(prefix="/api/platform/analytics", tags=["analytics"], responses=schemas.ERRORS)


@router.get("/usage", response_model=schemas.Envelope[dict[str, Any]])
async def usage(rt: RuntimeDep, who: CallerDep, days: Annotated[int, Query(ge=1, le=365)] = 30) -> dict[str, Any]:
    return schemas.ok(schemas.usage(await rt.analytics.usage(teams=rt.requests.visible_teams(who), days=days)))


@router.get("/teams", response_model=schemas.Envelope[dict[str, Any]])
async def teams(rt: RuntimeDep, who: CallerDep) -> dict[str, Any]:
    return schemas.ok(schemas.teams(await rt.analytics.teams(teams=rt.requests.visible_teams(who))))


@router.get("/resources", response_model=schemas.Envelope[dict[str, Any]])
async def resources(rt: RuntimeDep, who: CallerDep) -> dict[str, Any]:
    return schemas.ok(schemas.resources(await rt.analytics.resources(teams=rt.requests.visible_teams(who))))


@router.get("/costs", response_model=schemas.Envelope[dict[str, Any]])
async def costs(rt: RuntimeDep, who: CallerDep) -> dict[str, Any]:
    return schemas.ok(schemas.costs(await rt.analytics.costs(teams=rt.requests.visible_teams(who))))


@router.get("/dashboard", response_model=schemas.Envelope[dict[str, Any]])
async def dashboard(rt: RuntimeDep, who: CallerDep) -> dict[str, Any]:
    return schemas.ok(schemas.dashboard(await rt.analytics.dashboard(teams=rt.requests.visible_teams(who))))
