"""A slow namespace never holds up the others; a step longer than its lease keeps it; a change to a
ready namespace made during a cluster outage leaves it ready with the change pending."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nsaas import metrics
from nsaas.adapters.db import database as db_module
from nsaas.domain import changes, errors, lifecycle
from nsaas.reconcile import loop
from nsaas.sim import faults
from tests.support.platform import Platform, running_platform, unique

SLOW_MS = 6000


@pytest.fixture
async def slots(database: db_module.Database, kubeconfig_path: Path, tmp_path: Path) -> AsyncIterator[Platform]:
    engines = {"max_concurrent_steps": 4, "batch_size": 4, "lease_seconds": 1.2, "poll_seconds": 0.05}
    async with running_platform(database, kubeconfig_path, tmp_path, engines=engines) as plat:
        yield plat


@contextlib.asynccontextmanager
async def workers(plat: Platform, count: int) -> AsyncIterator[list[loop.Reconciler]]:
    """``count`` reconcilers (distinct worker ids) on one database, running their real loops."""
    team = [plat.rt.reconciler] + [
        loop.Reconciler(settings=plat.settings, repo=plat.rt.repo, cluster=plat.rt.cluster, bus=plat.rt.bus)
        for _ in range(count - 1)
    ]
    tasks = [asyncio.create_task(r.run()) for r in team]
    try:
        yield team
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _ready_at(plat: Platform, name: str, *, within: float) -> float:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        record = await plat.rt.repo.find_live_by_name(name)
        if record is not None and record.status == lifecycle.Status.READY:
            return time.monotonic()
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} not ready within {within}s")


async def test_a_slow_namespace_does_not_delay_the_others(slots: Platform, sim_faults: faults.Faults) -> None:
    # Only the backup feature writes a Velero Schedule: that one namespace's apply is slow.
    sim_faults.set([{"resource": "schedules", "latencyMs": SLOW_MS}])
    slow = unique("slow")
    fast = [unique(f"fast{i}") for i in range(3)]
    schedule = f"schedules/{slots.settings.bundle.velero_namespace}/nsaas-{slow}"
    async with workers(slots, 1):
        await slots.call("POST", "/namespaces/request", json=slots.body(slow, features=["backup-enabled"]))
        while not sim_faults.injected["latency"]:  # noqa: ASYNC110 - the slow apply reached the cluster
            await asyncio.sleep(0.02)
        for name in fast:
            await slots.call("POST", "/namespaces/request", json=slots.body(name))
        for name in fast:
            await _ready_at(slots, name, within=60)
        slow_apply_done = sim_faults.writes[schedule]
        await _ready_at(slots, slow, within=60)
    assert slow_apply_done == 0, "the fast namespaces waited for the slow one's apply"


async def test_a_step_longer_than_its_lease_keeps_it_and_is_done_once(
    slots: Platform, sim_faults: faults.Faults
) -> None:
    sim_faults.set([{"resource": "schedules", "latencyMs": SLOW_MS}])
    slow = unique("lease")
    extensions = metrics.LEASE_EXTENSIONS._value.get()
    async with workers(slots, 2):
        await slots.call("POST", "/namespaces/request", json=slots.body(slow, features=["backup-enabled"]))
        await _ready_at(slots, slow, within=60)
    # The step outlived its 1.2 s lease; heartbeats kept it, so the other worker never applied it too.
    assert metrics.LEASE_EXTENSIONS._value.get() > extensions
    schedule = f"schedules/{slots.settings.bundle.velero_namespace}/nsaas-{slow}"
    assert sim_faults.writes[schedule] == 1, sim_faults.writes[schedule]
    assert sim_faults.writes[f"namespaces//{slow}"] >= 1


async def test_a_change_during_a_cluster_outage_leaves_a_ready_namespace_ready_with_it_pending(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique("pending")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    assert await platform.converge(name) == "ready"
    real_observe, real_info = platform.rt.cluster.observe, platform.rt.cluster.namespace_info

    async def unreachable(*_: object, **__: object) -> None:
        raise errors.ClusterUnavailable("connection refused")

    monkeypatch.setattr(platform.rt.cluster, "observe", unreachable)
    monkeypatch.setattr(platform.rt.cluster, "namespace_info", unreachable)
    patched = await platform.call("PATCH", f"/namespaces/{name}", json={"resourceTier": "medium"})
    assert patched.status_code == 200, patched.text
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    for _ in range(platform.settings.engines.max_attempts + 3):
        await platform.rt.repo.update(record.id, change=changes.Change(next_attempt_at=datetime.now(UTC)))
        await platform.rt.reconciler.tick()
    record = await platform.rt.repo.get(record.id)
    assert record.status == lifecycle.Status.READY
    assert record.attempts > platform.settings.engines.max_attempts
    detail = (await platform.call("GET", f"/namespaces/{name}")).json()["data"]
    assert detail["status"] == "ready"
    assert detail["changePending"] is True
    assert "change pending" in detail["statusReason"]
    # The cluster is back: the change is applied and nothing is pending any more.
    monkeypatch.setattr(platform.rt.cluster, "observe", real_observe)
    monkeypatch.setattr(platform.rt.cluster, "namespace_info", real_info)
    await platform.rt.repo.update(record.id, change=changes.Change(next_attempt_at=datetime.now(UTC)))
    await platform.rt.reconciler.tick()
    detail = (await platform.call("GET", f"/namespaces/{name}")).json()["data"]
    assert (detail["status"], detail["changePending"], detail["statusReason"]) == ("ready", False, "ready")
    assert detail["tier"] == "medium"
    quota = await platform.rt.cluster.namespace_info(name)
    assert quota is not None
