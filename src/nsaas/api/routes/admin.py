"""Who am I, and the admin check of the provisioning path (``POST /api/test-workflow``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from nsaas import metrics
from nsaas.api import schemas
from nsaas.api.deps import PrincipalDep, RuntimeDep
from nsaas.domain import errors

router = APIRouter(tags=["admin"], responses=schemas.ERRORS)


@router.get("/api/platform/me", response_model=schemas.Envelope[dict[str, Any]])
async def me(principal: PrincipalDep) -> dict[str, Any]:
    return schemas.ok(
        {
            "subject": principal.subject,
            "name": principal.name,
            "email": principal.email,
            "roles": sorted(principal.roles),
            "teams": sorted(principal.teams),
            "source": principal.source,
            "canSeeAll": principal.can_see_all,
            "canReadAudit": principal.can_read_audit,
            "isPlatformAdmin": principal.is_platform_admin,
            "canApprove": principal.can_approve(team="", environment="production"),
        }
    )


@router.post("/api/test-workflow", response_model=schemas.Envelope[dict[str, Any]])
async def test_workflow(rt: RuntimeDep, principal: PrincipalDep) -> dict[str, Any]:
    """Dry-run a provisioning through the configured engine and report each step (nothing persists)."""
    if not principal.is_platform_admin:
        metrics.AUTHZ_DENIALS.labels("test-workflow").inc()
        raise errors.PermissionDenied("platform admins only", details={"role": "platform:admin"})
    return schemas.ok(await rt.selftest.run())
