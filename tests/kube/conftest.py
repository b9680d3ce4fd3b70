"""Fixtures of the adapter conformance suite: one Cluster per test, unique namespaces, cleanup.

The suite runs against the embedded simulator by default and against a real cluster when
``NSAAS_E2E_KUBECONFIG`` is set: both come in through the ``kubeconfig_path`` fixture of
``tests/support/cluster.py``, so the tests themselves never know which one they talk to.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from lightkube import ApiError, AsyncClient, KubeConfig
from lightkube.config import client_adapter
from lightkube.resources.core_v1 import Namespace

from nsaas import config
from nsaas.adapters.kube import cluster
from nsaas.bundle import model, render
from nsaas.domain import requests

REAL_CLUSTER = bool(os.environ.get("NSAAS_E2E_KUBECONFIG"))


def cluster_settings(kubeconfig: str | Path, **overrides: Any) -> config.Settings:
    """Fast retries for tests (milliseconds, not seconds), the rest as in production."""
    base: dict[str, Any] = {"backoff_base_seconds": 0.001, "backoff_max_seconds": 0.01, "max_retries": 5}
    return config.Settings(kubeconfig=str(kubeconfig), cluster=config.ClusterSettings(**{**base, **overrides}))


@pytest.fixture
async def kube(kubeconfig_path: str | Path) -> AsyncIterator[cluster.Cluster]:
    adapter = cluster.Cluster.from_settings(cluster_settings(kubeconfig_path))
    yield adapter
    await adapter.aclose()


@pytest.fixture
async def tenant(kubeconfig_path: str | Path) -> AsyncIterator[AsyncClient]:
    """A plain lightkube client acting out of band (a tenant with kubectl, another tool)."""
    single = KubeConfig.from_file(str(kubeconfig_path)).get()
    client = AsyncClient(single, field_manager="tenant-kubectl")
    yield client
    await client.aclose()


@pytest.fixture
async def namespace_names(tenant: AsyncClient) -> AsyncIterator[Callable[[str], str]]:
    """Unique namespace names; every namespace handed out is deleted after the test."""
    names: list[str] = []

    def new(prefix: str = "kt") -> str:
        names.append(f"{prefix}-{uuid.uuid4().hex[:10]}")
        return names[-1]

    yield new
    for name in names:
        try:
            await tenant.delete(Namespace, name)
        except ApiError as exc:
            if exc.status.code != 404:
                raise


def render_bundle(
    name: str, *, request_id: str = "req-1", features: tuple[str, ...] = (), **settings: Any
) -> model.Bundle:
    """A real bundle from the renderer; without features it holds only built-in kinds."""
    spec = requests.NamespaceSpec(
        name=name,
        team="team-a",
        environment="development",
        tier="small",
        network_policy="isolated",
        features=features,  # type: ignore[arg-type]
    )
    nsaas_settings = config.Settings(bundle=config.BundleSettings(**settings)) if settings else config.Settings()
    return render.render_bundle(spec, nsaas_settings, request_id=request_id, requested_by="alice@example.com")


def without(bundle: model.Bundle, *, kind: str, name: str) -> model.Bundle:
    """The same bundle minus one object (what a changed request would render)."""
    kept = tuple(m for m in bundle.manifests if not (m["kind"] == kind and m["metadata"]["name"] == name))
    assert len(kept) == len(bundle.manifests) - 1
    return model.Bundle(
        namespace=bundle.namespace,
        request_id=bundle.request_id,
        manifests=kept,
        digest=bundle.digest + "-changed",
        selector=bundle.selector,
        extra_namespaces=bundle.extra_namespaces,
    )


class SimControl:
    """The simulator's test-only control API (``/_sim``), reached with the kubeconfig's token."""

    def __init__(self, kubeconfig: str | Path) -> None:
        single = KubeConfig.from_file(str(kubeconfig)).get()
        assert single is not None
        # lightkube's own adapter: same server, CA trust and bearer token as the kubeconfig.
        self._http = client_adapter.AsyncClient(single, client_adapter.ConnectionParams())

    async def faults(self, *rules: dict[str, Any], seed: int = 1) -> None:
        response = await self._http.post("/_sim/faults", json={"rules": list(rules), "seed": seed})
        response.raise_for_status()

    async def clear(self) -> None:
        (await self._http.delete("/_sim/faults")).raise_for_status()

    async def requests_served(self) -> int:
        response = await self._http.get("/_sim/stats")
        response.raise_for_status()
        return sum(response.json()["requests"].values())

    async def injected(self, error: str) -> int:
        """How many faults of this kind the simulator has injected so far."""
        response = await self._http.get("/_sim/stats")
        response.raise_for_status()
        return int(response.json()["faultsInjected"].get(error, 0))

    async def aclose(self) -> None:
        await self._http.aclose()


@pytest.fixture
async def sim(kubeconfig_path: str | Path) -> AsyncIterator[SimControl]:
    if REAL_CLUSTER:
        pytest.skip("fault injection needs the simulator; NSAAS_E2E_KUBECONFIG points at a real cluster")
    control = SimControl(kubeconfig_path)
    yield control
    await control.clear()
    await control.aclose()
