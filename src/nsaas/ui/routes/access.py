"""Signing in and out: a persona picker in dev mode, OpenID Connect with Azure AD otherwise."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from nsaas import metrics
from nsaas.domain import errors
from nsaas.ui import auth, platform_api, sessions, state, views

router = APIRouter()
CALLBACK = "/auth/callback"


@contextlib.contextmanager
def _counted(method: str) -> Iterator[None]:
    """Count one sign-in attempt as ``success`` or ``failure`` (``nsaas_ui_logins_total``)."""
    try:
        yield
    except (errors.AuthenticationFailed, platform_api.ApiError):
        metrics.UI_LOGINS.labels(method, "failure").inc()
        raise
    metrics.UI_LOGINS.labels(method, "success").inc()


def _callback_url(ui: state.UiState) -> str:
    return ui.settings.ui.public_url.rstrip("/") + CALLBACK


@router.get("/login")
async def login(request: Request, next: str | None = None) -> Response:
    ui = state.of(request)
    target = auth.safe_next(next)
    handle = sessions.handle_of(request)
    if handle.current is not None and handle.current.signed_in:
        return RedirectResponse(target, status_code=303)
    session = handle.ensure()
    if ui.oidc is None:
        return views.render(request, "login.html", {"personas": auth.personas(), "next": target})
    url, session.pending = await ui.oidc.begin(redirect_uri=_callback_url(ui), next_url=target)
    return RedirectResponse(url, status_code=303)


@router.post("/login/dev")
async def login_dev(request: Request, persona: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    """Dev mode only: sign in as a persona with a token the local dev key signs."""
    ui = state.of(request)
    if ui.oidc is not None:
        raise errors.AuthenticationFailed("persona sign-in exists only in dev mode")
    if persona not in {p.name for p in auth.personas()}:
        raise errors.AuthenticationFailed(f"unknown persona {persona!r}")
    token, expires_at = auth.persona_token(ui, persona)
    api = platform_api.PlatformApi(client=ui.http, base_url=ui.api_url, token=token)
    with _counted("dev"):
        me = await auth.load_identity(api, persona=persona)
    session = sessions.handle_of(request).rotate()
    session.identity, session.access_token, session.token_expires_at = me, token, expires_at
    session.persona = persona
    return RedirectResponse(auth.safe_next(next), status_code=303)


@router.get(CALLBACK)
async def callback(request: Request) -> Response:
    """The provider sends the browser back here with ``code`` and ``state`` (or an error)."""
    ui = state.of(request)
    if ui.oidc is None:
        raise errors.AuthenticationFailed("OpenID Connect sign-in is not enabled in dev mode")
    handle = sessions.handle_of(request)
    pending = handle.current.pending if handle.current else None
    params = {key: str(value) for key, value in request.query_params.items()}
    with _counted("oidc"):
        tokens = await ui.oidc.complete(pending=pending, params=params, redirect_uri=_callback_url(ui))
        api = platform_api.PlatformApi(client=ui.http, base_url=ui.api_url, token=tokens.access_token)
        me = await auth.load_identity(api)
    session = handle.rotate()
    session.identity, session.access_token = me, tokens.access_token
    session.refresh_token, session.token_expires_at = tokens.refresh_token, tokens.expires_at
    return RedirectResponse(auth.safe_next(pending.next_url if pending else "/"), status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session here (its row is deleted: the cookie is dead on every replica), then at the
    provider, which sends the browser back to ``/signed-out``."""
    ui = state.of(request)
    sessions.handle_of(request).clear()
    target = "/signed-out"
    # An unreachable provider leaves its own session: ours is gone, which is what matters here.
    if ui.oidc is not None:
        with contextlib.suppress(errors.AuthenticationFailed):
            back = ui.settings.ui.public_url.rstrip("/") + target
            target = await ui.oidc.end_session_url(post_logout_redirect_uri=back) or target
    return RedirectResponse(target, status_code=303)


@router.get("/signed-out")
async def signed_out(request: Request) -> Response:
    return views.render(request, "signed_out.html")
