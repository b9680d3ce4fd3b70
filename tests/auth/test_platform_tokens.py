"""Platform service tokens: HS256, issuer platform-api, audience platform-users, exp and sub required."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jwt
import pytest

from nsaas import config
from nsaas.adapters.auth import failures, platform_tokens
from nsaas.domain import errors
from tests.auth import modes


def tokens() -> platform_tokens.PlatformTokens:
    return platform_tokens.PlatformTokens(
        secret=modes.JWT_SECRET, issuer="platform-api", audience="platform-users", leeway=0
    )


def signed(**overrides: Any) -> str:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "iss": "platform-api",
        "aud": "platform-users",
        "sub": "argo-callback",
        "exp": now + dt.timedelta(minutes=5),
        "roles": ["platform:engineer"],
    }
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, modes.JWT_SECRET, algorithm="HS256")


def refusal(token: str) -> str:
    with pytest.raises(errors.AuthenticationFailed) as caught:
        tokens().verify(token)
    return failures.reason_of(caught.value)


def test_a_minted_token_verifies_to_its_subject_and_roles() -> None:
    token = tokens().mint(subject="ci-bot", roles=["team:team-a:developer", "platform:viewer"], ttl_seconds=60)
    caller = tokens().verify(token)
    assert caller.subject == "ci-bot"
    assert caller.roles == frozenset({"team:team-a:developer", "platform:viewer"})
    assert caller.source == "platform-token"
    assert caller.teams == frozenset({"team-a"})


def test_the_minted_token_carries_the_contract_claims() -> None:
    token = tokens().mint(subject="ci-bot", roles=["platform:viewer"], ttl_seconds=60)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == ("platform-api", "platform-users")
    assert claims["exp"] - claims["iat"] == 60


def test_an_expired_token_is_refused() -> None:
    assert refusal(signed(exp=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))) == "expired"


def test_a_token_for_another_audience_is_refused() -> None:
    assert refusal(signed(aud="someone-else")) == "wrong_audience"


def test_a_token_without_exp_is_refused_even_with_a_good_signature() -> None:
    assert refusal(signed(exp=None)) == "missing_claim"


def test_a_token_without_subject_is_refused() -> None:
    assert refusal(signed(sub=None)) == "missing_claim"


def test_a_token_signed_with_another_secret_is_refused() -> None:
    forged = jwt.encode(
        {"iss": "platform-api", "aud": "platform-users", "sub": "x", "exp": 4_000_000_000, "roles": []},
        "another-secret-that-is-long-enough-too",
        algorithm="HS256",
    )
    assert refusal(forged) == "bad_signature"


def test_a_token_with_an_unknown_role_is_refused_whole() -> None:
    assert refusal(signed(roles=["platform:viewer", "platform:god"])) == "invalid_roles"


def test_minting_names_every_bad_input() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        tokens().mint(subject=" ", roles=["nobody"], ttl_seconds=0)
    assert set(caught.value.details) == {"subject", "ttl", "roles"}


def test_without_a_strong_secret_outside_dev_mode_service_tokens_are_a_configuration_error(tmp_path: Path) -> None:
    settings = config.Settings(auth_mode="azure-ad", data_dir=tmp_path, auth=config.AuthSettings(jwt_secret="short"))
    with pytest.raises(errors.ConfigurationError) as caught:
        platform_tokens.mint(settings, subject="bot", roles=["platform:viewer"], ttl_seconds=60)
    assert "NSAAS_AUTH__JWT_SECRET" in caught.value.details


def test_dev_mode_derives_a_stable_secret_from_the_dev_key(tmp_path: Path) -> None:
    token = platform_tokens.mint(modes.dev(tmp_path), subject="bot", roles=["platform:viewer"], ttl_seconds=60)
    assert platform_tokens.verify(modes.dev(tmp_path), token).subject == "bot"
    with pytest.raises(errors.AuthenticationFailed):
        platform_tokens.verify(modes.dev(tmp_path / "other"), token)
