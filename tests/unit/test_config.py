"""Secrets have no usable defaults outside dev mode."""

from __future__ import annotations

import pytest

from nsaas import config
from nsaas.domain import errors


def test_production_start_without_secrets_names_each_missing_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSAAS_AUTH_MODE", "azure-ad")
    settings = config.Settings()
    with pytest.raises(errors.ConfigurationError) as caught:
        settings.check_production(needs=("jwt_secret", "session_secret"))
    assert set(caught.value.details) == {
        "NSAAS_AUTH__JWT_SECRET",
        "NSAAS_UI__SESSION_SECRET",
        "NSAAS_AUTH__AZURE_TENANT_ID",
    }


def test_known_default_and_short_secrets_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSAAS_AUTH__JWT_SECRET", "changeme")
    monkeypatch.setenv("NSAAS_AUTH__AZURE_TENANT_ID", "tenant")
    with pytest.raises(errors.ConfigurationError, match="known default"):
        config.Settings().check_production()
    monkeypatch.setenv("NSAAS_AUTH__JWT_SECRET", "short-but-not-default")
    with pytest.raises(errors.ConfigurationError, match="at least 32"):
        config.Settings().check_production()


def test_strong_secret_passes_and_dev_mode_needs_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSAAS_AUTH__JWT_SECRET", "x" * 40)
    monkeypatch.setenv("NSAAS_AUTH__AZURE_TENANT_ID", "tenant")
    config.Settings().check_production()
    monkeypatch.setenv("NSAAS_AUTH_MODE", "dev")
    monkeypatch.delenv("NSAAS_AUTH__JWT_SECRET")
    config.Settings().check_production()


def test_nested_settings_come_from_double_underscore_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSAAS_POLICY__TEAM_NAMESPACE_CAP", "3")
    monkeypatch.setenv("NSAAS_DATABASE_URL", "postgresql+asyncpg://h/db")
    settings = config.Settings()
    assert settings.policy.team_namespace_cap == 3
    assert settings.resolved_database_url() == "postgresql+asyncpg://h/db"


def test_the_configuration_reference_is_generated_from_the_settings() -> None:
    from pathlib import Path

    committed = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    assert committed == config.reference_markdown(), "regenerate: nsaas config-reference > docs/configuration.md"
