"""A local OpenID Connect provider on loopback, standing in for Azure AD in the UI's login tests.

It serves the discovery document, ``/authorize`` (approves at once and redirects back with a
code, as a signed-in Azure AD user would see it), ``/token`` (authorization code with PKCE and
client secret checked, and refresh tokens) and the JWKS. Tests read ``token_requests`` to see
what the UI sent, and set ``refuse_refresh`` or ``id_token_overrides`` to exercise failures.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import threading
import urllib.parse
from dataclasses import dataclass, field
from http import server
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

TENANT = "99999999-8888-7777-6666-555555555555"
CLIENT_ID = "bbbbbbbb-1111-2222-3333-cccccccccccc"
CLIENT_SECRET = "local-provider-client-secret"  # pragma: allowlist secret (the local test provider's)
KID = "local-oidc-key"


@dataclass
class Grant:
    redirect_uri: str
    challenge: str
    nonce: str
    scope: str


@dataclass
class OidcProvider:
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    subject: str = "oidc-user-1"
    access_lifetime: int = 3600
    refuse_refresh: bool = False
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    grants: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)
    issued_access: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{TENANT}/v2.0"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base_url}/authorize",
            "token_endpoint": f"{self.base_url}/token",
            "jwks_uri": f"{self.base_url}/keys",
            "end_session_endpoint": f"{self.base_url}/logout",
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}

    def authorize(self, query: dict[str, str]) -> str:
        """Where the browser goes next: back to the client with a code (or an error)."""
        redirect = query["redirect_uri"]
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            return _with(redirect, error="invalid_request", state=query.get("state", ""))
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(redirect, query["code_challenge"], query.get("nonce", ""), query.get("scope", ""))
        return _with(redirect, code=code, state=query.get("state", ""))

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") == "authorization_code":
            return self._redeem(form)
        if form.get("grant_type") == "refresh_token":
            if self.refuse_refresh or form.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_grant", "error_description": "refresh token revoked"}
            return 200, self._issue(nonce=None)
        return 400, {"error": "unsupported_grant_type"}

    def _redeem(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = self.grants.pop(form.get("code", ""), None)
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "unknown code"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        return 200, self._issue(nonce=grant.nonce)

    def _issue(self, *, nonce: str | None) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": self.subject,
            "iat": now,
            "exp": now + dt.timedelta(hours=1),
            "name": "Olivia OIDC",
        }
        if nonce is not None:
            claims["nonce"] = nonce
        claims.update(self.id_token_overrides)
        access = f"access-{secrets.token_urlsafe(12)}"
        refresh = f"refresh-{secrets.token_urlsafe(12)}"
        self.refresh_tokens.add(refresh)
        self.issued_access.append(access)
        return {
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.access_lifetime,
            "id_token": jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KID}),
        }


def _with(url: str, **params: str) -> str:
    return f"{url}?{urllib.parse.urlencode(params)}"


#: Who the provider's user is, as the Platform API describes them (``/me``).
ME = {
    "subject": "oidc-user-1",
    "name": "Olivia OIDC",
    "roles": ["team:team-a:developer"],
    "teams": ["team-a"],
    "canSeeAll": False,
    "canReadAudit": False,
    "isPlatformAdmin": False,
}


def platform_answer(provider: OidcProvider, token: str, path: str) -> tuple[int, dict[str, Any]]:
    """The Platform API as far as signing in and the first pages need it: it accepts the provider's
    access tokens and answers who I am, my (no) namespaces and the analytics."""
    if token not in provider.issued_access:
        return 401, {"success": False, "error": "unauthorized", "message": "bad token"}
    if path.endswith("/me"):
        data: Any = ME
    elif path.endswith("/namespaces"):
        data = {"items": [], "total": 0, "offset": 0, "limit": 50}
    else:
        data = {"byTeam": {}, "basis": ""}
    return 200, {"success": True, "data": data, "timestamp": "2025-01-01T00:00:00Z"}


class JsonHandler(server.BaseHTTPRequestHandler):
    """A quiet request handler of a loopback test server that answers JSON."""

    def _json(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        return


def _handler(provider: OidcProvider) -> type[server.BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        def do_GET(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            if parsed.path.endswith("/.well-known/openid-configuration"):
                self._json(200, provider.discovery())
            elif parsed.path == "/keys":
                self._json(200, provider.jwks())
            elif parsed.path == "/authorize":
                self.send_response(302)
                self.send_header("Location", provider.authorize(query))
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if self.path == "/token":
                self._json(*provider.token(form))
            else:
                self._json(404, {"error": "not_found"})

    return Handler
