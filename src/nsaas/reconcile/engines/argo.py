"""The ``argo`` engine: Argo Workflows created through the Kubernetes API.

A Workflow is created from the ``nsaas-provision-namespace`` / ``-decommission-`` WorkflowTemplate.
Workflow names are deterministic per request, generation and attempt, so a resubmit after a crash
hits 409 and reuses the workflow already running. Its nodes become steps on the request's timeline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from nsaas import config, metrics
from nsaas.bundle import model, ownership
from nsaas.domain import records
from nsaas.reconcile.engines import Progress, Step
from nsaas.services import ports


class ArgoEngine:
    """Provision and decommission through Argo Workflows created via the Kubernetes API."""

    name: Literal["argo"] = "argo"

    def __init__(self, *, settings: config.Settings, cluster: ports.Cluster) -> None:
        self.engines = settings.engines
        self.ownership = ownership.Ownership.of(settings.labels)
        self.cluster = cluster
        #: Workflows whose final phase was counted (a finished workflow is read again while waiting).
        self._counted: set[str] = set()

    def _count(self, template: str, name: str, phase: str) -> None:
        if name in self._counted:
            return
        if len(self._counted) > 10_000:
            self._counted.clear()
        self._counted.add(name)
        metrics.WORKFLOW_RESULTS.labels(template, phase).inc()

    @staticmethod
    def workflow_name(*, request_id: str, generation: int, attempt: int, operation: str) -> str:
        """Deterministic per request, generation and attempt: a resubmit after a crash gets 409."""
        short = request_id.replace("-", "")[:12]
        return f"nsaas-{operation[:4]}-{short}-g{generation}-a{attempt}"

    def workflow(
        self, *, request_id: str, generation: int, attempt: int, bundle: model.Bundle, operation: str
    ) -> dict[str, Any]:
        """The Workflow object for one attempt (pure: golden-testable)."""
        engines = self.engines
        template = engines.provision_template if operation == "provision" else engines.decommission_template
        namespace_manifest = next(m for m in bundle.manifests if m["kind"] == "Namespace")
        others = [m for m in bundle.manifests if m["kind"] != "Namespace"]
        parameters = {
            "request-id": request_id,
            "namespace": bundle.namespace,
            "digest": bundle.digest,
            "namespace-manifest": json.dumps(namespace_manifest, sort_keys=True),
            "manifests": json.dumps(others, sort_keys=True),
        }
        return {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "metadata": {
                "name": self.workflow_name(
                    request_id=request_id, generation=generation, attempt=attempt, operation=operation
                ),
                "namespace": engines.argo_namespace,
                "labels": {
                    **bundle.selector,
                    self.ownership.key("operation"): operation,
                    self.ownership.key("generation"): str(generation),
                },
            },
            "spec": {
                "workflowTemplateRef": {"name": template},
                "arguments": {"parameters": [{"name": k, "value": v} for k, v in parameters.items()]},
            },
        }

    async def provision(self, *, record: records.RequestRecord, bundle: model.Bundle) -> Progress:
        return await self._run(record=record, bundle=bundle, operation="provision")

    async def decommission(self, *, record: records.RequestRecord, bundle: model.Bundle) -> Progress:
        progress = await self._run(record=record, bundle=bundle, operation="decommission")
        if progress.outcome == "done":
            # The workflow started the deletion; the reconciler waits until the namespace is gone.
            return Progress.waiting(progress.message, *progress.steps, workflow=progress.workflow)
        return progress

    async def _run(self, *, record: records.RequestRecord, bundle: model.Bundle, operation: str) -> Progress:
        manifest = self.workflow(
            request_id=record.id,
            generation=record.generation,
            attempt=record.attempts,
            bundle=bundle,
            operation=operation,
        )
        name = manifest["metadata"]["name"]
        namespace = manifest["metadata"]["namespace"]
        live = await self.cluster.get_workflow(namespace=namespace, name=name)
        if live is None:
            live = await self.cluster.create_workflow(manifest=manifest)
        status = live.get("status") or {}
        phase = status.get("phase") or "Pending"
        steps = tuple(_node_steps(status.get("nodes") or {}, workflow=name))
        template = manifest["spec"]["workflowTemplateRef"]["name"]
        if phase == "Succeeded":
            self._count(template, name, phase)
            return Progress.done(f"workflow {name} succeeded", *steps, workflow=name)
        if phase in ("Failed", "Error"):
            self._count(template, name, phase)
            reason = status.get("message") or _first_failure(steps) or phase
            return Progress.failed(f"workflow {name} {phase.lower()}: {reason}", *steps, workflow=name)
        return Progress.waiting(f"workflow {name} {phase.lower()}", *steps, workflow=name)


_ITEM = re.compile(r"\((\d+):.*\)$")
_RETRY = re.compile(r"\(\d+\)$")


def step_name(display_name: str, *, workflow: str) -> str:
    """A readable step name: ``apply-objects(3:{...json...})(0)`` -> ``apply-objects[3]``."""
    name = display_name.removeprefix(f"{workflow}.")
    name = _RETRY.sub("", name)
    return _ITEM.sub(r"[\1]", name)


def _node_steps(nodes: Mapping[str, Any], *, workflow: str) -> list[Step]:
    """Workflow nodes as timeline steps, in start order; the DAG root and retry wrappers are left out."""
    picked = [
        n for n in nodes.values() if n.get("type") in ("Pod", "Skipped", "Suspend") or (n.get("type") == "TaskGroup")
    ]
    picked.sort(key=lambda n: (n.get("startedAt") or "", n.get("displayName") or ""))
    return [
        Step(
            step_name(str(n.get("displayName") or n.get("name")), workflow=workflow),
            str(n.get("phase") or "Pending"),
            str(n.get("message") or ""),
            {
                "workflow": workflow,
                "node": n.get("id"),
                "startedAt": n.get("startedAt"),
                "finishedAt": n.get("finishedAt"),
            },
        )
        for n in picked
    ]


def _first_failure(steps: Sequence[Step]) -> str | None:
    for step in steps:
        if step.phase in ("Failed", "Error") and step.message:
            return f"{step.name}: {step.message}"
    return None
