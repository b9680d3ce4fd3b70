"""The simulated Argo controller runs provisioning-shaped workflows: DAG, fan-out, retries, exit handler."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import httpx
import pytest
import yaml

from tests.sim.conftest import eventually

TEMPLATES = pathlib.Path(__file__).parent / "templates"
WORKFLOWS = "/apis/argoproj.io/v1alpha1/namespaces/{ns}/workflows"


def _install(kube: httpx.Client, namespace: str, filename: str) -> None:
    template = yaml.safe_load((TEMPLATES / filename).read_text())
    response = kube.post(f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflowtemplates", json=template)
    assert response.status_code == 201, response.text


def _run(kube: httpx.Client, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Submit a Workflow and wait until it has finished."""
    created = kube.post(WORKFLOWS.format(ns=namespace), json={"metadata": {"generateName": "wf-"}, "spec": spec})
    assert created.status_code == 201, created.text
    url = f"{WORKFLOWS.format(ns=namespace)}/{created.json()['metadata']['name']}"

    def finished() -> dict[str, Any] | None:
        workflow: dict[str, Any] = kube.get(url).json()
        return workflow if workflow.get("status", {}).get("phase") in ("Succeeded", "Failed", "Error") else None

    return eventually(finished)


def _nodes(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["displayName"]: node for node in workflow["status"]["nodes"].values()}


def _params(**values: str) -> dict[str, Any]:
    return {"parameters": [{"name": k, "value": v} for k, v in values.items()]}


def _namespace_manifest(name: str, request_id: str = "r-1") -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {"platform.io/request-id": request_id}},
        }
    )


def _provision(kube: httpx.Client, namespace: str, target: str, manifests: list[dict[str, Any]]) -> dict[str, Any]:
    _install(kube, namespace, "provision.yaml")
    arguments = _params(
        namespace=target, **{"namespace-manifest": _namespace_manifest(target)}, manifests=json.dumps(manifests)
    )
    return _run(kube, namespace, {"workflowTemplateRef": {"name": "provision-namespace"}, "arguments": arguments})


def test_provisioning_workflow_creates_the_namespace_and_every_manifest(kube: httpx.Client, namespace: str) -> None:
    target = f"{namespace}-x"
    manifests = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i}", "namespace": target},
            "data": {"i": str(i)},
        }
        for i in range(9)
    ]
    manifests.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": target},
            "spec": {"podSelector": {}},
        }
    )

    workflow = _provision(kube, namespace, target, manifests)

    assert workflow["status"]["phase"] == "Succeeded"
    assert workflow["status"]["startedAt"] <= workflow["status"]["finishedAt"]
    assert workflow["metadata"]["labels"]["workflows.argoproj.io/completed"] == "true"
    nodes = _nodes(workflow)
    assert nodes[workflow["metadata"]["name"]]["type"] == "DAG"
    assert nodes["create-namespace"]["type"] == "Retry"
    assert nodes["wait-namespace-active"]["type"] == "Pod"
    assert nodes["apply-objects"]["type"] == "TaskGroup"
    assert len(nodes["apply-objects"]["children"]) == 10
    configmaps = kube.get(f"/api/v1/namespaces/{target}/configmaps").json()["items"]
    assert sorted(c["metadata"]["name"] for c in configmaps) == [f"cm-{i}" for i in range(9)]
    assert {e["manager"] for e in configmaps[0]["metadata"]["managedFields"]} == {"argo"}
    annotations = kube.get(f"/api/v1/namespaces/{target}").json()["metadata"]["annotations"]
    assert annotations == {
        "platform.io/workflow": workflow["metadata"]["name"],
        "platform.io/workflow-status": "Succeeded",
    }


def test_a_workflow_goes_pending_then_running_then_succeeded(kube: httpx.Client, namespace: str) -> None:
    url = WORKFLOWS.format(ns=namespace)
    start = kube.get(url).json()["metadata"]["resourceVersion"]
    workflow = _provision(kube, namespace, f"{namespace}-x", [])

    phases: list[str] = []
    with kube.stream("GET", url, params={"watch": "true", "resourceVersion": start}) as response:
        for line in response.iter_lines():
            phase = json.loads(line)["object"].get("status", {}).get("phase")
            if phase and phase not in phases:
                phases.append(phase)
            if phase == "Succeeded":
                break

    assert workflow["status"]["phase"] == "Succeeded"
    assert phases == ["Pending", "Running", "Succeeded"]


def test_a_failed_attempt_is_retried_until_it_succeeds(kube: httpx.Client, namespace: str) -> None:
    get_late = {
        "name": "get-late",
        "retryStrategy": {"limit": 3, "backoff": {"duration": "1s"}},
        "resource": {"action": "get", "manifest": "{apiVersion: v1, kind: ConfigMap, metadata: {name: late}}"},
    }
    create_late = {
        "name": "create-late",
        "resource": {"action": "create", "manifest": "{apiVersion: v1, kind: ConfigMap, metadata: {name: late}}"},
    }
    main = {
        "name": "main",
        "dag": {"tasks": [{"name": "wait", "template": "get-late"}, {"name": "make", "template": "create-late"}]},
    }

    workflow = _run(kube, namespace, {"entrypoint": "main", "templates": [main, get_late, create_late]})

    assert workflow["status"]["phase"] == "Succeeded"
    retry = _nodes(workflow)["wait"]
    attempts = [workflow["status"]["nodes"][child]["phase"] for child in retry["children"]]
    assert attempts == ["Failed", "Succeeded"]


def test_exhausted_retries_fail_the_workflow_with_the_last_error(kube: httpx.Client, namespace: str) -> None:
    kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json={"metadata": {"name": "taken"}})
    create = {
        "name": "create",
        "retryStrategy": {"limit": 2, "backoff": {"duration": "1s", "factor": 2}},
        "resource": {"action": "create", "manifest": "{apiVersion: v1, kind: ConfigMap, metadata: {name: taken}}"},
    }

    workflow = _run(kube, namespace, {"entrypoint": "create", "templates": [create]})

    assert workflow["status"]["phase"] == "Failed"
    assert "already exists" in workflow["status"]["message"]
    root = workflow["status"]["nodes"][workflow["metadata"]["name"]]
    assert root["type"] == "Retry"
    assert len(root["children"]) == 3
    assert root["message"].startswith("No more retries left")


def test_a_met_failure_condition_fails_the_step(kube: httpx.Client, namespace: str) -> None:
    check = {
        "name": "check",
        "resource": {
            "action": "get",
            "failureCondition": "status.phase == Active",
            "successCondition": "status.phase == Gone",
            "manifest": f"{{apiVersion: v1, kind: Namespace, metadata: {{name: {namespace}}}}}",
        },
    }

    workflow = _run(kube, namespace, {"entrypoint": "check", "templates": [check]})

    assert workflow["status"]["phase"] == "Failed"
    assert "failure condition 'status.phase == Active' met" in workflow["status"]["message"]


def test_a_failing_exit_handler_is_recorded_on_the_exit_node(kube: httpx.Client, namespace: str) -> None:
    missing = f"{namespace}-missing"
    noop = {
        "name": "noop",
        "resource": {
            "action": "delete",
            "manifest": f"{{apiVersion: v1, kind: Namespace, metadata: {{name: {missing}}}}}",
        },
    }
    report = {
        "name": "report",
        "resource": {
            "action": "patch",
            "mergeStrategy": "merge",
            "manifest": f"{{apiVersion: v1, kind: Namespace, metadata: {{name: {missing}, annotations: {{s: done}}}}}}",
        },
    }

    workflow = _run(kube, namespace, {"entrypoint": "noop", "onExit": "report", "templates": [noop, report]})

    exit_node = _nodes(workflow)[f"{workflow['metadata']['name']}.onExit"]
    assert exit_node["phase"] == "Failed"
    assert "not found" in exit_node["message"]
    assert _nodes(workflow)[workflow["metadata"]["name"]]["phase"] == "Succeeded"
    assert workflow["status"]["phase"] == "Failed"  # as in Argo: a failed exit handler fails the workflow


@pytest.mark.parametrize(("request_id", "phase", "deleted"), [("r-1", "Succeeded", True), ("r-2", "Failed", False)])
def test_decommission_deletes_only_the_namespace_of_the_request(
    kube: httpx.Client, namespace: str, request_id: str, phase: str, deleted: bool
) -> None:
    target = f"{namespace}-x"
    kube.post("/api/v1/namespaces", json=json.loads(_namespace_manifest(target, "r-1")))
    _install(kube, namespace, "decommission.yaml")

    workflow = _run(
        kube,
        namespace,
        {
            "workflowTemplateRef": {"name": "decommission-namespace"},
            "arguments": _params(namespace=target, **{"request-id": request_id}),
        },
    )

    assert workflow["status"]["phase"] == phase
    gone = lambda: kube.get(f"/api/v1/namespaces/{target}").status_code == 404  # noqa: E731
    assert eventually(gone) if deleted else not gone()


def test_when_skips_tasks_and_with_items_fans_out(kube: httpx.Client, namespace: str) -> None:
    make = {
        "name": "make",
        "inputs": {"parameters": [{"name": "n"}]},
        "resource": {
            "action": "create",
            "manifest": "{apiVersion: v1, kind: ConfigMap, metadata: {name: 'c-{{inputs.parameters.n}}'}}",
        },
    }
    main = {
        "name": "main",
        "dag": {
            "tasks": [
                {
                    "name": "many",
                    "template": "make",
                    "withItems": ["a", "b"],
                    "arguments": {"parameters": [{"name": "n", "value": "{{item}}"}]},
                },
                {
                    "name": "never",
                    "template": "make",
                    "when": "{{workflow.parameters.extra}} == yes",
                    "arguments": {"parameters": [{"name": "n", "value": "z"}]},
                },
            ]
        },
    }

    workflow = _run(
        kube, namespace, {"entrypoint": "main", "templates": [main, make], "arguments": _params(extra="no")}
    )

    assert workflow["status"]["phase"] == "Succeeded"
    assert _nodes(workflow)["never"]["phase"] == "Skipped"
    names = sorted(
        c["metadata"]["name"] for c in kube.get(f"/api/v1/namespaces/{namespace}/configmaps").json()["items"]
    )
    assert names == ["c-a", "c-b"]


def test_steps_run_group_after_group(kube: httpx.Client, namespace: str) -> None:
    create = {
        "name": "create",
        "resource": {"action": "create", "manifest": "{apiVersion: v1, kind: ConfigMap, metadata: {name: first}}"},
    }
    check = {
        "name": "check",
        "resource": {"action": "get", "manifest": "{apiVersion: v1, kind: ConfigMap, metadata: {name: first}}"},
    }
    main = {"name": "main", "steps": [[{"name": "one", "template": "create"}], [{"name": "two", "template": "check"}]]}

    workflow = _run(kube, namespace, {"entrypoint": "main", "templates": [main, create, check]})

    assert workflow["status"]["phase"] == "Succeeded"
    assert _nodes(workflow)["two"]["phase"] == "Succeeded"


def test_a_missing_workflow_template_is_an_error(kube: httpx.Client, namespace: str) -> None:
    workflow = _run(kube, namespace, {"workflowTemplateRef": {"name": "absent"}})

    assert workflow["status"]["phase"] == "Error"
    assert workflow["status"]["message"] == 'workflowtemplates.argoproj.io "absent" not found'


def test_a_parameter_without_a_value_is_an_error(kube: httpx.Client, namespace: str) -> None:
    _install(kube, namespace, "provision.yaml")

    workflow = _run(kube, namespace, {"workflowTemplateRef": {"name": "provision-namespace"}})

    assert workflow["status"]["phase"] == "Error"
    assert "spec.arguments.namespace.value is required" in workflow["status"]["message"]


def test_unsupported_template_types_fail_loudly(kube: httpx.Client, namespace: str) -> None:
    container = {"name": "run", "container": {"image": "busybox", "command": ["true"]}}

    workflow = _run(kube, namespace, {"entrypoint": "run", "templates": [container]})

    assert workflow["status"]["phase"] == "Error"
    assert "simulated" in workflow["status"]["message"]


def test_deleting_a_running_workflow_stops_it(kube: httpx.Client, namespace: str) -> None:
    never = {
        "name": "never",
        "resource": {
            "action": "get",
            "successCondition": "status.phase == Never",
            "manifest": f"{{apiVersion: v1, kind: Namespace, metadata: {{name: {namespace}}}}}",
        },
    }
    created = kube.post(
        WORKFLOWS.format(ns=namespace),
        json={"metadata": {"name": "stuck"}, "spec": {"entrypoint": "never", "templates": [never]}},
    )
    assert created.status_code == 201
    url = f"{WORKFLOWS.format(ns=namespace)}/stuck"
    eventually(lambda: kube.get(url).json().get("status", {}).get("phase") == "Running")
    assert kube.get("/_sim/stats").json()["workflowsRunning"] >= 1

    kube.delete(url)

    eventually(lambda: kube.get("/_sim/stats").json()["workflowsRunning"] == 0)
    assert kube.get(url).status_code == 404


def test_a_merge_patch_can_target_an_object_by_flags(kube: httpx.Client, namespace: str) -> None:
    manifest = "metadata: {annotations: {done: '{{workflow.name}}', by: '{{workflow.labels.owner}}'}}"
    annotate = {
        "name": "annotate",
        "resource": {
            "action": "patch",
            "mergeStrategy": "merge",
            "flags": ["namespace", "{{workflow.namespace}}"],
            "manifest": manifest,
        },
    }
    body = {
        "metadata": {"name": "annotate", "labels": {"owner": "platform"}},
        "spec": {"entrypoint": "annotate", "templates": [annotate]},
    }
    assert kube.post(WORKFLOWS.format(ns=namespace), json=body).status_code == 201
    url = f"{WORKFLOWS.format(ns=namespace)}/annotate"

    eventually(lambda: kube.get(url).json().get("status", {}).get("phase") == "Succeeded")

    annotations = kube.get(f"/api/v1/namespaces/{namespace}").json()["metadata"]["annotations"]
    assert annotations == {"done": "annotate", "by": "platform"}
