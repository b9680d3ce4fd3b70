"""Platform service tokens: HS256 JWTs signed with ``jwt-secret`` for automation and workflow callbacks.

The contract (REFERENCE.md): issuer ``platform-api``, audience ``platform-users``, ``exp`` required;
nsaas also requires ``sub`` and carries the caller's roles in a ``roles`` list of role strings. A
token with any unknown role is refused whole (``invalid_roles``) rather than trimmed, so a typo
in an automation's token shows up as a 401 instead of as mysteriously missing permissions.

The secret is ``auth.jwt_secret`` (at least 32 characters). In dev mode with no secret set it is
derived from the dev signing key (:func:`nsaas.adapters.auth.dev.platform_secret`), so
``nsaas token --subject`` and ``nsaas dev`` agree without any configuration.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import jwt

from nsaas import config
from nsaas.adapters.auth import dev, failures
from nsaas.domain import errors, identity

ALGORITHM = "HS256"
MAX_TTL_SECONDS = 366 * 24 * 3600


def secret(settings: config.Settings) -> str:
    """The HMAC secret: configured, or derived from the dev key in dev mode; else ConfigurationError."""
    configured = settings.auth.jwt_secret.get_secret_value()
    if not configured and settings.dev_mode:
        return dev.platform_secret(settings)
    if len(configured) < config.MIN_SECRET_LENGTH:
        raise errors.ConfigurationError(
            "platform service tokens need a JWT secret",
            details={"NSAAS_AUTH__JWT_SECRET": f"must be set to at least {config.MIN_SECRET_LENGTH} characters"},
        )
    return configured


class PlatformTokens:
    """Mints and verifies service tokens with one secret, issuer and audience."""

    def __init__(self, *, secret: str, issuer: str, audience: str, leeway: int) -> None:
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway

    @classmethod
    def from_settings(cls, settings: config.Settings) -> PlatformTokens:
        auth = settings.auth
        return cls(
            secret=secret(settings),
            issuer=auth.platform_token_issuer,
            audience=auth.platform_token_audience,
            leeway=auth.clock_skew_seconds,
        )

    @property
    def issuer(self) -> str:
        return self._issuer

    def mint(self, *, subject: str, roles: Iterable[str], ttl_seconds: int, name: str | None = None) -> str:
        """A signed token for ``subject``; raises ValidationFailed for a bad subject, role or ttl."""
        parsed = _checked(subject=subject, roles=roles, ttl_seconds=ttl_seconds)
        now = dt.datetime.now(dt.UTC)
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + dt.timedelta(seconds=ttl_seconds),
            "jti": secrets.token_hex(16),
            "roles": sorted(parsed),
        }
        if name:
            claims["name"] = name
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> identity.Principal:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise failures.from_jwt_error(error) from error
        return _principal(claims)


def _checked(*, subject: str, roles: Iterable[str], ttl_seconds: int) -> frozenset[str]:
    problems: dict[str, str] = {}
    if not subject.strip():
        problems["subject"] = "is empty"
    if not 1 <= ttl_seconds <= MAX_TTL_SECONDS:
        problems["ttl"] = f"must be between 1 and {MAX_TTL_SECONDS} seconds"
    try:
        parsed = identity.parse_roles(roles)
    except errors.ValidationFailed as error:
        parsed, problems["roles"] = frozenset(), error.message
    else:
        if not parsed:
            problems["roles"] = "give at least one role"
    if problems:
        raise errors.ValidationFailed("cannot mint a platform token", details=problems)
    return parsed


def _principal(claims: Mapping[str, Any]) -> identity.Principal:
    raw = claims.get("roles", [])
    if not isinstance(raw, list):
        raise failures.refused("invalid_roles", "the token's roles claim must be a list of role strings")
    try:
        roles = identity.parse_roles(raw)
    except errors.ValidationFailed as error:
        raise failures.refused("invalid_roles", f"the token carries {error.message}") from error
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.strip():
        raise failures.refused("missing_claim", "the token's subject is empty")
    name = claims.get("name")
    return identity.Principal(
        subject=subject,
        name=name if isinstance(name, str) and name else subject,
        roles=roles,
        source="platform-token",
    )


def mint(settings: config.Settings, *, subject: str, roles: Iterable[str], ttl_seconds: int) -> str:
    """Convenience for the CLI: a token signed with the configured (or dev-derived) secret."""
    return PlatformTokens.from_settings(settings).mint(subject=subject, roles=roles, ttl_seconds=ttl_seconds)


def verify(settings: config.Settings, token: str) -> identity.Principal:
    return PlatformTokens.from_settings(settings).verify(token)
