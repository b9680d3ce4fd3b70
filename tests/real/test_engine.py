"""The direct engine end to end on a real API server, as the platform's own ServiceAccount.

The worker authenticates with a token of ``platform-system/platform-api`` bound only to what
``deploy/platform-api`` grants (applied from the real files): it provisions a request, repairs
drift made out of band, applies an update and decommissions, and the namespace is finalized by
the real namespace controller. Outside that role it is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lightkube import ApiError, AsyncClient
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace, ResourceQuota, Secret
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.resources.rbac_authorization_v1 import ClusterRoleBinding, RoleBinding
from lightkube.types import PatchType

from nsaas.adapters.db import database as db_module
from nsaas.domain import changes, lifecycle
from tests.real.conftest import kubectl
from tests.support.platform import Platform, running_platform, unique

pytestmark = pytest.mark.real


@pytest.fixture
async def worker(database: db_module.Database, platform_kubeconfig: Path, tmp_path: Path) -> AsyncIterator[Platform]:
    """The platform (API and reconciler) connected as the platform-api ServiceAccount."""
    async with running_platform(database, platform_kubeconfig, tmp_path, bootstrap=False) as plat:
        yield plat


async def _resync_now(platform: Platform, request_id: str) -> None:
    record = await platform.rt.repo.get(request_id)
    await platform.rt.repo.update(
        record.id, expected_version=None, change=changes.Change(next_attempt_at=datetime.now(UTC))
    )


async def _gone(admin: AsyncClient, name: str, seconds: float = 90) -> bool:
    for _ in range(int(seconds * 10)):
        try:
            await admin.get(Namespace, name)
        except ApiError as exc:
            if exc.status.code == 404:
                return True
            raise
        await asyncio.sleep(0.1)
    return False


async def test_request_ready_drift_repaired_update_and_decommission(worker: Platform, admin: AsyncClient) -> None:
    name = unique("e2e")
    accepted = await worker.call("POST", "/namespaces/request", json=worker.body(name))
    assert accepted.status_code == 202, accepted.text
    request_id = accepted.json()["data"]["requestId"]
    assert await worker.converge(name) == "ready"
    namespace = await admin.get(Namespace, name)
    assert namespace.metadata.labels["platform.io/request-id"] == request_id
    policies = [p.metadata.name async for p in admin.list(NetworkPolicy, namespace=name)]
    assert policies

    # Drift out of band (a cluster admin; no guardrail is applied in this test).
    await admin.delete(NetworkPolicy, policies[0], namespace=name)
    await admin.patch(
        ResourceQuota, "nsaas-quota", {"spec": {"hard": {"pods": "999"}}}, namespace=name, patch_type=PatchType.MERGE
    )
    await _resync_now(worker, request_id)
    await worker.rt.reconciler.tick()
    assert (await admin.get(NetworkPolicy, policies[0], namespace=name)).metadata.name == policies[0]
    quota = await admin.get(ResourceQuota, "nsaas-quota", namespace=name)
    assert quota.spec.hard["pods"] != "999"
    drift = [e.message for e in await worker.rt.repo.timeline(request_id) if e.kind == "drift"]
    assert any(m.startswith("drift corrected") for m in drift), drift
    assert (await worker.rt.repo.get(request_id)).status == lifecycle.Status.READY

    # Update: a larger tier reaches the real ResourceQuota.
    etag = (await worker.call("GET", f"/namespaces/{name}")).headers["ETag"]
    changed = await worker.call(
        "PATCH", f"/namespaces/{name}", json={"resourceTier": "large"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert await worker.converge(name) == "ready"
    assert (await admin.get(ResourceQuota, "nsaas-quota", namespace=name)).spec.hard["requests.cpu"] == "8"

    # Decommission: "deleted" only once the namespace controller has finalized the namespace.
    gone = await worker.call("DELETE", f"/namespaces/{name}")
    assert gone.status_code == 202, gone.text
    assert await worker.converge(name, rounds=3000) == "deleted"
    assert await _gone(admin, name, seconds=1), "the request ended deleted while its namespace still exists"


async def test_the_worker_is_refused_outside_its_role(platform_kubeconfig: Path, admin: AsyncClient) -> None:
    namespace = unique("lp")
    await admin.create(Namespace(metadata=ObjectMeta(name=namespace)))
    try:
        await admin.create(Secret(metadata=ObjectMeta(name="app-secret", namespace=namespace), stringData={"k": "v"}))
        refused = {
            "read a tenant's Secrets": ["get", "secrets", "-n", namespace],
            "list Secrets cluster-wide": ["get", "secrets", "-A"],
            "create a ClusterRoleBinding": [
                "create",
                "clusterrolebinding",
                "steal",
                "--clusterrole=cluster-admin",
                "--user=platform",
            ],
            "bind cluster-admin in a namespace": [
                "create",
                "rolebinding",
                "steal",
                "-n",
                namespace,
                "--clusterrole=cluster-admin",
                "--user=platform",
            ],
            "create a Deployment": ["create", "deployment", "x", "-n", namespace, "--image=registry.example/x:1"],
            "read the platform's own Role definitions": ["get", "clusterroles"],
        }
        for what, args in refused.items():
            done = kubectl(platform_kubeconfig, *args, check=False)
            assert done.returncode != 0, f"the platform's identity could {what}"
            assert "forbidden" in done.stderr.lower(), f"{what}: {done.stderr}"
        # Binding admin (which its role names) is allowed: the control shows the refusals are RBAC's.
        allowed = kubectl(
            platform_kubeconfig,
            "create",
            "rolebinding",
            "team",
            "-n",
            namespace,
            "--clusterrole=admin",
            "--group=grp-team-a-admins",
            check=False,
        )
        assert allowed.returncode == 0, allowed.stderr
        assert (await admin.get(RoleBinding, "team", namespace=namespace)).roleRef.name == "admin"
        with pytest.raises(ApiError):
            await admin.get(ClusterRoleBinding, "steal")
    finally:
        await admin.delete(Namespace, namespace)
