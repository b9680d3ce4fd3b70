"""Health and metrics: liveness touches nothing; readiness checks only the database.

The Kubernetes API is not a readiness condition: a control-plane blip would otherwise take every
API pod out of its Service, including the routes that need no cluster (reading requests, audit,
analytics). Cluster reachability is in ``/health/detailed`` and the ``nsaas_cluster_reachable``
gauge (alert NsaasClusterUnreachable).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from nsaas import metrics
from nsaas.api.deps import RuntimeDep
from nsaas.services import operations

router = APIRouter(tags=["health"])
STARTED = time.monotonic()


@router.get("/health")
@router.get("/health/live")
@router.get("/api/health")
async def live() -> dict[str, Any]:
    return {"status": "ok", "uptimeSeconds": round(time.monotonic() - STARTED, 1)}


@router.get("/health/ready")
async def ready(rt: RuntimeDep) -> JSONResponse:
    database = await rt.operations.database_check()
    healthy = database.ok
    return JSONResponse(
        {"status": "ready" if healthy else "not-ready", "checks": {"database": _check(database)}},
        status_code=200 if healthy else 503,
    )


@router.get("/health/detailed")
async def detailed(rt: RuntimeDep) -> JSONResponse:
    checks = await rt.operations.checks()
    serving = checks["database"].ok
    listener = rt.bus.status()
    healthy = all(c.ok for c in checks.values()) and listener["listening"]
    body = {
        "status": "ready" if healthy else "degraded" if serving else "not-ready",
        "checks": {name: _check(c) for name, c in checks.items()},
        "engine": rt.settings.engine,
        "authMode": rt.settings.auth_mode,
        "database": rt.database.dialect,
        "reconciler": rt.reconciler_status(),
        "eventListener": listener,
        "gaugesAgeSeconds": _age(rt.operations.gauges_age()),
        "version": rt.version,
        "uptimeSeconds": round(time.monotonic() - STARTED, 1),
    }
    return JSONResponse(body, status_code=200 if serving else 503)


@router.get("/metrics", include_in_schema=False)
async def prometheus() -> Response:
    """Never touches the database: its gauges are refreshed in the background (``nsaas_gauges_age_seconds``)."""
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _age(seconds: float) -> float | None:
    return None if seconds == float("inf") else round(seconds, 1)


def _check(check: operations.Check) -> dict[str, Any]:
    """A check as it always read: ``{ok, ms}``, with ``error`` when it failed."""
    body: dict[str, Any] = {"ok": check.ok}
    if check.error is not None:
        body["error"] = check.error
    body["ms"] = check.ms
    return body
