"""The Platform UI application: a server-rendered backend-for-frontend of the Platform API.

``create_app`` is what ``nsaas ui`` and ``nsaas dev`` serve. It refuses to start outside dev mode
without ``session-secret`` and ``ui-client-secret``. Sessions live in the platform database
(``NSAAS_DATABASE_URL``; the SQLite file of ``nsaas dev`` otherwise; the caller passes the rows
in, see ``nsaas.adapters.db.ui_sessions``), so any number of replicas
share them. In dev mode a missing session secret is replaced by a random one per process
(sessions then end with the process, which is fine there).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

import nsaas
from nsaas import config, metrics, requestcontext, tracing
from nsaas.domain import errors
from nsaas.ui import auth, oidc, platform_api, security, sessions, state, views
from nsaas.ui.routes import (
    access,
    analytics,
    approvals,
    audit,
    catalog,
    dashboard,
    live,
    namespaces,
    notify,
    request_form,
    rollouts,
    teams,
)

ROUTERS = (
    access,
    dashboard,
    namespaces,
    request_form,
    catalog,
    teams,
    rollouts,
    approvals,
    analytics,
    audit,
    live,
    notify,
)


def create_app(
    settings: config.Settings,
    *,
    api_url: str | None = None,
    http_client: httpx.AsyncClient | None = None,
    session_rows: sessions.SessionRows,
    persona_tokens: state.PersonaTokens | None = None,
) -> FastAPI:
    """Build the UI. With ``http_client`` the caller owns the client (tests, ``nsaas dev``).

    ``session_rows`` is where sessions are kept (the platform database's, from the composition
    root; the app closes it on shutdown). ``persona_tokens`` signs dev personas in (dev mode);
    the UI never touches a signing key or a database adapter itself.
    """
    settings.check_production(needs=("session_secret", "ui_client_secret"))
    secret = settings.ui.session_secret.get_secret_value() or secrets.token_urlsafe(48)
    https = settings.ui.public_url.startswith("https://")

    store = sessions.SessionStore(rows=session_rows, secret=secret, max_age_seconds=settings.ui.session_max_age_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.prepare(migrate=settings.dev_mode)
        client = http_client or httpx.AsyncClient(follow_redirects=False)
        app.state.ui = state.UiState(
            settings=settings,
            api_url=api_url or settings.ui.api_url,
            http=client,
            store=store,
            templates=state.templates(),
            oidc=None if settings.dev_mode else oidc.OidcClient(settings=settings, http=client),
            persona_tokens=persona_tokens,
        )
        try:
            yield
        finally:
            if http_client is None:
                await client.aclose()
            await store.aclose()

    app = FastAPI(
        title="nsaas Platform UI",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        dependencies=[Depends(auth.require_csrf)],
    )
    _install_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=state.STATIC), name="static")
    app.add_middleware(
        sessions.SessionMiddleware,
        secret=secret,
        max_age_seconds=settings.ui.session_max_age_seconds,
        secure=https,
        store=store,
    )
    app.add_middleware(security.SecurityHeaders, https=https)
    tracing.instrument_app(app)
    app.add_middleware(requestcontext.RequestContext, component="ui", max_body_bytes=settings.auth.max_body_bytes)
    metrics.BUILD_INFO.labels(nsaas.VERSION, "ui").set(1)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        """Browsers ask for /favicon.ico before reading the page's icon link; answer with the SVG."""
        return FileResponse(state.STATIC / "favicon.svg", media_type="image/svg+xml")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        """Liveness of the UI process itself; the API's health is the API's probe."""
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        """Requests, latency, sign-ins and failed API calls of this UI process (ServiceMonitor platform-ui)."""
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(auth.LoginRequired)
    async def login_required(request: Request, exc: auth.LoginRequired) -> Response:
        target = "/login?" + str(httpx.QueryParams({"next": auth.safe_next(exc.next_url)}))
        if views.is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(auth.CsrfRefused)
    async def csrf_refused(request: Request, exc: auth.CsrfRefused) -> Response:
        context = {
            "title": "Form expired",
            "text": "This form is no longer valid (missing or stale security token). Reload the page and try again.",
            "details": {},
        }
        return views.render(request, "problem.html", context, status=403)

    @app.exception_handler(errors.AuthenticationFailed)
    async def auth_failed(request: Request, exc: errors.AuthenticationFailed) -> Response:
        context = {"title": "Sign-in failed", "text": exc.message, "details": {}, "retry": "/login"}
        return views.render(request, "problem.html", context, status=401)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        """Unknown URLs and refused methods get a page in the portal's layout, never raw JSON."""
        return views.error_page(request, exc.status_code)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        return views.error_page(request, 500)

    @app.exception_handler(platform_api.ApiError)
    async def api_refused(request: Request, exc: platform_api.ApiError) -> Response:
        """An API refusal no page handled itself; 401 means the token is no longer accepted."""
        if exc.status == 401:
            sessions.handle_of(request).clear()
            return await login_required(request, auth.LoginRequired(request.url.path))
        return views.problem(request, exc)
