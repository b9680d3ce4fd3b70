"""SIGKILL the worker at random points while it provisions and deletes; everything still converges.

The worker runs as a real ``nsaas worker`` process against a database of its own and the
simulator. It is killed many times mid-work; afterwards one last worker must finish every
request with no lost request, no duplicate workflow and no orphaned object.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from nsaas import devkit, runtime
from nsaas.adapters.db import database as db_module
from nsaas.domain import identity, lifecycle
from nsaas.services import requests as request_service
from tests.support import workers
from tests.support.platform import free_port, settings_for, unique

pytestmark = pytest.mark.slow
#: Each kill costs a worker start (imports: seconds, tens of seconds on a loaded machine).
KILLS = 6
#: Kills (of 2 x KILLS: provisioning, then decommissioning) that must land while an operation is
#: under way, not while a worker starts up: most of them, and at least 2 in each phase.
MID_WORK_REQUIRED = KILLS + 1
MID_WORK_PER_PHASE = 2
#: Two fresh requests (or decommissions) for each kill.
REQUESTS = 2 * KILLS


def _worker_env(url: str, kubeconfig: Path, data_dir: Path, engine: str) -> dict[str, str]:
    return {
        **os.environ,
        "NSAAS_DATABASE_URL": url,
        "NSAAS_KUBECONFIG": str(kubeconfig),
        "NSAAS_AUTH_MODE": "dev",
        "NSAAS_DATA_DIR": str(data_dir),
        "NSAAS_ENGINE": engine,
        "NSAAS_LOG_JSON": "false",
        "NSAAS_LOG_LEVEL": "WARNING",
        # The production lease (30 s, kept alive by the heartbeat) and attempt budget (8): a killed
        # worker's claims block their requests until the lease lapses, as they would in a cluster.
        # One claim per pass, so two workers polling at once share fresh work.
        "NSAAS_ENGINES__POLL_SECONDS": "0.05",
        "NSAAS_ENGINES__RESYNC_SECONDS": "3600",
        "NSAAS_ENGINES__BATCH_SIZE": "1",
    }


def _start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """A worker process and the port of its metrics (which say when it is making claiming passes)."""
    port = free_port()
    worker = subprocess.Popen(
        [sys.executable, "-m", "nsaas.cli.main", "worker", "--metrics-port", str(port), "--metrics-host", "127.0.0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return worker, port


async def _passing(worker: subprocess.Popen[bytes], port: int) -> None:
    """Wait until the worker has made a claiming pass (it imports everything first: seconds)."""
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(1200):
            assert worker.poll() is None, (worker.stderr.read() if worker.stderr else b"").decode()[-3000:]
            if (await workers.last_pass(client, port) or 0.0) > 0:
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the worker never made a claiming pass")


IN_PROGRESS = {lifecycle.Status.PROVISIONING, lifecycle.Status.UPDATING, lifecycle.Status.DECOMMISSIONING}
Work = Callable[[list[str]], Awaitable[None]]


async def _kill_repeatedly(
    rt: runtime.Runtime, env: dict[str, str], rng: random.Random, names: list[str], start_work: Work
) -> int:
    """Two workers compete for the work; KILLS times: start a worker, once it is passing give both
    fresh work (``start_work`` on the next names), SIGKILL it a random moment after it holds a lease.

    Returns how many kills hit with an operation under way (mid-work, not mid-startup).
    """
    mid_work = 0
    # A second worker claims concurrently the whole time, one step at a time, so that it cannot take
    # all the fresh work from the worker about to be killed.
    other, _ = _start({**env, "NSAAS_ENGINES__MAX_CONCURRENT_STEPS": "1"})
    per_kill = len(names) // KILLS
    try:
        for index in range(KILLS):
            mid_work += await _kill_once(
                rt, env, rng, names, names[index * per_kill : (index + 1) * per_kill], start_work
            )
    finally:
        other.send_signal(signal.SIGKILL)
        other.wait()
        if other.stderr:
            other.stderr.close()
    return mid_work


async def _kill_once(
    rt: runtime.Runtime, env: dict[str, str], rng: random.Random, names: list[str], fresh: list[str], start_work: Work
) -> int:
    """Start a worker, give it fresh work once it passes, SIGKILL it a random moment after it holds
    a lease; 1 if it still held one when killed."""
    worker, port = _start(env)
    began = time.monotonic()
    await _passing(worker, port)
    print(f"crash: worker passing after {time.monotonic() - began:.1f} s", flush=True)
    await start_work(fresh)
    for _ in range(600):
        if await _held_by(rt, names, worker.pid) or worker.poll() is not None:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(rng.uniform(0.0, 0.15))
    mid_work = int(await _held_by(rt, names, worker.pid))
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert worker.returncode == -signal.SIGKILL, (worker.stderr.read() if worker.stderr else b"").decode()[-2000:]
    if worker.stderr:
        worker.stderr.close()
    return mid_work


async def _held_by(rt: runtime.Runtime, names: list[str], pid: int) -> bool:
    """True while the worker with this pid holds the lease of a request part-way through an operation."""
    for name in names:
        record = await rt.repo.get_latest_by_name(name)
        if record is not None and record.status in IN_PROGRESS and f"-{pid}-" in (record.lease_owner or ""):
            return True
    return False


async def _settle(rt: runtime.Runtime, env: dict[str, str], names: list[str], want: set[str]) -> None:
    """One last worker finishes everything (after the killed workers' leases lapse: up to 30 s)."""
    worker, _ = _start(env)
    try:
        for _ in range(1200):
            states = [await rt.repo.get_latest_by_name(n) for n in names]
            if all(s is not None and s.status in want for s in states):
                return
            assert worker.poll() is None, (worker.stderr.read() if worker.stderr else b"").decode()[-3000:]
            await asyncio.sleep(0.1)
        raise AssertionError(f"not settled: {[(s.name, s.status, s.last_error) for s in states if s]}")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        if worker.stderr:
            worker.stderr.close()


def _assert_each_object_created_once(faults: Any, names: list[str]) -> None:
    """The simulator's audit: every object of these namespaces came into existence exactly once,
    whichever engine (platform or workflow) created it; a duplicate or re-created object shows here."""
    mine = {
        key: count
        for key, count in faults.creations.items()
        if any(f"/{n}/" in key or key.endswith(f"/{n}") for n in names)
    }
    for name in names:
        assert mine.get(f"namespaces//{name}") == 1, (name, mine.get(f"namespaces//{name}"))
    assert len(mine) > len(names)  # the bundles' objects are in the audit, not only the namespaces
    assert {k: c for k, c in mine.items() if c != 1} == {}


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("engine", ["direct", "argo"])
async def test_killing_the_worker_mid_work_loses_nothing_and_duplicates_nothing(
    database_url: str, kubeconfig_path: Path, tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(tmp_path, kubeconfig_path, engine=engine, database_url=database_url)
    # One admin submits every request of the test, all for one team.
    settings.auth.create_limit = settings.policy.team_namespace_cap = 1000
    database = db_module.Database.create(database_url)
    await database.upgrade()
    rt = await runtime.build(settings, component="test", database=database)
    await devkit.bootstrap_cluster(rt.cluster, settings)
    env = _worker_env(database_url, kubeconfig_path, tmp_path, engine)
    rng = random.Random(1234)
    admin = request_service.Caller(
        principal=identity.Principal(
            subject="crash-test", name="crash", roles=frozenset({"platform:admin"}), source="dev"
        )
    )
    names = [unique(f"crash-{engine[:3]}{i}") for i in range(REQUESTS)]
    faults = None
    if not os.environ.get("NSAAS_E2E_KUBECONFIG"):
        # Slow every API call a little so the work spans long enough for kills to land inside it.
        faults = request.getfixturevalue("sim_faults")
        faults.set([{"verb": "*", "resource": "*", "rate": 0.0, "error": "500", "latencyMs": 100}])

    async def submit(fresh: list[str]) -> None:
        for name in fresh:
            body = {
                "namespaceName": name,
                "team": "team-c",
                "environment": "development",
                "resourceTier": "small",
                "networkPolicy": "team-shared",
                "features": ["istio-injection", "backup-enabled"],
            }
            await rt.requests.submit(body, admin, respond=lambda r: {"requestId": r.id})

    async def decommission(fresh: list[str]) -> None:
        for name in fresh:
            await rt.requests.decommission(name, admin)

    try:
        provisioning = await _kill_repeatedly(rt, env, rng, names, submit)
        print(f"crash: {provisioning} of {KILLS} kills landed mid-provisioning", flush=True)
        assert provisioning >= MID_WORK_PER_PHASE, f"only {provisioning} of {KILLS} kills landed mid-work"
        await _settle(rt, env, names, {"ready"})
        if faults is not None:
            _assert_each_object_created_once(faults, names)
        for name in names:
            record = await rt.repo.find_live_by_name(name)
            assert record is not None
            seen = await rt.cluster.observe(bundle=rt.reconciler.bundle(record))
            assert seen.matches, (name, seen.missing, seen.drifted)

        deleting = await _kill_repeatedly(rt, env, rng, names, decommission)
        print(f"crash: {deleting} of {KILLS} kills landed mid-decommission", flush=True)
        assert deleting >= MID_WORK_PER_PHASE, f"only {deleting} of {KILLS} kills landed mid-work"
        mid_work = provisioning + deleting
        assert mid_work >= MID_WORK_REQUIRED, f"only {mid_work} of {2 * KILLS} kills landed mid-work"
        await _settle(rt, env, names, {"deleted"})
        for name in names:
            record = await rt.repo.get_latest_by_name(name)
            assert record is not None
            assert record.status == lifecycle.Status.DELETED
            assert await rt.cluster.namespace_info(name) is None
            leftovers = await rt.cluster.delete_by_selector(bundle=rt.reconciler.bundle(record))
            assert leftovers == (), f"orphaned objects of {name}: {leftovers}"
        if engine == "argo":
            await _assert_one_workflow_per_attempt(rt, names)
    finally:
        await rt.aclose()


async def _assert_one_workflow_per_attempt(rt: runtime.Runtime, names: list[str]) -> None:
    from nsaas.adapters.kube import cluster as kube_cluster

    assert isinstance(rt.cluster, kube_cluster.Cluster)
    for name in names:
        record = await rt.repo.get_latest_by_name(name)
        assert record is not None
        workflows = await rt.cluster._kube.list(
            api_version="argoproj.io/v1alpha1",
            kind="Workflow",
            namespace="argo",
            labels={"platform.io/request-id": record.id},
        )
        names_seen = [w["metadata"]["name"] for w in workflows]
        assert len(names_seen) == len(set(names_seen))
        provision = [n for n in names_seen if n.startswith("nsaas-prov-")]
        assert any(n.endswith("-g1-a0") for n in provision), names_seen
