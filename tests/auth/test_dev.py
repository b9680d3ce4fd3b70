"""Dev login: a local key created once, personas with fixed roles, nothing outside dev mode."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from nsaas import config
from nsaas.adapters.auth import dev, failures
from nsaas.domain import errors
from tests.auth import modes

EXPECTED_PERSONA_ROLES = {
    "platform-admin": {"platform:admin"},
    "team-a-admin": {"team:team-a:admin"},
    "team-a-developer": {"team:team-a:developer"},
    "team-b-admin": {"team:team-b:admin"},
    "team-b-developer": {"team:team-b:developer"},
    "viewer": {"platform:viewer"},
    "security-admin": {"security:admin"},
}


@pytest.fixture
def signer(tmp_path: Path) -> dev.DevSigner:
    return dev.DevSigner.load_or_create(modes.dev(tmp_path))


@pytest.mark.parametrize(("persona", "roles"), sorted(EXPECTED_PERSONA_ROLES.items()))
def test_each_persona_token_carries_that_personas_roles(signer: dev.DevSigner, persona: str, roles: set[str]) -> None:
    caller = signer.verify(signer.token_for(persona))
    assert caller.roles == roles
    assert caller.subject == f"dev:{persona}"
    assert caller.source == "dev"


def test_the_documented_personas_all_exist() -> None:
    assert set(dev.PERSONAS) == set(EXPECTED_PERSONA_ROLES)


def test_the_dev_key_is_created_once_private_to_its_owner_and_reused(tmp_path: Path) -> None:
    first = dev.DevSigner.load_or_create(modes.dev(tmp_path))
    key_file = tmp_path / dev.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = dev.DevSigner.load_or_create(modes.dev(tmp_path))
    assert again.kid == first.kid
    assert again.verify(first.token_for("viewer")).roles == {"platform:viewer"}
    assert [path.name for path in tmp_path.iterdir()] == [dev.KEY_FILE]


def test_outside_dev_mode_the_dev_key_is_neither_created_nor_loaded(tmp_path: Path) -> None:
    settings = config.Settings(auth_mode="azure-ad", data_dir=tmp_path)
    with pytest.raises(errors.ConfigurationError) as caught:
        dev.DevSigner.load_or_create(settings)
    assert "NSAAS_AUTH_MODE" in caught.value.details
    assert not (tmp_path / dev.KEY_FILE).exists()


def test_a_token_from_another_data_directorys_key_is_refused(tmp_path: Path, signer: dev.DevSigner) -> None:
    stranger = dev.DevSigner.load_or_create(modes.dev(tmp_path / "elsewhere"))
    with pytest.raises(errors.AuthenticationFailed) as caught:
        signer.verify(stranger.token_for("platform-admin"))
    assert failures.reason_of(caught.value) == "bad_signature"


def test_an_unknown_persona_is_refused_with_the_list_of_known_ones(signer: dev.DevSigner) -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        signer.token_for("root")
    assert "team-a-admin" in caught.value.details["persona"]


def test_a_corrupt_dev_key_is_a_configuration_error_that_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / dev.KEY_FILE).write_text("not a key")
    with pytest.raises(errors.ConfigurationError, match="delete it"):
        dev.DevSigner.load_or_create(modes.dev(tmp_path))
