"""The one entry point the API and UI call: bearer token in, :class:`identity.Principal` out.

The token's *unverified* ``iss`` only chooses which verifier checks it; each verifier then pins its
own algorithm, key, issuer and audience, so lying about the issuer gains nothing:

* ``nsaas-dev`` -> the dev signer, which exists only in dev mode (elsewhere: ``dev_mode_disabled``);
* ``auth.platform_token_issuer`` (``platform-api``) -> HS256 service tokens, enabled when a
  ``jwt-secret`` is configured or in dev mode (where the secret is derived from the dev key);
* anything else -> Azure AD, enabled when a tenant or a discovery URL is configured.

Every refusal is an :class:`errors.AuthenticationFailed` counted in ``nsaas_auth_failures_total``
by reason. Create one Authenticator per process and ``await aclose()`` it at shutdown: it caches
the Azure AD signing keys and may own an HTTP client.
"""

from __future__ import annotations

from typing import Any

import httpx
import jwt

from nsaas import config, metrics
from nsaas.adapters.auth import azure_ad, dev, failures, jwks, platform_tokens
from nsaas.domain import errors, identity

#: Real Azure AD tokens are a few KB; anything far larger is refused before parsing.
MAX_TOKEN_CHARS = 16 * 1024
HTTP_TIMEOUT_SECONDS = 5.0
#: Subjects become audit actors and request owners (columns of 255 characters).
MAX_SUBJECT = 255


class Authenticator:
    def __init__(
        self,
        *,
        platform_issuer: str,
        azure: azure_ad.AzureAdVerifier | None = None,
        platform: platform_tokens.PlatformTokens | None = None,
        dev_signer: dev.DevSigner | None = None,
        owned_http: httpx.AsyncClient | None = None,
    ) -> None:
        self._platform_issuer = platform_issuer
        self._azure = azure
        self._platform = platform
        self._dev = dev_signer
        self._owned_http = owned_http

    @classmethod
    def from_settings(
        cls,
        settings: config.Settings,
        *,
        http_client: httpx.AsyncClient | None = None,
        group_roles: azure_ad.GroupRoles | None = None,
    ) -> Authenticator:
        """Enable each verifier the settings allow; configuration mistakes raise ConfigurationError here.

        ``http_client`` (for the JWKS fetches) stays the caller's to close; without one, the
        authenticator opens its own and closes it in :meth:`aclose`. ``group_roles`` (the team
        registry) grants roles to Azure AD groups in addition to ``auth.group_roles``.
        """
        auth = settings.auth
        dev_signer = dev.DevSigner.load_or_create(settings) if settings.dev_mode else None
        platform = None
        if settings.dev_mode or auth.jwt_secret.get_secret_value():
            platform = platform_tokens.PlatformTokens.from_settings(settings)
        if not (auth.azure_tenant_id or auth.azure_discovery_url):
            return cls(platform_issuer=auth.platform_token_issuer, platform=platform, dev_signer=dev_signer)
        url = azure_ad.discovery_url(auth)
        azure_ad.audiences(auth)  # both raise ConfigurationError: check before opening a client
        azure_ad.group_roles(auth)
        http = http_client if http_client is not None else httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS)
        owned = None if http_client is not None else http
        keys = jwks.JwksCache(discovery_url=url, http=http, cache_seconds=auth.jwks_cache_seconds)
        return cls(
            platform_issuer=auth.platform_token_issuer,
            azure=azure_ad.AzureAdVerifier(settings=auth, keys=keys, registry=group_roles),
            platform=platform,
            dev_signer=dev_signer,
            owned_http=owned,
        )

    async def authenticate(self, bearer_token: str) -> identity.Principal:
        """The principal behind ``bearer_token`` (with or without the ``Bearer `` prefix)."""
        try:
            principal = await self._route(_strip_scheme(bearer_token))
            if len(principal.subject) > MAX_SUBJECT or "\x00" in principal.subject:
                # Subjects are stored as actors and owners; a longer one cannot be recorded faithfully.
                raise failures.refused(
                    "invalid_subject", f"the token's subject must be 1 to {MAX_SUBJECT} characters without NUL"
                )
            return principal
        except errors.AuthenticationFailed as error:
            metrics.AUTH_FAILURES.labels(reason=failures.reason_of(error)).inc()
            raise

    async def aclose(self) -> None:
        if self._owned_http is not None:
            await self._owned_http.aclose()

    async def _route(self, token: str) -> identity.Principal:
        header, claims = _unverified(token)
        issuer = claims.get("iss")
        if issuer == dev.ISSUER:
            if self._dev is None:
                raise failures.refused("dev_mode_disabled", "dev tokens are refused: this process is not in dev mode")
            return self._dev.verify(token)
        if issuer == self._platform_issuer:
            if self._platform is None:
                raise failures.refused("platform_tokens_disabled", "platform service tokens are not enabled here")
            return self._platform.verify(token)
        if self._azure is None:
            raise failures.refused("unknown_issuer", "the token's issuer is not trusted by this platform")
        return await self._azure.verify(token, header)


def _strip_scheme(value: str) -> str:
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() if rest and scheme.lower() == "bearer" else value.strip()


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims *before* any check, used only to pick the verifier."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise failures.refused("malformed", "the bearer token is empty or too large")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise failures.from_jwt_error(error) from error
    return header, claims
