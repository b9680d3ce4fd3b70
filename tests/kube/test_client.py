"""Client construction and the resource classes behind every kind a bundle may hold."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nsaas import config
from nsaas.adapters.kube import client, compare
from nsaas.domain import errors
from tests.kube.conftest import render_bundle


def _kubeconfig(path: Path) -> Path:
    contexts = [("a", "https://a.example:6443"), ("b", "https://b.example:6443")]
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": n, "cluster": {"server": url}} for n, url in contexts],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": n, "context": {"cluster": n, "user": "u"}} for n, _ in contexts],
                "current-context": "a",
            }
        )
    )
    return path


async def test_an_explicit_kubeconfig_and_context_are_honoured(tmp_path: Path) -> None:
    settings = config.Settings(
        kubeconfig=str(_kubeconfig(tmp_path / "kc")), cluster=config.ClusterSettings(context="b")
    )
    lk = client.connect(settings=settings)
    try:
        assert lk.config.context_name == "b"
        assert lk.config.cluster.server == "https://b.example:6443"
    finally:
        await lk.aclose()


def test_a_missing_kubeconfig_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigurationError, match="not found"):
        client.connect(settings=config.Settings(kubeconfig=str(tmp_path / "absent")))


def test_an_unknown_context_is_a_configuration_error(tmp_path: Path) -> None:
    settings = config.Settings(
        kubeconfig=str(_kubeconfig(tmp_path / "kc")), cluster=config.ClusterSettings(context="z")
    )
    with pytest.raises(errors.ConfigurationError, match="'z' not found"):
        client.connect(settings=settings)


def test_every_rendered_object_survives_the_lightkube_models_unchanged() -> None:
    """Built-in kinds go through typed models: a field they dropped would look like permanent drift."""
    features = ("istio-injection", "monitoring-enhanced", "backup-enabled", "database-access", "external-ingress")
    bundle = render_bundle("roundtrip", features=features)
    for manifest in bundle.manifests:
        round_tripped = client.to_manifest(client.from_manifest(manifest))
        assert compare.differences(manifest, round_tripped) == [], manifest["kind"]


def test_only_kinds_the_platform_manages_have_resource_classes() -> None:
    assert client.resource_class("argoproj.io/v1alpha1", "Workflow").__name__ == "Workflow"
    with pytest.raises(errors.ClusterRejected):
        client.resource_class("v1", "Secret")


def test_the_connection_pool_follows_the_worker_concurrency_unless_set() -> None:
    assert client.pool_size(config.Settings(engines=config.EngineSettings(max_concurrent_steps=7))) == 7
    explicit = config.Settings(
        engines=config.EngineSettings(max_concurrent_steps=7), cluster=config.ClusterSettings(max_connections=50)
    )
    assert client.pool_size(explicit) == 50
