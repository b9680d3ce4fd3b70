"""The Platform API application (FastAPI): routes, middleware, error shape, docs with local assets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

import nsaas
from nsaas import config, metrics, requestcontext, runtime, tracing
from nsaas.api import errors, inputs, ratelimit
from nsaas.api.routes import (
    admin,
    analytics,
    audit,
    catalog,
    events,
    handover,
    health,
    namespaces,
    notifications,
    rollouts,
    teams,
    templates,
)

STATIC = Path(__file__).parent / "static"


def create_app(settings: config.Settings, *, rt: runtime.Runtime | None = None) -> FastAPI:
    """Build the API. With ``rt`` the caller owns the runtime (tests, ``nsaas dev``); else the app builds it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if rt is not None:
            app.state.runtime = rt
            yield
            return
        built = await runtime.build(settings, component="api")
        app.state.runtime = built
        await built.start_background(worker=settings.engines.run_in_api)
        try:
            yield
        finally:
            await built.aclose()

    app = FastAPI(
        title="nsaas Platform API",
        version=nsaas.VERSION,
        description="Self-service Namespace-as-a-Service for Kubernetes.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(inputs.check)],
    )
    if rt is not None:
        app.state.runtime = rt
    app.state.limiter = ratelimit.SlidingWindow(limit=settings.auth.rate_limit_per_minute, window_seconds=60)
    app.state.streams = ratelimit.StreamSlots(
        per_user=settings.server.sse_streams_per_user, total=settings.server.sse_streams_total
    )
    errors.install(app)
    for module in (
        namespaces,
        handover,
        catalog,
        analytics,
        audit,
        events,
        notifications,
        teams,
        templates,
        rollouts,
        health,
        admin,
    ):
        app.include_router(module.router)
    app.mount("/api/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="nsaas Platform API",
            swagger_js_url="/api/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/api/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/api/static/vendor/swagger-ui/favicon.png",
        )

    metrics.BUILD_INFO.labels(nsaas.VERSION, "api").set(1)
    tracing.instrument_app(app)
    app.add_middleware(
        requestcontext.RequestContext,
        component="api",
        max_body_bytes=settings.auth.max_body_bytes,
        body_timeout_seconds=settings.server.body_timeout_seconds,
        stream_send_timeout_seconds=settings.server.sse_send_timeout_seconds,
    )
    return app
