"""Azure AD (Entra ID) v2 access tokens -> :class:`identity.Principal`.

What is checked, and why:

* RS256 only, with a key from the tenant's JWKS (:mod:`nsaas.adapters.auth.jwks`). The header's
  ``alg`` is refused before any key is touched, so ``none`` and the HS256-with-the-public-key
  confusion never reach a verifier.
* ``iss`` must be the discovery document's issuer (its ``{tenantid}`` placeholder, present for
  ``common``/``organizations`` metadata, replaced by the configured tenant): tokens of other
  tenants are refused even though Microsoft signs them with the same keys.
* ``aud`` must name this API: ``azure_audience`` if set, ``api://<client id>`` or the client id.
* ``exp`` and ``nbf`` are required and checked with ``clock_skew_seconds`` of leeway.

Roles come from configuration and the team registry, never from display names: each group object
ID in ``groups`` maps to roles through ``auth.group_roles`` (validated at start-up) and through the
teams whose owner or member groups name it (read at every sign-in, so a registry change applies at
once). The ``roles`` claim (app roles assigned in the app registration) is ignored unless
``auth.azure_accept_app_roles`` is set, and then only values that are nsaas role strings count;
other app roles are ignored, not fatal. A token with group overage (``_claim_names``: the user is
in too many groups for the token) is refused with ``groups_overage``: nsaas does not call Microsoft
Graph, so configure the app registration to emit only groups assigned to the application.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import jwt

from nsaas import config
from nsaas.adapters.auth import failures, jwks
from nsaas.domain import errors, identity

#: The team registry's roles for a caller's groups (``nsaas.services.teams.TeamService.roles_for_groups``).
GroupRoles = Callable[[Sequence[str]], Awaitable[frozenset[str]]]
DISCOVERY_URL = "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"


def discovery_url(settings: config.AuthSettings) -> str:
    if settings.azure_discovery_url:
        return settings.azure_discovery_url
    if not settings.azure_tenant_id:
        raise errors.ConfigurationError(
            "Azure AD needs a tenant", details={"NSAAS_AUTH__AZURE_TENANT_ID": "is required for azure-ad tokens"}
        )
    return DISCOVERY_URL.format(tenant=settings.azure_tenant_id)


def audiences(settings: config.AuthSettings) -> list[str]:
    found = [settings.azure_audience] if settings.azure_audience else []
    if settings.azure_client_id:
        found += [f"api://{settings.azure_client_id}", settings.azure_client_id]
    if not found:
        raise errors.ConfigurationError(
            "Azure AD needs an audience",
            details={"NSAAS_AUTH__AZURE_CLIENT_ID": "set it (or NSAAS_AUTH__AZURE_AUDIENCE) to this API's app"},
        )
    return found


def group_roles(settings: config.AuthSettings) -> dict[str, frozenset[str]]:
    """The group mapping, every role parsed: a typo in configuration stops the start, not a login."""
    mapping: dict[str, frozenset[str]] = {}
    problems: dict[str, str] = {}
    for group, roles in settings.group_roles.items():
        try:
            mapping[group] = identity.parse_roles(roles)
        except errors.ValidationFailed as error:
            problems[f"NSAAS_AUTH__GROUP_ROLES[{group}]"] = error.message
    if problems:
        raise errors.ConfigurationError("invalid group role mapping", details=problems)
    return mapping


class AzureAdVerifier:
    """Verifies one tenant's access tokens; share one instance per process (it owns the key cache)."""

    def __init__(
        self, *, settings: config.AuthSettings, keys: jwks.JwksCache, registry: GroupRoles | None = None
    ) -> None:
        self._keys = keys
        self._registry = registry
        self._tenant = settings.azure_tenant_id
        self._audiences = audiences(settings)
        self._group_roles = group_roles(settings)
        self._leeway = settings.clock_skew_seconds
        self._accept_app_roles = settings.azure_accept_app_roles

    async def verify(self, token: str, header: Mapping[str, Any]) -> identity.Principal:
        """``header`` is the token's unverified header (the caller already parsed it to route)."""
        if header.get("alg") != jwks.ALGORITHM:
            raise failures.refused("algorithm_refused", f"Azure AD tokens must be signed with {jwks.ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise failures.refused("malformed", "the token header has no key id (kid)")
        issuer, key = await self._keys.key(kid)
        claims = self._decode(token, key=key, issuer=self._expected_issuer(issuer))
        principal = self._principal(claims)
        if self._registry is None:
            return principal
        extra = await self._registry(_strings(claims.get("groups")))
        return dataclasses.replace(principal, roles=principal.roles | extra) if extra - principal.roles else principal

    def _expected_issuer(self, announced: str) -> str:
        if "{tenantid}" not in announced:
            return announced
        if not self._tenant:
            raise errors.ConfigurationError(
                "multi-tenant discovery needs a tenant",
                details={"NSAAS_AUTH__AZURE_TENANT_ID": "is required with a {tenantid} issuer"},
            )
        return announced.replace("{tenantid}", self._tenant)

    def _decode(self, token: str, *, key: jwt.PyJWK, issuer: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[jwks.ALGORITHM],
                audience=self._audiences,
                issuer=issuer,
                leeway=self._leeway,
                options={"require": ["exp", "nbf", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise failures.from_jwt_error(error) from error

    def _principal(self, claims: Mapping[str, Any]) -> identity.Principal:
        subject = claims.get("oid") or claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise failures.refused("missing_claim", "the token has neither oid nor sub")
        email = _first_string(claims, "email", "preferred_username", "upn")
        name = _first_string(claims, "name") or email or subject
        return identity.Principal(subject=subject, name=name, email=email, roles=self._roles(claims), source="azure-ad")

    def _roles(self, claims: Mapping[str, Any]) -> frozenset[str]:
        if "groups" in (claims.get("_claim_names") or {}) or claims.get("hasgroups"):
            raise failures.refused(
                "groups_overage",
                "the token lists no groups because the user is in too many; emit only groups assigned to the app",
            )
        roles: set[str] = set()
        for group in _strings(claims.get("groups")):
            roles |= self._group_roles.get(group, frozenset())
        if self._accept_app_roles:
            roles |= {role for role in _strings(claims.get("roles")) if _is_role(role)}
        return frozenset(roles)


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _first_string(claims: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _is_role(text: str) -> bool:
    try:
        identity.parse_role(text)
    except errors.ValidationFailed:
        return False
    return True
