"""The argo engine end to end: Workflows from the platform's own WorkflowTemplates, in the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nsaas.adapters.db import database as db_module
from nsaas.reconcile.engines import argo
from tests.support.platform import Platform, running_platform, unique


@pytest.fixture
async def argo_platform(database: db_module.Database, kubeconfig_path: Path, tmp_path: Path) -> AsyncIterator[Platform]:
    async with running_platform(database, kubeconfig_path, tmp_path, engine="argo") as plat:
        yield plat


async def test_argo_engine_provisions_through_a_workflow_and_maps_its_steps(argo_platform: Platform) -> None:
    plat = argo_platform
    name = unique("argo")
    accepted = await plat.call("POST", "/namespaces/request", json=plat.body(name, features=["monitoring-enhanced"]))
    request_id = accepted.json()["data"]["requestId"]
    assert await plat.converge(name) == "ready"
    record = await plat.rt.repo.get(request_id)
    assert record.engine == "argo"
    assert record.workflow_name == f"nsaas-prov-{request_id.replace('-', '')[:12]}-g1-a0"
    workflow = await plat.rt.cluster.get_workflow(namespace="argo", name=record.workflow_name)
    assert workflow is not None
    assert workflow["status"]["phase"] == "Succeeded"
    assert workflow["metadata"]["labels"]["platform.io/request-id"] == request_id
    steps = {e.step for e in await plat.rt.repo.timeline(request_id) if e.kind == "step"}
    assert any(s and s.endswith(":create-namespace") for s in steps)
    assert any(s and s.endswith(":wait-namespace-active") for s in steps)
    detail = (await plat.call("GET", f"/namespaces/{name}")).json()["data"]
    assert detail["cluster"]["matches"] is True

    gone = await plat.call("DELETE", f"/namespaces/{name}")
    assert gone.status_code == 202
    assert await plat.converge(name) == "deleted"
    assert await plat.rt.cluster.namespace_info(name) is None


async def test_a_resubmitted_workflow_reuses_the_one_already_running(argo_platform: Platform) -> None:
    plat = argo_platform
    name = unique("argo-idem")
    accepted = await plat.call("POST", "/namespaces/request", json=plat.body(name))
    record = await plat.rt.repo.get(accepted.json()["data"]["requestId"])
    engine = argo.ArgoEngine(settings=plat.settings, cluster=plat.rt.cluster)
    bundle = plat.rt.reconciler.bundle(record)
    first = await engine.provision(record=record, bundle=bundle)
    again = await engine.provision(record=record, bundle=bundle)
    assert first.workflow == again.workflow
    listed = await plat.rt.cluster.get_workflow(namespace="argo", name=str(first.workflow))
    assert listed is not None
    assert await plat.converge(name) == "ready"
    await plat.call("DELETE", f"/namespaces/{name}")
    assert await plat.converge(name) == "deleted"
