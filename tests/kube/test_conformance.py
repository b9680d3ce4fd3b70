"""The cluster adapter against a cluster: the simulator by default (or a real one named by
NSAAS_E2E_KUBECONFIG), and in the ``real`` tier the testenv's real API server as well.

Every test uses its own namespaces and deletes them afterwards, so the suite can run against a
shared real cluster. Out-of-band changes are made with a separate lightkube client and field
manager, the way a tenant's kubectl would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from lightkube import AsyncClient
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.models.networking_v1 import NetworkPolicySpec
from lightkube.resources.core_v1 import Namespace, ResourceQuota
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.types import PatchType

from nsaas.adapters.kube import cluster, results
from nsaas.domain import errors
from tests.kube.conftest import render_bundle, without

Names = Callable[[str], str]


@pytest.fixture(params=["default", pytest.param("real", marks=pytest.mark.real)])
def kubeconfig_path(request: pytest.FixtureRequest) -> Path:
    """Every test here runs against the default cluster and, in the real tier, the real API server."""
    name = "real_kubeconfig" if request.param == "real" else "default_kubeconfig_path"
    path: Path = request.getfixturevalue(name)
    return path


MANAGED = ("platform.io/managed", "true")
REQUEST_ID_LABEL = "platform.io/request-id"


async def _quota_status(kube: cluster.Cluster, bundle_name: str) -> results.Observation:
    """Observe until the quota controller has filled in the quota's status (it runs asynchronously)."""
    bundle = render_bundle(bundle_name)
    for _ in range(50):
        observed = await kube.observe(bundle=bundle)
        if observed.quota:
            return observed
        await asyncio.sleep(0.1)
    return observed


async def test_an_applied_bundle_is_observed_as_matching(kube: cluster.Cluster, namespace_names: Names) -> None:
    bundle = render_bundle(namespace_names("kt"))
    result = await kube.apply(bundle=bundle)
    assert result.ok, result.failed
    assert len(result.applied) == len(bundle.manifests)
    observed = await kube.observe(bundle=bundle)
    assert observed.phase == "Active"
    assert observed.matches, (observed.missing, observed.drifted)
    assert observed.digest == bundle.digest


async def test_applying_the_same_bundle_twice_changes_nothing(kube: cluster.Cluster, namespace_names: Names) -> None:
    bundle = render_bundle(namespace_names("kt"))
    await kube.apply(bundle=bundle)
    again = await kube.apply(bundle=bundle)
    assert again.ok
    assert again.pruned == ()
    assert (await kube.observe(bundle=bundle)).matches


async def test_an_absent_namespace_is_observed_with_everything_missing(
    kube: cluster.Cluster, namespace_names: Names
) -> None:
    bundle = render_bundle(namespace_names("kt"))
    observed = await kube.observe(bundle=bundle)
    assert observed.phase is None
    assert len(observed.missing) == len(bundle.manifests)
    assert not observed.matches


async def test_a_quota_raised_out_of_band_is_drift_and_reapplying_restores_it(
    kube: cluster.Cluster, tenant: AsyncClient, namespace_names: Names
) -> None:
    bundle = render_bundle(namespace_names("kt"))
    await kube.apply(bundle=bundle)
    patch = {"spec": {"hard": {"pods": "500"}}}
    await tenant.patch(ResourceQuota, "nsaas-quota", patch, namespace=bundle.namespace, patch_type=PatchType.MERGE)

    observed = await kube.observe(bundle=bundle)
    quota_key = f"ResourceQuota/{bundle.namespace}/nsaas-quota"
    assert observed.drifted == (quota_key,)
    assert "spec.hard.pods" in next(o for o in observed.objects if o.key == quota_key).differences

    assert (await kube.apply(bundle=bundle)).ok
    live = await tenant.get(ResourceQuota, "nsaas-quota", namespace=bundle.namespace)
    assert live.spec is not None
    assert live.spec.hard is not None
    assert live.spec.hard["pods"] == "10"
    assert (await kube.observe(bundle=bundle)).matches


async def test_a_deleted_network_policy_is_missing_and_reapplying_recreates_it(
    kube: cluster.Cluster, tenant: AsyncClient, namespace_names: Names
) -> None:
    bundle = render_bundle(namespace_names("kt"))
    await kube.apply(bundle=bundle)
    await tenant.delete(NetworkPolicy, "nsaas-default-deny-ingress", namespace=bundle.namespace)

    observed = await kube.observe(bundle=bundle)
    assert observed.missing == (f"NetworkPolicy/{bundle.namespace}/nsaas-default-deny-ingress",)
    assert not observed.matches

    await kube.apply(bundle=bundle)
    assert (await kube.observe(bundle=bundle)).matches


async def test_a_relabelled_namespace_is_drift(
    kube: cluster.Cluster, tenant: AsyncClient, namespace_names: Names
) -> None:
    bundle = render_bundle(namespace_names("kt"))
    await kube.apply(bundle=bundle)
    patch = {"metadata": {"labels": {"platform.io/team": "team-b"}}}
    await tenant.patch(Namespace, bundle.namespace, patch, patch_type=PatchType.MERGE)
    assert (await kube.observe(bundle=bundle)).drifted == (f"Namespace/{bundle.namespace}",)


async def test_prune_removes_an_object_dropped_from_the_bundle_and_nothing_else(
    kube: cluster.Cluster, tenant: AsyncClient, namespace_names: Names
) -> None:
    bundle = render_bundle(namespace_names("kt"))
    await kube.apply(bundle=bundle)
    ns = bundle.namespace
    foreign_labels = {**bundle.selector, REQUEST_ID_LABEL: "another-request"}
    for name, labels in (("tenant-own", None), ("other-request", foreign_labels)):
        meta = ObjectMeta(name=name, namespace=ns, labels=labels)
        await tenant.create(NetworkPolicy(metadata=meta, spec=NetworkPolicySpec(podSelector=LabelSelector())))

    result = await kube.apply(bundle=without(bundle, kind="NetworkPolicy", name="nsaas-allow-internet-egress"))

    assert result.pruned == (f"NetworkPolicy/{ns}/nsaas-allow-internet-egress",)
    remaining = {p.metadata.name async for p in tenant.list(NetworkPolicy, namespace=ns) if p.metadata is not None}
    assert {"tenant-own", "other-request"} <= remaining
    assert "nsaas-allow-internet-egress" not in remaining
    assert await kube.namespace_info(ns) is not None


async def test_dropping_backups_prunes_the_schedule_in_veleros_namespace(
    kube: cluster.Cluster, namespace_names: Names
) -> None:
    """The Schedule lives in Velero's namespace, not the tenant's: a bundle without the feature
    (and so without any object there) must still prune it."""
    await kube.apply_object(manifest={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "velero"}})
    name = namespace_names("kt")
    with_backups = render_bundle(name, features=("backup-enabled",))
    await kube.apply(bundle=with_backups)
    schedule = {"api_version": "velero.io/v1", "kind": "Schedule", "name": f"nsaas-{name}", "namespace": "velero"}
    assert await kube.get_object(**schedule) is not None
    result = await kube.apply(bundle=render_bundle(name))
    assert not result.failed, result.failed
    assert f"Schedule/velero/nsaas-{name}" in result.pruned
    assert await kube.get_object(**schedule) is None


async def test_apply_without_prune_keeps_objects_dropped_from_the_bundle(
    kube: cluster.Cluster, namespace_names: Names
) -> None:
    bundle = render_bundle(namespace_names("kt"))
    await kube.apply(bundle=bundle)
    result = await kube.apply(bundle=without(bundle, kind="LimitRange", name="nsaas-limits"), prune=False)
    assert result.pruned == ()
    assert (await kube.observe(bundle=bundle)).matches


async def test_quota_usage_is_reported_as_numbers(kube: cluster.Cluster, namespace_names: Names) -> None:
    name = namespace_names("kt")
    await kube.apply(bundle=render_bundle(name))
    observed = await _quota_status(kube, name)
    assert observed.quota["requests.memory"].hard == 4 * 1024**3
    assert observed.quota["requests.cpu"].hard == 2
    assert 0 <= observed.quota["pods"].ratio <= 1


async def test_namespace_info_reports_labels_and_is_none_when_absent(
    kube: cluster.Cluster, namespace_names: Names
) -> None:
    bundle = render_bundle(namespace_names("kt"), request_id="req-42")
    assert await kube.namespace_info(bundle.namespace) is None
    await kube.apply(bundle=bundle)
    info = await kube.namespace_info(bundle.namespace)
    assert info is not None
    assert info.labels[REQUEST_ID_LABEL] == "req-42"
    assert info.labels[MANAGED[0]] == MANAGED[1]


async def test_delete_namespace_refuses_an_unmanaged_namespace(
    kube: cluster.Cluster, tenant: AsyncClient, namespace_names: Names
) -> None:
    name = namespace_names("kt")
    await tenant.create(Namespace(metadata=ObjectMeta(name=name)))
    with pytest.raises(errors.ClusterConflict, match="not managed"):
        await kube.delete_namespace(
            name=name, request_id="req-1", managed_label=MANAGED, request_id_label=REQUEST_ID_LABEL
        )
    info = await kube.namespace_info(name)
    assert info is not None
    assert not info.terminating


async def test_delete_namespace_refuses_the_namespace_of_another_request(
    kube: cluster.Cluster, namespace_names: Names
) -> None:
    bundle = render_bundle(namespace_names("kt"), request_id="req-owner")
    await kube.apply(bundle=bundle)
    with pytest.raises(errors.ClusterConflict, match="another request"):
        await kube.delete_namespace(
            name=bundle.namespace, request_id="req-intruder", managed_label=MANAGED, request_id_label=REQUEST_ID_LABEL
        )
    info = await kube.namespace_info(bundle.namespace)
    assert info is not None
    assert not info.terminating


async def test_delete_namespace_deletes_its_own_namespace_and_repeating_it_is_harmless(
    kube: cluster.Cluster, namespace_names: Names
) -> None:
    bundle = render_bundle(namespace_names("kt"), request_id="req-1")
    await kube.apply(bundle=bundle)
    kwargs = {"name": bundle.namespace, "request_id": "req-1", "managed_label": MANAGED}
    assert await kube.delete_namespace(**kwargs, request_id_label=REQUEST_ID_LABEL)  # type: ignore[arg-type]
    info = await kube.namespace_info(bundle.namespace)
    assert info is None or info.terminating
    assert await kube.delete_namespace(**kwargs, request_id_label=REQUEST_ID_LABEL)  # type: ignore[arg-type]


async def test_watching_namespaces_sees_creation_and_resumes_from_a_version(
    kube: cluster.Cluster, namespace_names: Names
) -> None:
    bundle = render_bundle(namespace_names("kt"), request_id="req-watch")
    selector = {REQUEST_ID_LABEL: "req-watch", MANAGED[0]: MANAGED[1]}

    async def first_event(resource_version: str | None) -> results.WatchEvent:
        stream = kube.watch_namespaces(labels=selector, resource_version=resource_version)
        try:
            return await asyncio.wait_for(anext(stream), timeout=10)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    watcher = asyncio.create_task(first_event(None))
    await asyncio.sleep(0.2)
    await kube.apply(bundle=bundle)
    added = await watcher
    assert added.type in ("ADDED", "MODIFIED")
    assert added.object["metadata"]["name"] == bundle.namespace

    await kube.delete_namespace(
        name=bundle.namespace, request_id="req-watch", managed_label=MANAGED, request_id_label=REQUEST_ID_LABEL
    )
    after = await first_event(added.resource_version)
    assert after.type in ("MODIFIED", "DELETED")
    assert after.object["metadata"]["name"] == bundle.namespace


async def test_creating_the_same_workflow_twice_returns_the_first(
    kube: cluster.Cluster, namespace_names: Names
) -> None:
    ns = namespace_names("kt")
    await kube.apply_object(manifest={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    workflow = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "provision-req-1-1", "namespace": ns},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "suspend": {}}]},
    }
    try:
        first = await kube.create_workflow(manifest=workflow)
    except errors.ClusterNotFound:
        pytest.skip("this cluster does not serve Argo Workflows (CRD not installed)")
    second = await kube.create_workflow(manifest=workflow)
    assert second["metadata"]["uid"] == first["metadata"]["uid"]
    fetched = await kube.get_workflow(namespace=ns, name="provision-req-1-1")
    assert fetched is not None
    assert fetched["metadata"]["uid"] == first["metadata"]["uid"]
    assert await kube.delete_workflow(namespace=ns, name="provision-req-1-1")


async def test_the_api_server_answers_ping_and_version(kube: cluster.Cluster) -> None:
    assert await kube.ping()
    assert "gitVersion" in await kube.version()


async def test_a_dry_run_apply_validates_but_creates_nothing(kube: cluster.Cluster, namespace_names: Names) -> None:
    name = namespace_names("kd")
    answer = await kube.apply_object(
        manifest={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, dry_run=True
    )
    assert answer["metadata"]["name"] == name
    assert await kube.namespace_info(name) is None
