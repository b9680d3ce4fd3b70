"""The simulated Argo workflow controller: one asyncio task per running Workflow.

A Workflow is picked up when it is created (and not already finished); deleting it cancels its
run. What a run can do is described in ``nsaas.sim.argo``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from nsaas.sim import api, store
from nsaas.sim.argo import run
from nsaas.sim.controllers import base

_FINISHED = {"Succeeded", "Failed", "Error"}
WORKFLOWS_KEY = "workflows.argoproj.io"


class WorkflowController(base.Controller):
    name = "workflows"

    def __init__(self, kube: api.Api, *, time_scale: float) -> None:
        super().__init__(kube)
        self.time_scale = time_scale
        self._runs: dict[str, asyncio.Task[None]] = {}

    def keys_for(self, event: store.Event) -> Iterable[str]:
        if event.key != WORKFLOWS_KEY or event.type == "MODIFIED":
            return []
        meta = event.obj["metadata"]
        return [f"{meta['namespace']}/{meta['name']}"]

    async def reconcile(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        workflows = self.api.registry.by_key(WORKFLOWS_KEY)
        workflow = self.api.store.get(workflows, namespace, name) if workflows is not None else None
        running = self._runs.get(key)
        if workflow is None:
            if running is not None:
                running.cancel()
            return
        if running is not None or (workflow.get("status") or {}).get("phase") in _FINISHED:
            return
        execution = run.WorkflowRun(self.api, namespace=namespace, name=name, time_scale=self.time_scale)
        task = asyncio.create_task(execution.run(), name=f"nsaas-sim-workflow-{key}")
        self._runs[key] = task
        task.add_done_callback(lambda done: self._runs.pop(key, None) if self._runs.get(key) is done else None)

    async def stop(self) -> None:
        await super().stop()
        tasks = list(self._runs.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._runs.clear()

    @property
    def active(self) -> int:
        return len(self._runs)
