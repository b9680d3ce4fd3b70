"""The GitOps path in-process: NamespaceRequests through the same use cases, status written back.

The watcher's loop is not running here: each test calls ``resync()`` (what the loop does at
start and periodically) and drives the reconciler with ``converge()``, so every step is
deterministic. tests/handover/test_gitops_kubectl.py runs the real loop under ``nsaas dev``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nsaas.domain import lifecycle
from tests.support.platform import Platform, unique

NS = "nsaas-requests"
PR = "https://git.example/platform/namespaces/pull/7"
T = TypeVar("T")


async def _apply(platform: Platform, name: str, annotations: dict[str, str] | None = None, **spec: Any) -> None:
    body = {
        "team": "team-a",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        **spec,
    }
    manifest = {
        "apiVersion": "platform.io/v1alpha1",
        "kind": "NamespaceRequest",
        "metadata": {"name": name, "namespace": NS, "annotations": annotations or {}},
        "spec": body,
    }
    platform.names.append(name)
    await platform.rt.cluster.apply_object(manifest=manifest)


async def _status(platform: Platform, name: str) -> dict[str, Any]:
    live = await platform.rt.cluster.get_object(
        api_version="platform.io/v1alpha1", kind="NamespaceRequest", name=name, namespace=NS
    )
    assert live is not None
    status: dict[str, Any] = live.get("status") or {}
    return status


def _conditions(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status.get("conditions", [])}


async def _delete(platform: Platform, name: str) -> None:
    from nsaas.adapters.kube import client

    kind = client.NAMESPACE_REQUEST
    await platform.rt.cluster._kube.delete(api_version=kind.api_version, kind=kind.kind, name=name, namespace=NS)


async def test_a_namespace_request_goes_through_the_pipeline_and_its_status_follows(platform: Platform) -> None:
    name = unique("git")
    await _apply(platform, name, annotations={"platform.io/commit": "abc123"})
    await platform.rt.gitops.resync()
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    assert (record.source, record.source_ref) == ("gitops", f"{NS}/{name}")
    assert _conditions(await _status(platform, name))["Ready"] == ("False", "Provisioning")

    assert await platform.converge(name) == "ready"
    await platform.rt.gitops.resync()
    status = await _status(platform, name)
    assert _conditions(status) == {
        "Accepted": ("True", "Accepted"),
        "Ready": ("True", "Ready"),
        "Failed": ("False", "AsExpected"),
    }
    assert status["observedGeneration"] == 1
    assert status["requestId"] == record.id
    audit, _ = await platform.rt.repo.list_audit(target=name, action="namespace.request")
    assert [(a.actor, a.detail) for a in audit] == [(f"gitops:{NS}/{name}", "commit=abc123")]


async def test_policy_refusals_name_every_field_in_the_conditions_and_store_nothing(platform: Platform) -> None:
    name = unique("git-pol")
    await _apply(
        platform,
        name,
        annotations={"platform.io/pull-request": PR},
        environment="production",
        resourceTier="micro",
        networkPolicy="open",
    )
    await platform.rt.gitops.resync()
    status = await _status(platform, name)
    assert _conditions(status)["Accepted"] == ("False", "PolicyViolation")
    assert _conditions(status)["Failed"] == ("True", "PolicyViolation")
    message = next(c["message"] for c in status["conditions"] if c["type"] == "Accepted")
    assert "resourceTier:" in message
    assert "networkPolicy:" in message
    assert await platform.rt.repo.find_live_by_name(name) is None


async def test_production_needs_the_merge_reference_which_becomes_the_approval_of_record(platform: Platform) -> None:
    name = unique("git-prod")
    await _apply(platform, name, environment="production", resourceTier="medium")
    await platform.rt.gitops.resync()
    assert _conditions(await _status(platform, name))["Accepted"] == ("False", "ApprovalReferenceMissing")
    assert await platform.rt.repo.find_live_by_name(name) is None

    await _apply(platform, name, annotations={"platform.io/pull-request": PR}, environment="production")
    await platform.rt.gitops.resync()
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    assert record.approved_by == f"git-merge:pull-request={PR}"
    assert record.status == lifecycle.Status.PROVISIONING
    approvals, _ = await platform.rt.repo.list_audit(target=name, action="namespace.approve")
    assert len(approvals) == 1
    assert PR in approvals[0].detail


async def test_the_api_may_read_but_not_change_a_gitops_namespace(platform: Platform) -> None:
    name = unique("git-ro")
    await _apply(platform, name)
    await platform.rt.gitops.resync()
    assert await platform.converge(name) == "ready"
    detail = (await platform.call("GET", f"/namespaces/{name}")).json()["data"]
    assert (detail["source"], detail["sourceRef"]) == ("gitops", f"{NS}/{name}")

    changed = await platform.call("PATCH", f"/namespaces/{name}", json={"resourceTier": "large"})
    assert changed.status_code == 409
    assert "managed by GitOps" in changed.json()["message"]
    assert "pull request" in changed.json()["message"]
    deleted = await platform.call("DELETE", f"/namespaces/{name}", persona="platform-admin")
    assert deleted.status_code == 409
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    assert (record.tier, record.status) == ("small", "ready")


async def test_a_namespace_request_cannot_take_over_a_namespace_the_api_owns(platform: Platform) -> None:
    name = unique("git-api")
    assert (await platform.call("POST", "/namespaces/request", json=platform.body(name))).status_code == 202
    await _apply(platform, name, resourceTier="large")
    await platform.rt.gitops.resync()
    assert _conditions(await _status(platform, name))["Accepted"] == ("False", "OwnedElsewhere")
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    assert (record.source, record.tier) == ("api", "small")


async def test_editing_the_tier_updates_and_deleting_decommissions(platform: Platform) -> None:
    name = unique("git-edit")
    await _apply(platform, name)
    await platform.rt.gitops.resync()
    assert await platform.converge(name) == "ready"

    await _apply(platform, name, resourceTier="large")
    await platform.rt.gitops.resync()
    assert await platform.converge(name, until=lambda s: s == "ready") == "ready"
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    assert record.tier == "large"
    await platform.rt.gitops.resync()
    assert (await _status(platform, name))["observedGeneration"] == 2

    await _delete(platform, name)
    await platform.rt.gitops.resync()
    assert await platform.converge(name) == "deleted"


async def test_deleting_a_production_request_keeps_the_namespace_and_hands_it_to_the_api(platform: Platform) -> None:
    name = unique("git-keep")
    await _apply(platform, name, annotations={"platform.io/pull-request": PR}, environment="production")
    await platform.rt.gitops.resync()
    assert await platform.converge(name) == "ready"

    await _delete(platform, name)
    await platform.rt.gitops.resync()
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    assert (record.status, record.source, record.source_ref) == ("ready", "api", None)
    timeline = await platform.rt.repo.timeline(record.id)
    assert "production namespaces are protected" in timeline[-1].message
    denied, _ = await platform.rt.repo.list_audit(target=name, action="namespace.decommission", outcome="denied")
    assert len(denied) == 1
    decommissioned = await platform.call("DELETE", f"/namespaces/{name}", persona="platform-admin")
    assert decommissioned.status_code == 202


async def test_the_running_watcher_reacts_to_the_resource_and_to_the_timeline_without_a_resync(
    platform: Platform,
) -> None:
    platform.settings.gitops.resync_seconds = 3600  # only the watch and the timeline may drive it
    task = asyncio.create_task(platform.rt.gitops.run())
    try:
        name = unique("git-loop")
        await asyncio.sleep(0.3)
        await _apply(platform, name)
        record = await _wait(lambda: platform.rt.repo.find_live_by_name(name))
        assert record.source == "gitops"
        assert await platform.converge(name) == "ready"
        status = await _wait(lambda: _ready_status(platform, name))
        assert status["requestId"] == record.id
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _ready_status(platform: Platform, name: str) -> dict[str, Any] | None:
    status = await _status(platform, name)
    return status if _conditions(status).get("Ready") == ("True", "Ready") else None


async def _wait(probe: Callable[[], Awaitable[T | None]]) -> T:
    async with asyncio.timeout(10):
        while (found := await probe()) is None:  # noqa: ASYNC110 - polling the database and the cluster
            await asyncio.sleep(0.05)
    return found
