"""Azure AD v2 access tokens, verified against a JWKS and discovery document served on loopback."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from nsaas.adapters.auth import azure_ad, failures, jwks
from nsaas.domain import errors, identity
from tests.auth import modes
from tests.auth import provider as local

KEYS_PATH = "/keys"


def verifier(
    provider: local.LocalProvider,
    http: httpx.AsyncClient,
    clock: modes.FakeClock,
    tmp_path: Path,
    registry: azure_ad.GroupRoles | None = None,
    **auth: object,
) -> azure_ad.AzureAdVerifier:
    settings = modes.azure(provider, tmp_path, **auth).auth
    cache = jwks.JwksCache(
        discovery_url=settings.azure_discovery_url,
        http=http,
        cache_seconds=settings.jwks_cache_seconds,
        min_refresh_seconds=30,
        clock=clock,
    )
    return azure_ad.AzureAdVerifier(settings=settings, keys=cache, registry=registry)


@pytest.fixture
def azure(
    provider: local.LocalProvider, http: httpx.AsyncClient, clock: modes.FakeClock, tmp_path: Path
) -> azure_ad.AzureAdVerifier:
    return verifier(provider, http, clock, tmp_path)


async def verify(azure: azure_ad.AzureAdVerifier, token: str) -> identity.Principal:
    return await azure.verify(token, jwt.get_unverified_header(token))


async def refusal(azure: azure_ad.AzureAdVerifier, token: str) -> str:
    with pytest.raises(errors.AuthenticationFailed) as caught:
        await verify(azure, token)
    return failures.reason_of(caught.value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWT with an empty signature, as an ``alg: none`` attacker would send it."""
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def hs256_with(secret: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """HS256 computed by hand: PyJWT itself refuses to use a PEM public key as an HMAC secret."""
    signing_input = unsigned(header, claims)[:-1]
    return f"{signing_input}.{_b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


async def test_a_valid_token_becomes_a_principal_with_the_roles_of_its_groups(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    token = provider.token(groups=["group-team-a-dev", "group-nobody-mapped"])
    caller = await verify(azure, token)
    assert caller.subject == "user-object-id"
    assert (caller.name, caller.email) == ("Dana Developer", "dana@example.com")
    assert caller.roles == frozenset({"team:team-a:developer"})
    assert caller.source == "azure-ad"


async def test_the_api_uri_form_of_the_audience_is_accepted(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    caller = await verify(azure, provider.token(aud=f"api://{local.CLIENT_ID}", groups=["group-platform-admins"]))
    assert caller.is_platform_admin


async def test_a_token_for_another_audience_is_refused(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    assert await refusal(azure, provider.token(aud="api://some-other-app")) == "wrong_audience"


async def test_a_token_of_another_tenant_is_refused(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    other = "https://login.microsoftonline.com/99999999-0000-0000-0000-000000000000/v2.0"
    assert await refusal(azure, provider.token(iss=other)) == "wrong_issuer"


async def test_an_expired_token_is_refused_beyond_the_clock_skew(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    now = dt.datetime.now(dt.UTC)
    assert await refusal(azure, provider.token(exp=now - dt.timedelta(seconds=120))) == "expired"
    within_skew = provider.token(exp=now - dt.timedelta(seconds=10))
    assert (await verify(azure, within_skew)).subject == "user-object-id"


async def test_a_token_that_is_not_valid_yet_is_refused(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    assert await refusal(azure, provider.token(nbf=later, iat=later)) == "not_yet_valid"


async def test_a_token_without_not_before_is_refused(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    assert await refusal(azure, provider.token(nbf=None)) == "missing_claim"


async def test_hs256_signed_with_the_public_key_is_refused_without_touching_the_keys(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    public_pem = (
        provider.keys["key-1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    claims = jwt.decode(provider.token(), options={"verify_signature": False})
    header = {"alg": "HS256", "kid": "key-1", "typ": "JWT"}
    forged = hs256_with(public_pem, header, claims)
    assert await refusal(azure, forged) == "algorithm_refused"
    assert provider.hits[KEYS_PATH] == 0


async def test_an_unsigned_alg_none_token_is_refused(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    claims = jwt.decode(provider.token(groups=["group-platform-admins"]), options={"verify_signature": False})
    assert await refusal(azure, unsigned({"alg": "none", "kid": "key-1"}, claims)) == "algorithm_refused"


async def test_a_tampered_payload_fails_the_signature_check(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    header, _, signature = provider.token().split(".")
    claims = jwt.decode(provider.token(groups=["group-platform-admins"]), options={"verify_signature": False})
    payload = unsigned({}, claims).split(".")[1]
    assert await refusal(azure, f"{header}.{payload}.{signature}") == "bad_signature"


async def test_many_tokens_cost_one_discovery_and_one_jwks_fetch(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    tokens = [provider.token(oid=f"user-{n}") for n in range(25)]
    callers = await asyncio.gather(*(verify(azure, token) for token in tokens))
    callers += [await verify(azure, token) for token in tokens]
    assert {caller.subject for caller in callers} == {f"user-{n}" for n in range(25)}
    assert provider.hits[KEYS_PATH] == 1
    assert provider.hits[local.discovery_path()] == 1


async def test_a_rotated_key_is_accepted_after_one_refetch(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider, clock: modes.FakeClock
) -> None:
    await verify(azure, provider.token(kid="key-1"))
    provider.published = ["key-1", "key-2"]
    clock.advance(31)
    caller = await verify(azure, provider.token(kid="key-2"))
    assert caller.subject == "user-object-id"
    assert provider.hits[KEYS_PATH] == 2


async def test_a_key_missing_from_the_refreshed_jwks_is_refused(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider, clock: modes.FakeClock
) -> None:
    await verify(azure, provider.token(kid="key-1"))
    clock.advance(31)
    assert await refusal(azure, provider.token(kid="key-3")) == "unknown_key"
    assert provider.hits[KEYS_PATH] == 2


async def test_a_burst_of_unknown_keys_triggers_a_single_refetch(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider, clock: modes.FakeClock
) -> None:
    await verify(azure, provider.token(kid="key-1"))
    clock.advance(31)
    forged = [provider.token(kid="key-3") for _ in range(20)]
    results = await asyncio.gather(*(verify(azure, token) for token in forged), return_exceptions=True)
    assert all(isinstance(result, errors.AuthenticationFailed) for result in results)
    assert await refusal(azure, provider.token(kid="key-3")) == "unknown_key"
    assert provider.hits[KEYS_PATH] == 2


async def test_keys_are_refetched_when_the_cache_expires(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider, clock: modes.FakeClock
) -> None:
    await verify(azure, provider.token())
    clock.advance(3600)
    await verify(azure, provider.token())
    assert provider.hits[KEYS_PATH] == 2


async def test_cached_keys_keep_working_while_the_provider_is_down(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider, clock: modes.FakeClock
) -> None:
    await verify(azure, provider.token())
    provider.failing = True
    clock.advance(3600)
    assert (await verify(azure, provider.token())).subject == "user-object-id"
    assert provider.hits[KEYS_PATH] == 1
    assert provider.hits[local.discovery_path()] == 2


async def test_without_any_keys_a_provider_outage_refuses_tokens(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    provider.failing = True
    assert await refusal(azure, provider.token()) == "jwks_unavailable"
    assert await refusal(azure, provider.token()) == "jwks_unavailable"
    assert provider.hits[local.discovery_path()] == 1


async def test_the_tenantid_placeholder_of_common_metadata_becomes_the_configured_tenant(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    provider.issuer = "https://login.microsoftonline.com/{tenantid}/v2.0"
    assert (await verify(azure, provider.token())).subject == "user-object-id"
    other = "https://login.microsoftonline.com/99999999-0000-0000-0000-000000000000/v2.0"
    assert await refusal(azure, provider.token(iss=other)) == "wrong_issuer"


async def test_a_token_with_group_overage_is_refused_with_a_reason(
    azure: azure_ad.AzureAdVerifier, provider: local.LocalProvider
) -> None:
    overage = provider.token(groups=None, _claim_names={"groups": "src1"}, _claim_sources={"src1": {}})
    assert await refusal(azure, overage) == "groups_overage"


async def test_app_roles_are_ignored_unless_enabled_and_then_only_nsaas_roles_count(
    provider: local.LocalProvider, http: httpx.AsyncClient, clock: modes.FakeClock, tmp_path: Path
) -> None:
    token = provider.token(groups=[], roles=["platform:viewer", "Task.Write"])
    assert (await verify(verifier(provider, http, clock, tmp_path), token)).roles == frozenset()
    enabled = verifier(provider, http, clock, tmp_path, azure_accept_app_roles=True)
    assert (await verify(enabled, token)).roles == frozenset({"platform:viewer"})


def test_a_misspelt_role_in_the_group_mapping_stops_the_start(
    provider: local.LocalProvider, http: httpx.AsyncClient, clock: modes.FakeClock, tmp_path: Path
) -> None:
    with pytest.raises(errors.ConfigurationError) as caught:
        verifier(provider, http, clock, tmp_path, group_roles={"g1": ["platform:admin"], "g2": ["platfrom:admin"]})
    assert list(caught.value.details) == ["NSAAS_AUTH__GROUP_ROLES[g2]"]


async def test_the_team_registry_adds_roles_for_its_groups_at_every_sign_in(
    provider: local.LocalProvider, http: httpx.AsyncClient, clock: modes.FakeClock, tmp_path: Path
) -> None:
    registry = {"group-team-c-owners": frozenset({"team:team-c:admin"})}
    asked: list[list[str]] = []

    async def from_registry(groups: Sequence[str]) -> frozenset[str]:
        asked.append(list(groups))
        return frozenset().union(*(registry.get(g, frozenset()) for g in groups))

    azure = verifier(provider, http, clock, tmp_path, registry=from_registry)
    token = provider.token(groups=["group-team-a-dev", "group-team-c-owners"])
    caller = await verify(azure, token)
    assert caller.roles == frozenset({"team:team-a:developer", "team:team-c:admin"})
    assert caller.is_team_admin("team-c")
    assert asked == [["group-team-a-dev", "group-team-c-owners"]]
    # The registry changes (the group is removed): the next sign-in with the same token sees it.
    registry.clear()
    assert (await verify(azure, token)).roles == frozenset({"team:team-a:developer"})
