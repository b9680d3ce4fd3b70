"""The API's one entry point: each kind of token reaches its verifier, and only in the modes that allow it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest

from nsaas import config, metrics
from nsaas.adapters.auth import authenticator, dev, failures, platform_tokens
from nsaas.domain import errors
from tests.auth import modes
from tests.auth import provider as local


@pytest.fixture
async def azure_mode(
    provider: local.LocalProvider, http: httpx.AsyncClient, tmp_path: Path
) -> AsyncIterator[authenticator.Authenticator]:
    auth = authenticator.Authenticator.from_settings(modes.azure(provider, tmp_path), http_client=http)
    yield auth
    await auth.aclose()


@pytest.fixture
async def dev_mode(tmp_path: Path) -> AsyncIterator[authenticator.Authenticator]:
    auth = authenticator.Authenticator.from_settings(modes.dev(tmp_path))
    yield auth
    await auth.aclose()


async def refusal(auth: authenticator.Authenticator, token: str) -> str:
    with pytest.raises(errors.AuthenticationFailed) as caught:
        await auth.authenticate(token)
    return failures.reason_of(caught.value)


def failures_counted(reason: str) -> float:
    return metrics.REGISTRY.get_sample_value("nsaas_auth_failures_total", {"reason": reason}) or 0.0


async def test_an_azure_token_with_the_bearer_prefix_is_authenticated(
    azure_mode: authenticator.Authenticator, provider: local.LocalProvider
) -> None:
    caller = await azure_mode.authenticate(f"Bearer {provider.token()}")
    assert (caller.source, caller.roles) == ("azure-ad", frozenset({"team:team-a:developer"}))


async def test_a_platform_service_token_is_authenticated_beside_azure_ad(
    azure_mode: authenticator.Authenticator, provider: local.LocalProvider, tmp_path: Path
) -> None:
    token = platform_tokens.mint(
        modes.azure(provider, tmp_path), subject="argo", roles=["platform:engineer"], ttl_seconds=60
    )
    caller = await azure_mode.authenticate(token)
    assert (caller.source, caller.subject) == ("platform-token", "argo")


async def test_a_dev_token_is_refused_and_counted_outside_dev_mode(
    azure_mode: authenticator.Authenticator, tmp_path: Path
) -> None:
    before = failures_counted("dev_mode_disabled")
    token = dev.DevSigner.load_or_create(modes.dev(tmp_path / "dev")).token_for("platform-admin")
    assert await refusal(azure_mode, token) == "dev_mode_disabled"
    assert failures_counted("dev_mode_disabled") == before + 1


async def test_an_rs256_token_claiming_the_platform_issuer_is_refused(
    azure_mode: authenticator.Authenticator, provider: local.LocalProvider
) -> None:
    assert await refusal(azure_mode, provider.token(iss="platform-api", aud="platform-users")) == "algorithm_refused"


async def test_garbage_is_refused_as_malformed(azure_mode: authenticator.Authenticator) -> None:
    assert await refusal(azure_mode, "not-a-jwt") == "malformed"
    assert await refusal(azure_mode, "Bearer ") == "malformed"


async def test_in_dev_mode_personas_and_service_tokens_work_without_any_secret(
    dev_mode: authenticator.Authenticator, tmp_path: Path
) -> None:
    persona = dev.DevSigner.load_or_create(modes.dev(tmp_path)).token_for("team-b-admin")
    assert (await dev_mode.authenticate(persona)).roles == frozenset({"team:team-b:admin"})
    service = platform_tokens.mint(modes.dev(tmp_path), subject="bot", roles=["platform:viewer"], ttl_seconds=60)
    assert (await dev_mode.authenticate(service)).source == "platform-token"


async def test_dev_mode_without_a_tenant_refuses_other_issuers(
    dev_mode: authenticator.Authenticator, provider: local.LocalProvider
) -> None:
    assert await refusal(dev_mode, provider.token()) == "unknown_issuer"


async def test_without_a_secret_outside_dev_mode_service_tokens_are_disabled(
    provider: local.LocalProvider, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    forged = jwt.encode(
        {"iss": "platform-api", "aud": "platform-users", "sub": "x", "exp": 4_000_000_000}, "k" * 40, algorithm="HS256"
    )
    auth = authenticator.Authenticator.from_settings(modes.azure(provider, tmp_path, jwt_secret=""), http_client=http)
    assert await refusal(auth, forged) == "platform_tokens_disabled"
    await auth.aclose()


async def test_an_authenticator_owning_its_http_client_fetches_keys_and_closes_cleanly(
    provider: local.LocalProvider, tmp_path: Path
) -> None:
    auth = authenticator.Authenticator.from_settings(modes.azure(provider, tmp_path))
    assert (await auth.authenticate(provider.token())).subject == "user-object-id"
    await auth.aclose()


def test_azure_ad_without_an_audience_is_a_configuration_error(tmp_path: Path) -> None:
    settings = config.Settings(
        auth_mode="azure-ad", data_dir=tmp_path, auth=config.AuthSettings(azure_tenant_id=local.TENANT)
    )
    with pytest.raises(errors.ConfigurationError) as caught:
        authenticator.Authenticator.from_settings(settings)
    assert "NSAAS_AUTH__AZURE_CLIENT_ID" in caught.value.details
