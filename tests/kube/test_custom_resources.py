"""Custom resources (Istio, Prometheus operator, External Secrets, Velero, Argo) through the adapter.

Against a real cluster these need the CRDs installed; where they are not, the tests skip with
the adapter's own report of what the cluster does not serve.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from nsaas.adapters.kube import cluster, results
from nsaas.domain import errors
from tests.kube.conftest import REAL_CLUSTER, SimControl, render_bundle

Names = Callable[[str], str]
ALL_FEATURES = ("istio-injection", "monitoring-enhanced", "backup-enabled", "database-access")


async def _namespace(kube: cluster.Cluster, name: str) -> None:
    await kube.apply_object(manifest={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


async def test_a_bundle_with_custom_resources_converges_and_its_backup_schedule_is_removed_by_selector(
    kube: cluster.Cluster, namespace_names: Names
) -> None:
    velero = namespace_names("kv")
    await _namespace(kube, velero)
    bundle = render_bundle(namespace_names("kc"), features=ALL_FEATURES, velero_namespace=velero)
    assert bundle.extra_namespaces == (velero,)

    result = await kube.apply(bundle=bundle)
    if REAL_CLUSTER and not result.ok:
        pytest.skip(f"this cluster lacks custom resources the bundle uses: {dict(result.failed)}")
    assert result.ok, result.failed
    assert {"PeerAuthentication", "ServiceMonitor", "Schedule"} <= {key.split("/")[0] for key in result.applied}
    assert (await kube.observe(bundle=bundle)).matches

    removed = await kube.delete_by_selector(bundle=bundle)
    schedule = next(m for m in bundle.manifests if m["kind"] == "Schedule")
    assert removed == (f"Schedule/{velero}/{schedule['metadata']['name']}",)
    assert f"Schedule/{velero}/{schedule['metadata']['name']}" in (await kube.observe(bundle=bundle)).missing


async def test_watching_workflows_sees_a_submitted_workflow(kube: cluster.Cluster, namespace_names: Names) -> None:
    ns = namespace_names("kw")
    await _namespace(kube, ns)
    workflow = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "decommission-req-9-1", "namespace": ns},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "suspend": {}}]},
    }
    stream = kube.watch_workflows(namespace=ns)
    first = asyncio.ensure_future(anext(stream))
    try:
        await asyncio.sleep(0.2)
        try:
            await kube.create_workflow(manifest=workflow)
        except errors.ClusterNotFound:
            pytest.skip("this cluster does not serve Argo Workflows (CRD not installed)")
        event = await asyncio.wait_for(first, timeout=10)
    finally:
        first.cancel()
        await stream.aclose()  # type: ignore[attr-defined]
    assert event.type == "ADDED"
    assert event.object["kind"] == "Workflow"
    assert event.object["metadata"]["name"] == "decommission-req-9-1"


async def test_a_watch_resumes_through_dropped_connections_without_losing_the_change(
    namespace_names: Names, kube: cluster.Cluster, sim: SimControl
) -> None:
    ns = namespace_names("kr")
    selector = {"nsaas-test/watch": ns}
    drops_before = await sim.injected("drop")
    await sim.faults({"verb": "watch", "resource": "namespaces", "rate": 0.5, "error": "drop"}, seed=3)
    stream = kube.watch_namespaces(labels=selector)
    first = asyncio.ensure_future(anext(stream))
    try:
        await asyncio.sleep(0.2)
        manifest: results.Manifest = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": selector},
        }
        await kube.apply_object(manifest=manifest)
        event = await asyncio.wait_for(first, timeout=10)
    finally:
        first.cancel()
        await stream.aclose()  # type: ignore[attr-defined]
    assert event.object["metadata"]["name"] == ns
    assert await sim.injected("drop") > drops_before, "no connection was dropped: the test would prove nothing"
