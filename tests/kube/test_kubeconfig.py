"""The access handover reads the platform's own kubeconfig with the loader the client connects with."""

from __future__ import annotations

from pathlib import Path

import yaml

from nsaas import config
from nsaas.adapters.kube import kubeconfig


def _write(path: Path) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "a",
        "clusters": [
            {"name": "ca", "cluster": {"server": "https://a.example:6443", "certificate-authority-data": "QUJD"}},
            {"name": "cb", "cluster": {"server": "https://b.example:6443"}},
        ],
        "users": [{"name": "ua", "user": {"token": "token-a"}}, {"name": "ub", "user": {"exec": None}}],
        "contexts": [
            {"name": "a", "context": {"cluster": "ca", "user": "ua"}},
            {"name": "b", "context": {"cluster": "cb", "user": "ub"}},
        ],
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def _settings(path: Path | str | None, context: str | None = None) -> config.Settings:
    return config.Settings(auth_mode="dev", kubeconfig=str(path) if path else "", cluster={"context": context})


def test_the_current_context_gives_server_ca_and_token(tmp_path: Path) -> None:
    endpoint = kubeconfig.platform_endpoint(_settings(_write(tmp_path / "kubeconfig")))
    assert endpoint is not None
    assert (endpoint.server, endpoint.certificate_authority_data, endpoint.token) == (
        "https://a.example:6443",
        "QUJD",
        "token-a",
    )


def test_the_configured_context_wins_and_a_user_without_a_token_gives_none(tmp_path: Path) -> None:
    endpoint = kubeconfig.platform_endpoint(_settings(_write(tmp_path / "kubeconfig"), context="b"))
    assert endpoint is not None
    assert (endpoint.server, endpoint.certificate_authority_data, endpoint.token) == (
        "https://b.example:6443",
        "",
        None,
    )


def test_no_kubeconfig_a_missing_file_or_an_unknown_context_give_no_endpoint(tmp_path: Path) -> None:
    assert kubeconfig.platform_endpoint(_settings(None)) is None
    assert kubeconfig.platform_endpoint(_settings(tmp_path / "absent")) is None
    assert kubeconfig.platform_endpoint(_settings(_write(tmp_path / "kubeconfig"), context="nope")) is None
    (tmp_path / "broken").write_text("clusters: [")
    assert kubeconfig.platform_endpoint(_settings(tmp_path / "broken")) is None
