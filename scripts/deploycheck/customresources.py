"""Structural checks of custom resources, whose CRDs are not available offline.

Each known kind lists the fields its controller cannot work without, with their types; a kind not
listed here is itself a finding, so a new custom resource cannot slip in unchecked. A few kinds get
semantic checks too: a HelmRelease must pin an exact chart version, a WorkflowTemplate's
entrypoint and DAG dependencies must name real templates and tasks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scripts.deploycheck import findings

Rule = tuple[str, type]

REQUIRED: dict[str, list[Rule]] = {
    "ExternalSecret": [
        ("spec.secretStoreRef.name", str),
        ("spec.secretStoreRef.kind", str),
        ("spec.refreshInterval", str),
        ("spec.target.name", str),
        ("spec.data", list),
    ],
    "ClusterSecretStore": [
        ("spec.provider.azurekv.vaultUrl", str),
        ("spec.provider.azurekv.tenantId", str),
        ("spec.provider.azurekv.authType", str),
        ("spec.provider.azurekv.serviceAccountRef.name", str),
        ("spec.provider.azurekv.serviceAccountRef.namespace", str),
    ],
    "HelmRepository": [("spec.url", str), ("spec.interval", str)],
    "HelmRelease": [
        ("spec.interval", str),
        ("spec.chart.spec.chart", str),
        ("spec.chart.spec.version", str),
        ("spec.chart.spec.sourceRef.kind", str),
        ("spec.chart.spec.sourceRef.name", str),
    ],
    "GitRepository": [("spec.url", str), ("spec.interval", str), ("spec.ref", dict)],
    "Kustomization": [("spec.path", str), ("spec.interval", str), ("spec.sourceRef.name", str)],
    "WorkflowTemplate": [("spec.entrypoint", str), ("spec.serviceAccountName", str), ("spec.templates", list)],
    "Gateway": [("spec.selector", dict), ("spec.servers", list)],
    "VirtualService": [("spec.hosts", list), ("spec.http", list)],
    "DestinationRule": [
        ("spec.host", str),
        ("spec.trafficPolicy.connectionPool", dict),
        ("spec.trafficPolicy.outlierDetection", dict),
    ],
    "PeerAuthentication": [("spec.mtls.mode", str)],
    "AuthorizationPolicy": [("spec.action", str), ("spec.rules", list)],
    "RequestAuthentication": [("spec.selector.matchLabels", dict), ("spec.jwtRules", list)],
    "ServiceMonitor": [("spec.selector.matchLabels", dict), ("spec.endpoints", list)],
    "PrometheusRule": [("spec.groups", list)],
}

_EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def check(objects: list[findings.Manifest]) -> list[findings.Finding]:
    problems: list[findings.Finding] = []
    for obj in objects:
        kind = str(obj.get("kind"))
        subject = findings.describe(obj)
        if kind not in REQUIRED:
            problems.append(findings.Finding("custom-resource", subject, "no structural check for this kind"))
            continue
        for path, expected in REQUIRED[kind]:
            value = findings.dig(obj, path)
            if not isinstance(value, expected) or not value:
                problems.append(
                    findings.Finding("custom-resource", subject, f"{path} must be a non-empty {expected.__name__}")
                )
        problems.extend(SEMANTIC.get(kind, _nothing)(obj))
    return problems


def _nothing(obj: findings.Manifest) -> list[findings.Finding]:
    return []


def _helm_release(obj: findings.Manifest) -> list[findings.Finding]:
    version = str(findings.dig(obj, "spec.chart.spec.version") or "")
    if _EXACT_VERSION.match(version):
        return []
    return [findings.Finding("custom-resource", findings.describe(obj), f"chart version {version!r} is not pinned")]


def _workflow_template(obj: findings.Manifest) -> list[findings.Finding]:
    subject = findings.describe(obj)
    templates = {t.get("name"): t for t in findings.dig(obj, "spec.templates") or []}
    wanted = [findings.dig(obj, "spec.entrypoint"), findings.dig(obj, "spec.onExit")]
    problems = [
        findings.Finding("custom-resource", subject, f"template {name!r} is referenced but not defined")
        for name in wanted
        if name and name not in templates
    ]
    for template in templates.values():
        tasks = {t.get("name"): t for t in findings.dig(template, "dag.tasks") or []}
        for task in tasks.values():
            if task.get("template") not in templates:
                problems.append(
                    findings.Finding(
                        "custom-resource", subject, f"task {task.get('name')!r} uses an undefined template"
                    )
                )
            problems.extend(
                findings.Finding(
                    "custom-resource", subject, f"task {task.get('name')!r} depends on unknown task {dep!r}"
                )
                for dep in task.get("dependencies") or []
                if dep not in tasks
            )
    return problems


def _prometheus_rule(obj: findings.Manifest) -> list[findings.Finding]:
    problems = []
    for group in findings.dig(obj, "spec.groups") or []:
        for rule in group.get("rules") or []:
            if not (rule.get("alert") or rule.get("record")) or not rule.get("expr"):
                problems.append(
                    findings.Finding(
                        "custom-resource", findings.describe(obj), f"rule {rule!r} needs alert/record and expr"
                    )
                )
    return problems


def _request_authentication(obj: findings.Manifest) -> list[findings.Finding]:
    """Every JWT rule names an https issuer and JWKS and at least one audience (an empty list accepts any)."""
    problems = []
    for rule in findings.dig(obj, "spec.jwtRules") or []:
        for field in ("issuer", "jwksUri"):
            if not str(rule.get(field) or "").startswith("https://"):
                problems.append(
                    findings.Finding("custom-resource", findings.describe(obj), f"jwtRules {field} must be https")
                )
        if not rule.get("audiences"):
            problems.append(
                findings.Finding(
                    "custom-resource", findings.describe(obj), "jwtRules without audiences accept any audience"
                )
            )
    return problems


SEMANTIC: dict[str, Callable[[findings.Manifest], list[findings.Finding]]] = {
    "RequestAuthentication": _request_authentication,
    "HelmRelease": _helm_release,
    "WorkflowTemplate": _workflow_template,
    "PrometheusRule": _prometheus_rule,
}
