"""OpenID Connect login against Azure AD (Entra ID): authorization code flow with PKCE.

The UI is a confidential client (``ui-client-secret``). What must stay true:

* Every login carries a fresh ``state`` (checked on return, so a forged callback is refused), a
  fresh ``nonce`` (checked inside the ID token, so a replayed token is refused) and a PKCE
  verifier whose S256 challenge went out with the authorization request.
* The ID token is verified with PyJWT, the project's JWT library: RS256 signature with a key of
  the provider's JWKS (refetched once when a new ``kid`` appears, for key rotation), issuer from
  the discovery document, audience = our client id, ``exp``/``iat`` with a small clock skew.
* The access token (for the Platform API scope) and refresh token are returned to the caller,
  who keeps them server-side; :meth:`OidcClient.refresh` renews them before they expire.

Authlib would do the same with one more, untyped dependency; what is left here is the protocol's
glue (two URLs and a form post), the cryptography is PyJWT's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from nsaas import config
from nsaas.domain import errors
from nsaas.ui import sessions

DEFAULT_SCOPES = ("openid", "profile", "email", "offline_access")
LOGIN_TIMEOUT_SECONDS = 600


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None = None


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: float
    id_claims: dict[str, Any]


def discovery_url(settings: config.Settings) -> str:
    if settings.auth.azure_discovery_url:
        return settings.auth.azure_discovery_url
    tenant = settings.auth.azure_tenant_id
    return f"https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"


def scopes(settings: config.Settings) -> str:
    api_scope = settings.ui.api_scope or f"api://{settings.auth.azure_client_id}/.default"
    return " ".join((*DEFAULT_SCOPES, api_scope))


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge (RFC 7636 section 4)."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _refused(message: str, **details: str) -> errors.AuthenticationFailed:
    return errors.AuthenticationFailed(message, details=details or {"login": message})


class OidcClient:
    """One provider, its metadata and keys cached for the life of the process."""

    def __init__(self, *, settings: config.Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._metadata: ProviderMetadata | None = None
        self._keys: dict[str, jwt.PyJWK] = {}

    @property
    def client_id(self) -> str:
        return self._settings.auth.azure_client_id

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            document = await self._get_json(discovery_url(self._settings))
            try:
                self._metadata = ProviderMetadata(
                    issuer=str(document["issuer"]),
                    authorization_endpoint=str(document["authorization_endpoint"]),
                    token_endpoint=str(document["token_endpoint"]),
                    jwks_uri=str(document["jwks_uri"]),
                    end_session_endpoint=document.get("end_session_endpoint"),
                )
            except KeyError as error:
                raise _refused(f"the identity provider's discovery document lacks {error}") from error
        return self._metadata

    async def begin(self, *, redirect_uri: str, next_url: str) -> tuple[str, sessions.PendingLogin]:
        """The provider URL to send the browser to, and what the callback must find again."""
        meta = await self.metadata()
        verifier, challenge = pkce_pair()
        pending = sessions.PendingLogin(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=verifier,
            next_url=next_url,
            started=time.time(),
        )
        query = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "response_mode": "query",
            "scope": scopes(self._settings),
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{meta.authorization_endpoint}?{urllib.parse.urlencode(query)}", pending

    async def end_session_url(self, *, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser so the provider ends its own session too (RP-initiated logout),
        None when the provider publishes no ``end_session_endpoint``."""
        meta = await self.metadata()
        if not meta.end_session_endpoint:
            return None
        query = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        return f"{meta.end_session_endpoint}?{urllib.parse.urlencode(query)}"

    async def complete(
        self, *, pending: sessions.PendingLogin | None, params: dict[str, str], redirect_uri: str
    ) -> Tokens:
        """Check the callback against the pending login, redeem the code and verify the ID token."""
        if pending is None or time.time() - pending.started > LOGIN_TIMEOUT_SECONDS:
            raise _refused("the sign-in took too long or was not started here; please sign in again")
        if not hmac.compare_digest(params.get("state", ""), pending.state):
            raise _refused("the sign-in answer does not belong to this browser (state mismatch)", state="mismatch")
        if "error" in params:
            raise _refused(
                f"the identity provider refused the sign-in: {params.get('error_description') or params['error']}"
            )
        code = params.get("code")
        if not code:
            raise _refused("the identity provider returned no authorization code")
        body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": pending.verifier}  # fmt: skip
        answer = await self._token_request(body)
        claims = await self.verify_id_token(str(answer.get("id_token") or ""), nonce=pending.nonce)
        return self._tokens(answer, claims)

    async def refresh(self, *, refresh_token: str) -> Tokens:
        answer = await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": scopes(self._settings)}
        )
        claims: dict[str, Any] = {}
        if answer.get("id_token"):
            claims = await self.verify_id_token(str(answer["id_token"]), nonce=None)
        return self._tokens(answer, claims, previous_refresh=refresh_token)

    async def verify_id_token(self, token: str, *, nonce: str | None) -> dict[str, Any]:
        if not token:
            raise _refused("the identity provider returned no ID token")
        meta = await self.metadata()
        key = await self._key_for(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.client_id,
                issuer=meta.issuer,
                leeway=self._settings.auth.clock_skew_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise _refused(f"the ID token is not valid: {error}", id_token=str(error)) from error
        if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise _refused("the ID token was not issued for this sign-in (nonce mismatch)", nonce="mismatch")
        return claims

    async def _key_for(self, token: str) -> jwt.PyJWK:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise _refused(f"the ID token is malformed: {error}") from error
        if not isinstance(kid, str):
            raise _refused("the ID token names no signing key (kid)")
        if kid not in self._keys:
            await self._load_keys()
        if kid not in self._keys:
            raise _refused("the ID token is signed with a key the provider does not publish", kid=kid)
        return self._keys[kid]

    async def _load_keys(self) -> None:
        meta = await self.metadata()
        document = await self._get_json(meta.jwks_uri)
        try:
            keyset = jwt.PyJWKSet.from_dict(document)
        except jwt.PyJWTError as error:
            raise _refused(f"the provider's JWKS is unusable: {error}") from error
        self._keys = {key.key_id: key for key in keyset.keys if key.key_id}

    async def _token_request(self, body: dict[str, str]) -> dict[str, Any]:
        meta = await self.metadata()
        secret = self._settings.ui.ui_client_secret.get_secret_value()
        form = {**body, "client_id": self.client_id, "client_secret": secret}
        try:
            response = await self._http.post(meta.token_endpoint, data=form, headers={"Accept": "application/json"})
        except httpx.TransportError as error:
            raise _refused(f"the identity provider cannot be reached ({type(error).__name__})") from error
        answer = _json_object(response)
        if response.is_error:
            reason = answer.get("error_description") or answer.get("error") or response.status_code
            raise _refused(f"the identity provider refused the token request: {reason}")
        if not answer.get("access_token"):
            raise _refused("the identity provider returned no access token")
        return answer

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, headers={"Accept": "application/json"})
        except httpx.TransportError as error:
            raise _refused(f"the identity provider cannot be reached ({type(error).__name__})") from error
        if response.is_error:
            raise _refused(f"the identity provider answered {response.status_code} for {url}")
        return _json_object(response)

    @staticmethod
    def _tokens(answer: dict[str, Any], claims: dict[str, Any], *, previous_refresh: str | None = None) -> Tokens:
        expires_in = answer.get("expires_in")
        lifetime = (
            float(expires_in) if isinstance(expires_in, int | float | str) and str(expires_in).isdigit() else 3600.0
        )
        return Tokens(
            access_token=str(answer["access_token"]),
            refresh_token=answer.get("refresh_token") or previous_refresh,
            expires_at=time.time() + lifetime,
            id_claims=claims,
        )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
