"""Server-side sessions in the platform database: tokens stay on the server, every replica serves every browser.

What must stay true:

* The cookie carries nothing but a random session id signed with ``session-secret`` (itsdangerous,
  timestamped, so an old cookie stops working after ``session_max_age_seconds`` even if the store
  kept it). Access and refresh tokens never reach the browser.
* The session, including a login's OIDC state, nonce and PKCE verifier, is a row of
  ``ui_sessions`` (PostgreSQL in production, SQLite in dev) shared by all UI replicas, so a login
  that starts on one replica completes on another and no ingress affinity is needed. The row's
  key is the SHA-256 of the id and its content is encrypted and authenticated (Fernet, key derived
  from ``session-secret`` with HKDF): a database reader learns neither a usable cookie nor a token.
* Rows expire ``session_max_age_seconds`` after the session began (checked on every read, purged in
  bulk now and then); signing out deletes the row, so a copied cookie is dead from that moment.
* The cookie is ``HttpOnly`` and ``SameSite=Lax``, and ``Secure`` whenever the public URL is https.
* Signing in rotates the id and the CSRF token (no session fixation).
* Anonymous visitors get a session only when a page needs one (the login page, for its CSRF
  token and OIDC state), so probes and static files never fill the store.
* A request's changes are written before its response starts, so the browser's next request (on
  any replica) sees them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import itsdangerous
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "nsaas_session"
#: Expired rows are deleted in bulk at most this often per process.
PURGE_EVERY_SECONDS = 300.0


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


def _to_json(session: Session) -> str:
    data = asdict(session)
    if session.identity is not None:
        data["identity"]["roles"] = sorted(session.identity.roles)
        data["identity"]["teams"] = list(session.identity.teams)
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def _from_json(text: str) -> Session:
    data: dict[str, Any] = json.loads(text)
    identity = data.pop("identity")
    pending = data.pop("pending")
    return Session(
        **data,
        identity=None
        if identity is None
        else Identity(**{**identity, "roles": frozenset(identity["roles"]), "teams": tuple(identity["teams"])}),
        pending=None if pending is None else PendingLogin(**pending),
    )


def fernet_for(secret: str) -> Fernet:
    """The session-encryption key, derived from ``session-secret`` (never the signing key itself)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"nsaas-ui-session-store").derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class SessionRows(Protocol):
    """Where the sessions' encrypted blobs are kept, by hashed id, with an expiry.

    The composition root (``nsaas ui``, ``nsaas dev``) hands the UI the platform database's
    (``nsaas.adapters.db.ui_sessions``), so every replica sees every session; the UI never
    imports an adapter itself. An expired row is never returned.
    """

    async def prepare(self, *, migrate: bool) -> None:
        """Create the storage where the process owns it (``migrate``: dev mode)."""

    async def get(self, key: str, *, now: datetime) -> str | None: ...

    async def put(self, key: str, data: str, *, expires_at: datetime, now: datetime) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def purge(self, *, now: datetime) -> int:
        """Delete the expired rows; how many went."""

    async def aclose(self) -> None: ...


class SessionStore:
    """Sessions by id in shared rows, encrypted, expiring ``max_age_seconds`` after they began."""

    def __init__(self, *, rows: SessionRows, secret: str, max_age_seconds: int) -> None:
        self._rows = rows
        self._fernet = fernet_for(secret)
        self._max_age = max_age_seconds
        self._purged_at = 0.0

    async def prepare(self, *, migrate: bool) -> None:
        await self._rows.prepare(migrate=migrate)

    async def aclose(self) -> None:
        await self._rows.aclose()

    @staticmethod
    def _key(session_id: str) -> str:
        return hashlib.sha256(session_id.encode()).hexdigest()

    async def get(self, session_id: str) -> Session | None:
        blob = await self._rows.get(self._key(session_id), now=datetime.now(UTC))
        if blob is None:
            return None
        try:
            found = _from_json(self._fernet.decrypt(blob.encode(), ttl=self._max_age).decode())
        except (InvalidToken, ValueError, TypeError, KeyError):
            return None  # tampered, from another secret, or from an older shape: start afresh
        return found if found.id == session_id else None

    async def put(self, session: Session) -> None:
        now = datetime.now(UTC)
        expires = datetime.fromtimestamp(session.created, UTC) + timedelta(seconds=self._max_age)
        blob = self._fernet.encrypt(_to_json(session).encode()).decode()
        await self._rows.put(self._key(session.id), blob, expires_at=expires, now=now)
        if time.monotonic() - self._purged_at > PURGE_EVERY_SECONDS:
            self._purged_at = time.monotonic()
            await self._rows.purge(now=now)

    async def delete(self, session_id: str) -> None:
        await self._rows.delete(self._key(session_id))

    @staticmethod
    def fingerprint(session: Session) -> str:
        """What the session holds, to tell whether a request changed it."""
        return _to_json(session)


class Handle:
    """The request's view of its session: loaded from the cookie, created or rotated on demand.

    Changes are collected here and written by the middleware before the response starts.
    """

    def __init__(self, *, existing: Session | None) -> None:
        self._session = existing
        self.loaded = SessionStore.fingerprint(existing) if existing is not None else None
        self.revoked: list[str] = []
        self.changed = False
        self.cleared = False

    @property
    def current(self) -> Session | None:
        return self._session

    @property
    def dirty(self) -> bool:
        return self._session is not None and (self.changed or SessionStore.fingerprint(self._session) != self.loaded)

    def ensure(self) -> Session:
        if self._session is None:
            self._session = _new(time.time())
            self.changed = True
        return self._session

    def rotate(self) -> Session:
        """A fresh id and CSRF token carrying over nothing; used at sign-in. The old id is revoked."""
        if self._session is not None:
            self.revoked.append(self._session.id)
        self._session = _new(time.time())
        self.changed = True
        return self._session

    def clear(self) -> None:
        if self._session is not None:
            self.revoked.append(self._session.id)
        self._session = None
        self.cleared = True


class SessionMiddleware:
    """Pure ASGI middleware (so streaming responses pass through untouched) managing the cookie."""

    def __init__(self, app: ASGIApp, *, secret: str, max_age_seconds: int, secure: bool, store: SessionStore) -> None:
        self.app = app
        self.store = store
        self.max_age = max_age_seconds
        self.secure = secure
        self.signer = itsdangerous.URLSafeTimedSerializer(secret, salt="nsaas-ui-session")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        handle = Handle(existing=await self._load(HTTPConnection(scope).cookies.get(COOKIE)))
        scope.setdefault("state", {})["session"] = handle

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._save(handle)
                self._set_cookie(MutableHeaders(scope=message), handle)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _load(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            session_id = self.signer.loads(cookie, max_age=self.max_age)
        except itsdangerous.BadData:
            return None
        return await self.store.get(session_id) if isinstance(session_id, str) else None

    async def _save(self, handle: Handle) -> None:
        for revoked in handle.revoked:
            await self.store.delete(revoked)
        if handle.dirty and handle.current is not None:
            await self.store.put(handle.current)

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
