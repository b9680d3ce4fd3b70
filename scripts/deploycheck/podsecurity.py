"""Security checks of every pod template: the seed's "non-root, read-only, dropped capabilities".

Each container (init containers included) must run as non-root with a read-only root filesystem,
no privilege escalation, ALL capabilities dropped, the RuntimeDefault seccomp profile, and CPU and
memory requests plus a memory limit; long-running containers need liveness and readiness probes.
The pod must decide explicitly whether a ServiceAccount token is mounted.
"""

from __future__ import annotations

from typing import Any

from scripts.deploycheck import findings

POD_TEMPLATE_PATHS = {
    "Deployment": "spec.template.spec",
    "StatefulSet": "spec.template.spec",
    "DaemonSet": "spec.template.spec",
    "ReplicaSet": "spec.template.spec",
    "Job": "spec.template.spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
    "Pod": "spec",
}
POD_LABEL_PATHS = {kind: path.removesuffix("spec") + "metadata.labels" for kind, path in POD_TEMPLATE_PATHS.items()}


def check(objects: list[findings.Manifest]) -> list[findings.Finding]:
    problems: list[findings.Finding] = []
    for obj in objects:
        path = POD_TEMPLATE_PATHS.get(str(obj.get("kind")))
        if path is None:
            continue
        pod = findings.dig(obj, path) or {}
        subject = findings.describe(obj)
        problems.extend(
            findings.Finding("pod-security", subject, m) for m in pod_problems(pod, long_running=obj["kind"] != "Job")
        )
    return problems


def pod_problems(pod: dict[str, Any], *, long_running: bool) -> list[str]:
    messages = []
    if "automountServiceAccountToken" not in pod:
        messages.append("automountServiceAccountToken must be set explicitly")
    pod_sc = pod.get("securityContext") or {}
    for container in pod.get("initContainers") or []:
        messages.extend(_container(container, pod_sc, probes=False))
    for container in pod.get("containers") or []:
        messages.extend(_container(container, pod_sc, probes=long_running))
    return messages


def _container(container: dict[str, Any], pod_sc: dict[str, Any], *, probes: bool) -> list[str]:
    name = container.get("name", "?")
    sc = container.get("securityContext") or {}
    messages = []

    def effective(key: str) -> Any:
        return sc.get(key, pod_sc.get(key))

    if effective("runAsNonRoot") is not True:
        messages.append(f"container {name}: runAsNonRoot must be true")
    if sc.get("readOnlyRootFilesystem") is not True:
        messages.append(f"container {name}: readOnlyRootFilesystem must be true")
    if sc.get("allowPrivilegeEscalation") is not False:
        messages.append(f"container {name}: allowPrivilegeEscalation must be false")
    if "ALL" not in (findings.dig(sc, "capabilities.drop") or []):
        messages.append(f"container {name}: capabilities must drop ALL")
    if (effective("seccompProfile") or {}).get("type") != "RuntimeDefault":
        messages.append(f"container {name}: seccompProfile must be RuntimeDefault")
    resources = container.get("resources") or {}
    for key in ("requests.cpu", "requests.memory", "limits.memory"):
        if findings.dig(resources, key) is None:
            messages.append(f"container {name}: resources.{key} must be set")
    if probes:
        messages.extend(
            f"container {name}: {probe} must be set"
            for probe in ("livenessProbe", "readinessProbe")
            if probe not in container
        )
    return messages
