"""Who the browser is: the signed-in session, its fresh API token, and CSRF on every unsafe request.

* Pages that need a user depend on :data:`ApiDep`; without a session they raise
  :class:`LoginRequired`, which becomes a redirect to the login page (an ``HX-Redirect`` for
  htmx requests, so a fragment never renders a login page inside a table).
* Tokens are renewed shortly before they expire: with the refresh token (Azure AD), or by minting
  a new persona token (dev mode). A refused refresh ends the session.
* CSRF: a synchronizer token lives in the session; every POST/PATCH/DELETE must echo it in the
  ``csrf_token`` form field or the ``X-CSRF-Token`` header (htmx sends the header, see base.html).
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any

from fastapi import Depends, Request

from nsaas.domain import errors, identity
from nsaas.ui import platform_api, sessions, state

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Renew a token this long before it expires, so a page never calls the API with a dying token.
RENEW_BEFORE_SECONDS = 120
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(Exception):
    """No usable session: send the browser to the login page, then back to ``next_url``."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRefused(Exception):
    """An unsafe request without the session's CSRF token."""


def safe_next(value: str | None) -> str:
    """Only local paths: an attacker's ``next=https://evil`` must not turn login into a redirector."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def require_csrf(request: Request) -> None:
    """Global dependency: refuse any unsafe method whose CSRF token does not match the session's."""
    if request.method in SAFE_METHODS:
        return
    session = sessions.handle_of(request).current
    sent: Any = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    if session is None or not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf):
        raise CsrfRefused


def identity_from(data: Any) -> sessions.Identity:
    """The API's ``GET /me`` answer as an Identity."""
    if not isinstance(data, dict):
        raise errors.AuthenticationFailed("the Platform API did not describe the signed-in user")
    roles = frozenset(str(r) for r in data.get("roles") or [])
    return sessions.Identity(
        subject=str(data.get("subject") or ""),
        name=str(data.get("name") or data.get("subject") or "you"),
        email=data.get("email"),
        roles=roles,
        teams=tuple(str(t) for t in data.get("teams") or []),
        can_see_all=bool(data.get("canSeeAll")),
        can_read_audit=bool(data.get("canReadAudit")),
        is_platform_admin=bool(data.get("isPlatformAdmin")),
    )


async def load_identity(api: platform_api.PlatformApi, *, persona: str | None = None) -> sessions.Identity:
    """Ask the API who the token belongs to: the UI never decides roles itself.

    An API without ``GET /me`` (older than the UI) still works for dev personas, whose roles are
    fixed and public; any other refusal is passed on.
    """
    try:
        answer = await api.get("/me")
    except platform_api.ApiError as error:
        if error.status != 404 or persona is None:
            raise
        return _persona_identity(persona)
    return identity_from(answer.data)


def _persona_identity(persona: str) -> sessions.Identity:
    found = identity.PERSONAS[persona]
    roles = frozenset(found.roles)
    return sessions.Identity(
        subject=f"dev:{found.name}",
        name=found.display_name,
        email=None,
        roles=roles,
        teams=tuple(sorted({t for r in roles if (t := team_of(r))})),
        can_see_all=bool(roles & identity.GLOBAL_ROLES),
        can_read_audit=bool(roles & {identity.PLATFORM_ADMIN, identity.SECURITY_ADMIN}),
        is_platform_admin=identity.PLATFORM_ADMIN in roles,
    )


def persona_token(ui: state.UiState, persona: str) -> tuple[str, float]:
    """A dev persona token and its expiry; only in dev mode, where the composition root gives a minter."""
    if ui.persona_tokens is None:
        raise errors.AuthenticationFailed("persona sign-in exists only in dev mode")
    return ui.persona_tokens(persona)


def personas() -> list[identity.Persona]:
    return list(identity.PERSONAS.values())


def team_of(role: str) -> str | None:
    parts = role.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "team" else None


async def fresh_token(ui: state.UiState, session: sessions.Session) -> str:
    """The session's API token, renewed first when it is about to expire."""
    if session.access_token is None:
        raise errors.AuthenticationFailed("not signed in")
    if session.token_expires_at - time.time() > RENEW_BEFORE_SECONDS:
        return session.access_token
    if session.persona is not None:
        session.access_token, session.token_expires_at = persona_token(ui, session.persona)
    elif session.refresh_token and ui.oidc is not None:
        tokens = await ui.oidc.refresh(refresh_token=session.refresh_token)
        session.access_token, session.refresh_token = tokens.access_token, tokens.refresh_token
        session.token_expires_at = tokens.expires_at
    elif session.token_expires_at <= time.time():
        raise errors.AuthenticationFailed("the session's token expired")
    return session.access_token


async def current_api(request: Request) -> platform_api.PlatformApi:
    """The Platform API as the signed-in user; LoginRequired when there is none (or it lapsed)."""
    ui = state.of(request)
    handle = sessions.handle_of(request)
    session = handle.current
    next_url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if session is None or not session.signed_in:
        raise LoginRequired(next_url)
    try:
        token = await fresh_token(ui, session)
    except errors.AuthenticationFailed as error:
        handle.clear()
        raise LoginRequired(next_url) from error
    return platform_api.PlatformApi(client=ui.http, base_url=ui.api_url, token=token)


def me(request: Request) -> sessions.Identity:
    session = sessions.handle_of(request).current
    if session is None or session.identity is None:
        raise LoginRequired(request.url.path)
    return session.identity


ApiDep = Annotated[platform_api.PlatformApi, Depends(current_api)]
MeDep = Annotated[sessions.Identity, Depends(me)]
