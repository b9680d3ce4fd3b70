"""Health and metrics: liveness never touches dependencies; readiness checks database and cluster."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from nsaas import metrics
from nsaas.api.deps import RuntimeDep

router = APIRouter(tags=["health"])
STARTED = time.monotonic()


@router.get("/health")
@router.get("/health/live")
@router.get("/api/health")
async def live() -> dict[str, Any]:
    return {"status": "ok", "uptimeSeconds": round(time.monotonic() - STARTED, 1)}


@router.get("/health/ready")
async def ready(rt: RuntimeDep) -> JSONResponse:
    checks = await rt.operations.checks()
    healthy = all(c["ok"] for c in checks.values())
    return JSONResponse(
        {"status": "ready" if healthy else "not-ready", "checks": checks}, status_code=200 if healthy else 503
    )


@router.get("/health/detailed")
async def detailed(rt: RuntimeDep) -> JSONResponse:
    checks = await rt.operations.checks()
    healthy = all(c["ok"] for c in checks.values())
    listener = rt.bus.status()
    body = {
        "status": "ready" if healthy and listener["listening"] else "degraded",
        "checks": checks,
        "engine": rt.settings.engine,
        "authMode": rt.settings.auth_mode,
        "database": rt.database.dialect,
        "reconciler": rt.reconciler_status(),
        "eventListener": listener,
        "gaugesAgeSeconds": _age(rt.operations.gauges_age()),
        "version": rt.version,
        "uptimeSeconds": round(time.monotonic() - STARTED, 1),
    }
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/metrics", include_in_schema=False)
async def prometheus() -> Response:
    """Never touches the database: its gauges are refreshed in the background (``nsaas_gauges_age_seconds``)."""
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _age(seconds: float) -> float | None:
    return None if seconds == float("inf") else round(seconds, 1)
