"""``nsaas dev --kubeconfig`` refuses a cluster that lacks an API group nsaas needs, and names it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lightkube import AsyncClient, KubeConfig
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

from nsaas.adapters.kube import client as kube_client
from nsaas.adapters.kube import cluster
from nsaas.cli import dev
from nsaas.sim import server
from tests.kube.conftest import cluster_settings


@pytest.fixture
async def private_sim(tmp_path: Path) -> AsyncIterator[tuple[server.Simulator, Path]]:
    """A simulator of this test's own: it loses CRDs, which the shared one must keep."""
    sim = server.Simulator()
    await sim.start()
    yield sim, sim.write_kubeconfig(tmp_path / "kubeconfig.yaml")
    await sim.stop()


def test_the_argo_engine_needs_argo_and_both_need_every_bundle_kind() -> None:
    direct, argo = kube_client.required_api_versions("direct"), kube_client.required_api_versions("argo")
    assert {"v1", "rbac.authorization.k8s.io/v1", "velero.io/v1", "security.istio.io/v1"} <= direct
    assert argo - direct == {"argoproj.io/v1alpha1"}


async def test_a_cluster_without_the_velero_and_argo_crds_is_refused_naming_them(
    private_sim: tuple[server.Simulator, Path],
) -> None:
    _, kubeconfig = private_sim
    adapter = cluster.Cluster.from_settings(cluster_settings(kubeconfig))
    try:
        await dev.check_api_groups(adapter, engine="argo")  # everything is there
        async with AsyncClient(KubeConfig.from_file(str(kubeconfig)).get()) as admin:
            for crd in ("schedules.velero.io", "workflows.argoproj.io", "workflowtemplates.argoproj.io"):
                await admin.delete(CustomResourceDefinition, crd)
        with pytest.raises(dev.MissingAPIGroups, match=r"argoproj.io/v1alpha1, velero.io/v1$"):
            await dev.check_api_groups(adapter, engine="argo")
        with pytest.raises(dev.MissingAPIGroups, match=r"needs \(install their CRDs\): velero.io/v1$"):
            await dev.check_api_groups(adapter, engine="direct")
    finally:
        await adapter.aclose()
