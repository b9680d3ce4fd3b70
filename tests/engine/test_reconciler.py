"""The reconciler's promises: drift is repaired and recorded, TTLs expire, faults don't stop convergence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nsaas.domain import changes, lifecycle
from nsaas.sim import server
from tests.support.platform import Platform, unique


async def _ready(platform: Platform, **overrides: object) -> tuple[str, str]:
    name = unique("rec")
    accepted = await platform.call("POST", "/namespaces/request", json=platform.body(name, **overrides))
    assert await platform.converge(name) == "ready"
    return name, accepted.json()["data"]["requestId"]


async def _resync_now(platform: Platform, request_id: str) -> None:
    record = await platform.rt.repo.get(request_id)
    await platform.rt.repo.update(
        record.id, expected_version=None, change=changes.Change(next_attempt_at=datetime.now(UTC))
    )


async def test_a_deleted_network_policy_and_a_changed_quota_are_restored_and_recorded(platform: Platform) -> None:
    name, request_id = await _ready(platform)
    cluster = platform.rt.cluster
    await cluster.apply_object(
        manifest={
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "nsaas-quota", "namespace": name},
            "spec": {"hard": {"pods": "999"}},
        }
    )
    bundle = platform.rt.reconciler.bundle(await platform.rt.repo.get(request_id))
    policy = bundle.objects("NetworkPolicy")[0]["metadata"]["name"]
    from nsaas.adapters.kube import cluster as kube_cluster

    assert isinstance(cluster, kube_cluster.Cluster)
    await cluster._kube.delete(api_version="networking.k8s.io/v1", kind="NetworkPolicy", name=policy, namespace=name)
    assert not (await cluster.observe(bundle=bundle)).matches

    await _resync_now(platform, request_id)
    await platform.rt.reconciler.tick()

    seen = await cluster.observe(bundle=bundle)
    assert seen.matches
    drift = [e for e in await platform.rt.repo.timeline(request_id) if e.kind == "drift"]
    assert "drift detected" in drift[0].message
    assert policy in drift[0].message
    assert "ResourceQuota" in drift[0].message
    assert drift[-1].message.startswith("drift corrected")
    assert (await platform.rt.repo.get(request_id)).status == lifecycle.Status.READY


async def test_a_namespace_deleted_out_of_band_is_reported_not_silently_recreated(platform: Platform) -> None:
    name, request_id = await _ready(platform)
    await platform.rt.cluster.delete_namespace(
        name=name,
        request_id=request_id,
        managed_label=("platform.io/managed", "true"),
        request_id_label="platform.io/request-id",
    )
    for _ in range(100):
        if await platform.rt.cluster.namespace_info(name) is None:
            break
        await platform.rt.reconciler.tick()
    await _resync_now(platform, request_id)
    await platform.rt.reconciler.tick()
    record = await platform.rt.repo.get(request_id)
    assert record.status == lifecycle.Status.FAILED
    assert "deleted outside the platform" in record.status_reason
    assert await platform.rt.cluster.namespace_info(name) is None


async def test_policy_may_ask_for_deleted_namespaces_to_be_recreated(platform: Platform) -> None:
    platform.settings.policy.recreate_deleted_namespaces = True
    name, request_id = await _ready(platform)
    await platform.rt.cluster.delete_namespace(
        name=name,
        request_id=request_id,
        managed_label=("platform.io/managed", "true"),
        request_id_label="platform.io/request-id",
    )
    for _ in range(200):
        await _resync_now(platform, request_id)
        await platform.rt.reconciler.tick()
        info = await platform.rt.cluster.namespace_info(name)
        if info is not None and info.phase == "Active":
            break
    info = await platform.rt.cluster.namespace_info(name)
    assert info is not None
    assert info.phase == "Active"
    assert (await platform.rt.repo.get(request_id)).status == lifecycle.Status.READY


async def test_ttl_warns_then_expires_and_decommissions(platform: Platform) -> None:
    platform.settings.policy.expiry_warning_hours = [24, 1]
    name, request_id = await _ready(platform, ttl="48h")
    record = await platform.rt.repo.get(request_id)
    soon = datetime.now(UTC) + timedelta(minutes=30)
    await platform.rt.repo.update(record.id, expected_version=None, change=changes.Change(expires_at=soon))
    await platform.rt.reconciler.tick()
    warnings = [e for e in await platform.rt.repo.timeline(request_id) if e.kind == "warning"]
    assert len(warnings) == 1
    assert "expires in" in warnings[0].message
    await platform.rt.reconciler.tick()
    assert len([e for e in await platform.rt.repo.timeline(request_id) if e.kind == "warning"]) == 1

    past = datetime.now(UTC) - timedelta(seconds=1)
    await platform.rt.repo.update(record.id, expected_version=None, change=changes.Change(expires_at=past))
    assert await platform.converge(name) == "expired"
    assert await platform.rt.cluster.namespace_info(name) is None


async def test_extending_the_ttl_moves_the_expiry(platform: Platform) -> None:
    name, request_id = await _ready(platform, ttl="2h")
    before = (await platform.rt.repo.get(request_id)).expires_at
    assert before is not None
    answer = await platform.call("PATCH", f"/namespaces/{name}", json={"ttl": "7d"})
    assert answer.status_code == 200
    after = (await platform.rt.repo.get(request_id)).expires_at
    assert after is not None
    assert after - before > timedelta(days=6)
    assert await platform.converge(name) == "ready"


async def test_with_a_fifth_of_api_calls_failing_every_request_still_converges(
    platform: Platform, simulator: server.Simulator
) -> None:
    platform.settings.engines.max_attempts = 50
    names = [unique(f"fault{i}") for i in range(5)]
    before = sum(simulator.faults.stats()["faultsInjected"].values())
    simulator.faults.set(
        [
            {"verb": "*", "resource": "*", "rate": 0.1, "error": "500"},
            {"verb": "*", "resource": "*", "rate": 0.05, "error": "429", "retryAfterSeconds": 0},
            {"verb": "*", "resource": "*", "rate": 0.05, "error": "drop"},
        ],
        seed=7,
    )
    try:
        for name in names:
            await platform.call("POST", "/namespaces/request", json=platform.body(name, features=["istio-injection"]))
        for name in names:
            assert await platform.converge(name, rounds=600) == "ready"
        injected = sum(simulator.faults.stats()["faultsInjected"].values()) - before
    finally:
        simulator.faults.clear()
    assert injected > 10
    for name in names:
        await platform.call("DELETE", f"/namespaces/{name}")
        assert await platform.converge(name) == "deleted"
