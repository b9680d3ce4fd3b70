"""Cross-object references that kustomize happily builds broken.

A Deployment env var reading key K of Secret S only works if an ExternalSecret in the same
namespace produces S with key K (the keys of its template when it has one, else its data's
secretKeys); ConfigMaps referenced by pods must exist; Services, PDBs, ServiceMonitors and HPAs
must select something that exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scripts.deploycheck import findings, podsecurity


def check(objects: list[findings.Manifest]) -> list[findings.Finding]:
    return [*_secret_refs(objects), *_configmap_refs(objects), *_selectors(objects)]


def secret_keys(objects: list[findings.Manifest]) -> dict[tuple[str, str], set[str]]:
    """(namespace, secret name) -> keys, for every Secret an ExternalSecret or manifest produces."""
    produced: dict[tuple[str, str], set[str]] = {}
    for obj in objects:
        namespace = findings.dig(obj, "metadata.namespace") or ""
        if obj.get("kind") == "Secret":
            keys = set((obj.get("data") or {}) | (obj.get("stringData") or {}))
            produced[(namespace, obj["metadata"]["name"])] = keys
        if obj.get("kind") == "ExternalSecret":
            name = findings.dig(obj, "spec.target.name") or obj["metadata"]["name"]
            template = findings.dig(obj, "spec.target.template.data")
            merge = findings.dig(obj, "spec.target.template.mergePolicy") == "Merge"
            data_keys = {d.get("secretKey") for d in findings.dig(obj, "spec.data") or []}
            produced[(namespace, name)] = set(template) | (data_keys if merge else set()) if template else data_keys
    return produced


def _containers(obj: findings.Manifest) -> Iterator[dict[str, Any]]:
    path = podsecurity.POD_TEMPLATE_PATHS.get(str(obj.get("kind")))
    pod = findings.dig(obj, path) if path else None
    if pod:
        yield from pod.get("initContainers") or []
        yield from pod.get("containers") or []


def _secret_refs(objects: list[findings.Manifest]) -> list[findings.Finding]:
    produced = secret_keys(objects)
    problems: list[findings.Finding] = []
    for obj in objects:
        namespace = findings.dig(obj, "metadata.namespace") or ""
        for container in _containers(obj):
            for env in container.get("env") or []:
                ref = findings.dig(env, "valueFrom.secretKeyRef")
                if not ref or ref.get("optional"):
                    continue
                keys = produced.get((namespace, ref["name"]))
                where = f"container {container.get('name')} env {env.get('name')}"
                if keys is None:
                    problems.append(
                        findings.Finding(
                            "secret-ref",
                            findings.describe(obj),
                            f"{where}: no ExternalSecret produces Secret {ref['name']}",
                        )
                    )
                elif ref["key"] not in keys:
                    problems.append(
                        findings.Finding(
                            "secret-ref",
                            findings.describe(obj),
                            f"{where}: Secret {ref['name']} has no key {ref['key']}",
                        )
                    )
    return problems


def _configmap_refs(objects: list[findings.Manifest]) -> list[findings.Finding]:
    existing = {
        (findings.dig(o, "metadata.namespace") or "", o["metadata"]["name"])
        for o in objects
        if o.get("kind") == "ConfigMap"
    }
    problems: list[findings.Finding] = []
    for obj in objects:
        namespace = findings.dig(obj, "metadata.namespace") or ""
        for container in _containers(obj):
            names = [findings.dig(e, "configMapRef.name") for e in container.get("envFrom") or []]
            names += [findings.dig(e, "valueFrom.configMapKeyRef.name") for e in container.get("env") or []]
            problems.extend(
                findings.Finding("configmap-ref", findings.describe(obj), f"ConfigMap {name} does not exist")
                for name in names
                if name and (namespace, name) not in existing
            )
    return problems


def _pod_labels(objects: list[findings.Manifest]) -> list[tuple[str, dict[str, str]]]:
    """(namespace, pod template labels) of every workload."""
    return [
        (findings.dig(o, "metadata.namespace") or "", findings.dig(o, podsecurity.POD_LABEL_PATHS[o["kind"]]) or {})
        for o in objects
        if o.get("kind") in podsecurity.POD_LABEL_PATHS
    ]


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _selectors(objects: list[findings.Manifest]) -> list[findings.Finding]:
    pods = _pod_labels(objects)
    services = [o for o in objects if o.get("kind") == "Service"]
    problems: list[findings.Finding] = []
    for obj in objects:
        kind, namespace = obj.get("kind"), findings.dig(obj, "metadata.namespace") or ""
        selector = {
            "Service": findings.dig(obj, "spec.selector"),
            "PodDisruptionBudget": findings.dig(obj, "spec.selector.matchLabels"),
        }.get(str(kind))
        if selector and not any(ns == namespace and _matches(selector, labels) for ns, labels in pods):
            problems.append(
                findings.Finding("selector", findings.describe(obj), f"selects no pod template ({selector})")
            )
        if kind == "ServiceMonitor":
            problems.extend(_service_monitor(obj, services))
        if kind == "HorizontalPodAutoscaler":
            target = findings.dig(obj, "spec.scaleTargetRef") or {}
            if not any(
                o.get("kind") == target.get("kind") and o["metadata"]["name"] == target.get("name") for o in objects
            ):
                problems.append(findings.Finding("selector", findings.describe(obj), f"scales missing {target}"))
    return problems


def _service_monitor(obj: findings.Manifest, services: list[findings.Manifest]) -> list[findings.Finding]:
    selector = findings.dig(obj, "spec.selector.matchLabels") or {}
    namespace = findings.dig(obj, "metadata.namespace")
    chosen = [
        s
        for s in services
        if findings.dig(s, "metadata.namespace") == namespace
        and _matches(selector, findings.dig(s, "metadata.labels") or {})
    ]
    if not chosen:
        return [findings.Finding("selector", findings.describe(obj), f"selects no Service ({selector})")]
    ports = {p.get("name") for s in chosen for p in findings.dig(s, "spec.ports") or []}
    return [
        findings.Finding(
            "selector",
            findings.describe(obj),
            f"endpoint port {e.get('port')!r} is not a port of the selected Services",
        )
        for e in findings.dig(obj, "spec.endpoints") or []
        if e.get("port") not in ports
    ]
