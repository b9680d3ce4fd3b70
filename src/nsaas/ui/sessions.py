"""Server-side sessions: tokens stay on the server, the browser holds only a signed random id.

What must stay true:

* The cookie carries nothing but a random session id signed with ``session-secret`` (itsdangerous,
  timestamped, so an old cookie stops working after ``session_max_age_seconds`` even if the store
  kept it). Access and refresh tokens never reach the browser.
* The cookie is ``HttpOnly`` and ``SameSite=Lax``, and ``Secure`` whenever the public URL is https.
* Signing in rotates the id and the CSRF token (no session fixation); signing out deletes the
  session on the server, not just the cookie.
* Anonymous visitors get a session only when a page needs one (the login page, for its CSRF
  token and OIDC state), so probes and static files never fill the store.

The store is in memory: one UI process keeps its own sessions. Several replicas need sticky
sessions at the ingress (documented in the deployment); a shared store would be a new class
with the same three methods.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import itsdangerous
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "nsaas_session"
MAX_SESSIONS = 50_000


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is signed in, as the API describes them (``GET /me``); used only to shape pages."""

    subject: str
    name: str
    email: str | None
    roles: frozenset[str]
    teams: tuple[str, ...]
    can_see_all: bool
    can_read_audit: bool
    is_platform_admin: bool

    @property
    def can_approve(self) -> bool:
        """Platform admins/engineers approve anything; team admins their team's non-production requests."""
        return (
            self.is_platform_admin
            or "platform:engineer" in self.roles
            or any(r.endswith(":admin") and r.startswith("team:") for r in self.roles)
        )


@dataclass(slots=True)
class PendingLogin:
    """What the callback of an OIDC login must find again: state, nonce and PKCE verifier."""

    state: str
    nonce: str
    verifier: str
    next_url: str
    started: float


@dataclass(slots=True)
class Session:
    id: str
    csrf: str
    created: float
    identity: Identity | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    token_expires_at: float = 0.0
    persona: str | None = None
    pending: PendingLogin | None = None
    flashes: list[str] = field(default_factory=list)

    @property
    def signed_in(self) -> bool:
        return self.identity is not None and self.access_token is not None


def _new(now: float) -> Session:
    return Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32), created=now)


class MemoryStore:
    """Sessions by id, oldest evicted first past ``MAX_SESSIONS``, expired ones dropped on read."""

    def __init__(self, *, max_age_seconds: int) -> None:
        self._max_age = max_age_seconds
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def get(self, session_id: str) -> Session | None:
        found = self._sessions.get(session_id)
        if found is None:
            return None
        if time.time() - found.created > self._max_age:
            self._sessions.pop(session_id, None)
            return None
        return found

    def put(self, session: Session) -> None:
        self._sessions[session.id] = session
        self._sessions.move_to_end(session.id)
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)

    def delete(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)


class Handle:
    """The request's view of its session: loaded from the cookie, created or rotated on demand."""

    def __init__(self, *, store: MemoryStore, existing: Session | None) -> None:
        self._store = store
        self._session = existing
        self.changed = False
        self.cleared = False

    @property
    def current(self) -> Session | None:
        return self._session

    def ensure(self) -> Session:
        if self._session is None:
            self._session = _new(time.time())
            self._store.put(self._session)
            self.changed = True
        return self._session

    def rotate(self) -> Session:
        """A fresh id and CSRF token carrying over nothing but the pending-login state; used at sign-in."""
        old = self._session
        if old is not None:
            self._store.delete(old.id)
        self._session = _new(time.time())
        self._store.put(self._session)
        self.changed = True
        return self._session

    def clear(self) -> None:
        if self._session is not None:
            self._store.delete(self._session.id)
        self._session = None
        self.cleared = True


class SessionMiddleware:
    """Pure ASGI middleware (so streaming responses pass through untouched) managing the cookie."""

    def __init__(self, app: ASGIApp, *, secret: str, max_age_seconds: int, secure: bool, store: MemoryStore) -> None:
        self.app = app
        self.store = store
        self.max_age = max_age_seconds
        self.secure = secure
        self.signer = itsdangerous.URLSafeTimedSerializer(secret, salt="nsaas-ui-session")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        handle = Handle(store=self.store, existing=self._load(HTTPConnection(scope).cookies.get(COOKIE)))
        scope.setdefault("state", {})["session"] = handle

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._set_cookie(MutableHeaders(scope=message), handle)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _load(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            session_id = self.signer.loads(cookie, max_age=self.max_age)
        except itsdangerous.BadData:
            return None
        return self.store.get(session_id) if isinstance(session_id, str) else None

    def _set_cookie(self, headers: MutableHeaders, handle: Handle) -> None:
        flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
        session = handle.current
        if handle.changed and session is not None:
            value = self.signer.dumps(session.id)
            headers.append("Set-Cookie", f"{COOKIE}={value}; Max-Age={self.max_age}{flags}")
        elif handle.cleared:
            headers.append("Set-Cookie", f"{COOKIE}=; Max-Age=0{flags}")


def handle_of(connection: HTTPConnection) -> Handle:
    handle = connection.scope.get("state", {}).get("session")
    if not isinstance(handle, Handle):
        raise RuntimeError("SessionMiddleware is not installed")
    return handle
