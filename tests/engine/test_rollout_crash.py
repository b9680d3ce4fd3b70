"""SIGKILL the worker in the middle of a rollout wave; the next worker finishes the rollout.

The worker runs as a real ``nsaas worker`` process against a database of its own and the
simulator (every API call slowed so a wave takes seconds). It is killed once some but not all
namespaces of the wave have moved; a second worker takes the rollout over when the lease lapses
and completes it: every namespace moved once, none twice, none lost.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from nsaas import devkit, runtime
from nsaas.adapters.db import database as db_module
from nsaas.domain import changes, identity, lifecycle, records, rollouts
from nsaas.services import bodies
from nsaas.services import requests as request_service
from nsaas.services.templates import TemplateService
from tests.engine.test_crash_safety import _passing, _start, _worker_env
from tests.support.platform import request_body, settings_for, unique

pytestmark = pytest.mark.slow
NAMESPACES = 12
LEASE_SECONDS = "4"


async def _ready(rt: runtime.Runtime, name: str) -> None:
    spec = bodies.parse_spec(request_body(name))
    new = records.NewRequest(spec=spec, status=lifecycle.Status.PROVISIONING, engine="direct", requested_by="t")
    audit = records.NewAudit(actor="t", action="namespace.request", target_type="namespace", target=name)
    record = await rt.repo.create_request(new, event=records.NewEvent(kind="status", message="t"), audit=audit)
    await rt.repo.update(record.id, change=changes.Change(status=lifecycle.Status.READY, status_reason="ready"))


@pytest.mark.timeout(600)
async def test_a_worker_killed_mid_rollout_is_taken_over_and_the_rollout_completes(
    database_url: str, kubeconfig_path: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(tmp_path, kubeconfig_path, database_url=database_url)
    database = db_module.Database.create(database_url)
    await database.upgrade()
    rt = await runtime.build(settings, component="test", database=database)
    await devkit.bootstrap_cluster(rt.cluster, settings)
    admin = request_service.Caller(
        principal=identity.Principal(subject="crash", name="crash", roles=frozenset({"platform:admin"}), source="dev")
    )
    env = {
        **_worker_env(database_url, kubeconfig_path, tmp_path, "direct"),
        "NSAAS_ENGINES__LEASE_SECONDS": LEASE_SECONDS,
    }
    faults = request.getfixturevalue("sim_faults")
    names = [unique(f"rc{i}") for i in range(NAMESPACES)]
    try:
        assert isinstance(rt.templates, TemplateService)
        spec = rt.templates.builtin().parameters
        labelled = type(spec)(pod_security=spec.pod_security, namespace_labels={"example.com/bundle": "v2"})
        await rt.templates.create("standard", labelled, admin)
        await rt.templates.publish("standard", 2, admin)
        for name in names:
            await _ready(rt, name)
        progress = await rt.rollouts.create(
            "standard", 2, [rollouts.Wave(("development",), 100)], admin, pause_seconds=0, max_failure_rate=0.0
        )
        rollout = progress.rollout.id
        # Slow every API call so the wave spans seconds and the kill lands inside it.
        faults.set([{"verb": "*", "resource": "*", "rate": 0.0, "error": "500", "latencyMs": 40}])

        worker, port = _start(env)
        await _passing(worker, port)
        for _ in range(3000):
            moved = await rt.rollouts.store.targets(rollout, states=("applied",))
            if len(moved) >= 2 or worker.poll() is not None:
                break
            await asyncio.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert worker.returncode == -signal.SIGKILL
        if worker.stderr:
            worker.stderr.close()
        done_before = len(await rt.rollouts.store.targets(rollout, states=("applied",)))
        print(f"rollout crash: killed with {done_before} of {NAMESPACES} moved", flush=True)
        assert 0 < done_before < NAMESPACES, "the kill must land mid-wave"
        killed = await rt.rollouts.store.get(rollout)
        assert killed is not None
        assert killed.state == "running"

        successor, _ = _start(env)
        try:
            for _ in range(3000):
                current = await rt.rollouts.store.get(rollout)
                if current is not None and current.state != "running":
                    break
                assert successor.poll() is None, (successor.stderr.read() if successor.stderr else b"").decode()[-3000:]
                await asyncio.sleep(0.1)
        finally:
            successor.send_signal(signal.SIGTERM)
            successor.wait(timeout=30)
            if successor.stderr:
                successor.stderr.close()
        assert current is not None
        assert (current.state, current.reason) == ("completed", "all 1 waves done")
        targets = await rt.rollouts.store.targets(rollout)
        assert [t.state for t in targets] == ["applied"] * NAMESPACES
        for name in names:
            record = await rt.repo.find_live_by_name(name)
            assert record is not None
            assert record.template_version == 2
            info = await rt.cluster.namespace_info(name)
            assert info is not None
            assert info.labels["example.com/bundle"] == "v2"
            moves = [e for e in await rt.repo.timeline(record.id) if "now on bundle template" in e.message]
            assert len(moves) == 1, (name, [e.message for e in moves])  # moved once, never twice
    finally:
        faults.clear()
        for name in names:
            record = await rt.repo.get_latest_by_name(name)
            if record is not None:
                await rt.cluster.delete_namespace(
                    name=name,
                    request_id=record.id,
                    managed_label=("platform.io/managed", "true"),
                    request_id_label="platform.io/request-id",
                )
        await rt.aclose()
