"""One workflow execution: templates, DAGs, steps, fan-out, retries and the exit handler.

The run keeps the node tree in memory and writes ``status`` back to the Workflow object whenever
it changes (coalesced to one write per loop turn), so clients watching the Workflow see
Pending -> Running -> Succeeded/Failed/Error and every node's progress, as with Argo. A
step's failure is data (a node phase), never an exception; an exception here is a simulator bug
and ends the workflow in Error with the exception text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from nsaas.sim import api, errors, objects, resources
from nsaas.sim.argo import actions, expressions, flow, nodes

MANAGER = "workflow-controller"
PHASE_LABEL = "workflows.argoproj.io/phase"
COMPLETED_LABEL = "workflows.argoproj.io/completed"
_log = logging.getLogger(__name__)

Template = Mapping[str, Any]


class RunError(Exception):
    """The workflow cannot start (missing template reference, missing parameter value)."""


def _kind(registry: resources.Registry, plural: str) -> resources.ResourceType:
    rt = registry.lookup("argoproj.io", "v1alpha1", plural)
    if rt is None:
        raise RunError(f"argoproj.io/v1alpha1 {plural} are not served")
    return rt


class WorkflowRun:
    def __init__(self, kube: api.Api, *, namespace: str, name: str, time_scale: float) -> None:
        self.kube = kube
        self.namespace = namespace
        self.name = name
        self.time_scale = time_scale
        self.workflows = _kind(kube.registry, "workflows")
        self.nodes: dict[str, nodes.Node] = {}
        self.status: dict[str, Any] = {"phase": "Pending"}
        self.templates: dict[str, Template] = {}
        self.scope: dict[str, Any] = {}
        self._uid = ""
        self._flush_pending = False
        self._task: asyncio.Task[Any] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        self._task = asyncio.current_task()
        workflow = self.kube.store.get(self.workflows, self.namespace, self.name)
        if workflow is None:
            return
        self._uid = workflow["metadata"]["uid"]
        try:
            spec = self._effective_spec(workflow)
            parameters = self._parameters(spec, workflow["metadata"])
        except (RunError, expressions.ExpressionError) as exc:
            self._finish("Error", str(exc))
            return
        self._flush()
        self.status.update(phase="Running", startedAt=objects.now())
        self._flush()
        try:
            phase, message = await self._main(spec, parameters)
        except Exception as exc:
            _log.exception("workflow %s/%s crashed the simulated controller", self.namespace, self.name)
            phase, message = "Error", f"simulator error: {exc!r}"
        self._finish(phase, message)

    async def _main(self, spec: Mapping[str, Any], parameters: dict[str, str]) -> tuple[str, str]:
        root = await self.execute(str(spec.get("entrypoint", "")), self.name, args=parameters, parent=None)
        phase = "Succeeded" if root.ok else ("Error" if root.phase == "Error" else "Failed")
        message = "" if root.ok else self._first_failure(root)
        if spec.get("onExit"):
            self.scope["workflow.status"] = phase
            exit_node = await self.execute(str(spec["onExit"]), f"{self.name}.onExit", args={}, parent=None)
            if phase == "Succeeded" and not exit_node.ok:
                phase, message = "Failed", self._first_failure(exit_node)
        return phase, message

    def _finish(self, phase: str, message: str) -> None:
        self.status.update(phase=phase, finishedAt=objects.now())
        self.status.setdefault("startedAt", self.status["finishedAt"])
        if message:
            self.status["message"] = message
        self._flush()

    def _first_failure(self, node: nodes.Node) -> str:
        for child_id in node.children:
            child = self.nodes[child_id]
            if not child.ok:
                return self._first_failure(child) or child.message
        return node.message or f"{node.display_name} {node.phase.lower()}"

    # -- spec and parameters -----------------------------------------------------------------

    def _effective_spec(self, workflow: Mapping[str, Any]) -> dict[str, Any]:
        spec = dict(workflow.get("spec") or {})
        ref = spec.pop("workflowTemplateRef", None)
        if ref:
            template = self._workflow_template(str(ref.get("name", "")))
            base = objects.clone(template.get("spec") or {})
            own_args = (spec.pop("arguments", None) or {}).get("parameters") or []
            spec = {**base, **spec}
            spec["arguments"] = {
                "parameters": _merge_parameters((base.get("arguments") or {}).get("parameters"), own_args)
            }
        self.templates = {str(t.get("name")): t for t in spec.get("templates") or []}
        return spec

    def _workflow_template(self, name: str) -> Mapping[str, Any]:
        found = self.kube.store.get(_kind(self.kube.registry, "workflowtemplates"), self.namespace, name)
        if found is None:
            raise RunError(f'workflowtemplates.argoproj.io "{name}" not found')
        return found

    def _parameters(self, spec: Mapping[str, Any], meta: Mapping[str, Any]) -> dict[str, str]:
        values: dict[str, str] = {}
        for param in (spec.get("arguments") or {}).get("parameters") or []:
            if "value" not in param:
                raise RunError(f"spec.arguments.{param.get('name')}.value is required")
            values[str(param["name"])] = expressions.render(param["value"])
        self.scope = {
            "workflow.name": self.name,
            "workflow.namespace": self.namespace,
            "workflow.uid": self._uid,
            "workflow.creationTimestamp": meta.get("creationTimestamp", ""),
            **{f"workflow.labels.{k}": v for k, v in (meta.get("labels") or {}).items()},
            **{f"workflow.annotations.{k}": v for k, v in (meta.get("annotations") or {}).items()},
            **{f"workflow.parameters.{k}": v for k, v in values.items()},
        }
        return values

    # -- nodes and status --------------------------------------------------------------------

    def new_node(self, name: str, display: str, kind: str, template: str, parent: nodes.Node | None) -> nodes.Node:
        node = nodes.Node(nodes.node_id(self.name, name), name, display, kind, template)
        if parent is not None:
            parent.children.append(node.id)
            node.boundary_id = parent.id if parent.type in ("DAG", "Steps") else parent.boundary_id
        self.nodes[node.id] = node
        self.changed()
        return node

    def done(self, node: nodes.Node, phase: str, message: str = "") -> nodes.Node:
        node.finish(phase, message)
        self.changed()
        return node

    def changed(self) -> None:
        if not self._flush_pending:
            self._flush_pending = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        current = self.kube.store.get(self.workflows, self.namespace, self.name)
        if current is None or current["metadata"].get("uid") != self._uid:
            self._abandon()
            return
        status = {**self.status, "nodes": {node_id: n.to_json() for node_id, n in self.nodes.items()}}
        completed = "true" if self.status.get("finishedAt") else "false"
        labels = {
            **(current["metadata"].get("labels") or {}),
            PHASE_LABEL: self.status["phase"],
            COMPLETED_LABEL: completed,
        }
        body = {**current, "metadata": {**current["metadata"], "labels": labels}, "status": status}
        try:
            self.kube.update(self.workflows, self.namespace, self.name, body, manager=MANAGER)
        except errors.ApiError:
            self._abandon()

    def _abandon(self) -> None:
        """The Workflow was deleted (or replaced): stop working on it."""
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()

    # -- templates ---------------------------------------------------------------------------

    def _inputs(self, template: Template, args: Mapping[str, str]) -> dict[str, str]:
        values: dict[str, str] = {}
        for param in (template.get("inputs") or {}).get("parameters") or []:
            name = str(param.get("name"))
            if name in args:
                values[name] = args[name]
            elif "value" in param:
                values[name] = expressions.render(param["value"])
            elif "default" in param:
                values[name] = expressions.render(param["default"])
            else:
                raise RunError(f"inputs.parameters.{name} was not supplied")
        return values

    async def execute(
        self,
        template_name: str,
        node_name: str,
        *,
        args: Mapping[str, str],
        parent: nodes.Node | None,
        display: str | None = None,
    ) -> nodes.Node:
        """Run a template as node ``node_name`` (with retries if it has a retryStrategy)."""
        display = display or (node_name if parent is None else node_name.rsplit(".", 1)[-1])
        template = self.templates.get(template_name)
        if template is None:
            node = self.new_node(node_name, display, "Pod", template_name, parent)
            return self.done(node, "Error", f"template {template_name!r} not found")
        try:
            inputs = self._inputs(template, args)
        except RunError as exc:
            node = self.new_node(node_name, display, "Pod", template_name, parent)
            return self.done(node, "Error", str(exc))
        scope = {**self.scope, **{f"inputs.parameters.{k}": v for k, v in inputs.items()}}
        if template.get("retryStrategy"):
            return await flow.with_retries(self, template, node_name, display, scope, parent)
        return await self.execute_once(template, node_name, display, scope, parent)

    async def execute_once(
        self, template: Template, node_name: str, display: str, scope: dict[str, Any], parent: nodes.Node | None
    ) -> nodes.Node:
        name = str(template.get("name"))
        if "dag" in template:
            return await flow.dag(self, template, self.new_node(node_name, display, "DAG", name, parent), scope)
        if "steps" in template:
            return await flow.steps(self, template, self.new_node(node_name, display, "Steps", name, parent), scope)
        node = self.new_node(node_name, display, "Pod", name, parent)
        if "resource" not in template:
            return self.done(node, "Error", "only dag, steps and resource templates are simulated")
        deadline = float(template["activeDeadlineSeconds"]) if template.get("activeDeadlineSeconds") else None
        outcome = await actions.run(
            self.kube, spec=template["resource"], scope=scope, namespace=self.namespace, deadline_seconds=deadline
        )
        return self.done(node, outcome.phase, outcome.message)

    def template_for(self, task: Mapping[str, Any]) -> str:
        """The template a task or step calls; a ``templateRef`` is loaded from its WorkflowTemplate."""
        ref = task.get("templateRef")
        if not ref:
            return str(task.get("template", ""))
        key = f"{ref.get('name')}/{ref.get('template')}"
        if key not in self.templates:
            try:
                source = self._workflow_template(str(ref.get("name", "")))
            except RunError:
                return key
            for template in (source.get("spec") or {}).get("templates") or []:
                if template.get("name") == ref.get("template"):
                    self.templates[key] = template
        return key


def _merge_parameters(defaults: Any, overrides: Any) -> list[dict[str, Any]]:
    merged = {str(p.get("name")): dict(p) for p in defaults or []}
    for param in overrides or []:
        merged[str(param.get("name"))] = {**merged.get(str(param.get("name")), {}), **param}
    return list(merged.values())
