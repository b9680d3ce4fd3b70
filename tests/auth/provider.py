"""A stand-in for Azure AD's metadata endpoints: discovery document and JWKS over real HTTP on loopback.

The verifier under test talks to it with its normal httpx client, so caching, refetch and
failure handling are exercised through the network path they use in production. Tests change
``published`` (which keys the JWKS lists) and ``failing`` (answer 500), and read ``hits`` (how
many times each path was fetched).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import threading
from collections.abc import Mapping
from http import server
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
ISSUER = f"https://login.microsoftonline.com/{TENANT}/v2.0"


def discovery_path() -> str:
    return f"/{TENANT}/v2.0/.well-known/openid-configuration"


class LocalProvider:
    def __init__(self, keys: Mapping[str, rsa.RSAPrivateKey]) -> None:
        self.keys = dict(keys)
        self.published: list[str] = list(keys)[:1]
        self.issuer = ISSUER
        self.failing = False
        self.hits: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._server = server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def discovery_url(self) -> str:
        return self.base_url + discovery_path()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def token(self, *, kid: str | None = None, **overrides: Any) -> str:
        """An access token as Azure AD would issue it for this API, with ``overrides`` applied."""
        now = dt.datetime.now(dt.UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "oid": "user-object-id",
            "sub": "pairwise-subject",
            "name": "Dana Developer",
            "preferred_username": "dana@example.com",
            "groups": ["group-team-a-dev"],
            "iat": now,
            "nbf": now,
            "exp": now + dt.timedelta(hours=1),
            "ver": "2.0",
        }
        claims.update(overrides)
        claims = {key: value for key, value in claims.items() if value is not None}
        kid = kid or self.published[0]
        return jwt.encode(claims, self.keys[kid], algorithm="RS256", headers={"kid": kid})

    def _document(self, path: str) -> dict[str, Any] | None:
        if path.endswith("/.well-known/openid-configuration"):
            return {"issuer": self.issuer, "jwks_uri": f"{self.base_url}/keys"}
        if path == "/keys":
            return {"keys": [self._jwk(kid) for kid in self.published]}
        return None

    def _jwk(self, kid: str) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
        return {**jwk, "kid": kid, "use": "sig"}

    def _handler(self) -> type[server.BaseHTTPRequestHandler]:
        provider = self

        class Handler(server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with provider._lock:
                    provider.hits[self.path] += 1
                    document = None if provider.failing else provider._document(self.path)
                status = 500 if provider.failing else 404 if document is None else 200
                body = json.dumps(document or {"error": "unavailable"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
