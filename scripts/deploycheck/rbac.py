"""RBAC least-privilege checks: no wildcards, nothing bound to cluster-admin, and the
privilege-granting verbs (bind, escalate, impersonate) only with resourceNames."""

from __future__ import annotations

from scripts.deploycheck import findings

_DANGEROUS_VERBS = {"bind", "escalate", "impersonate"}


def check(objects: list[findings.Manifest]) -> list[findings.Finding]:
    problems: list[findings.Finding] = []
    for obj in objects:
        kind = obj.get("kind")
        subject = findings.describe(obj)
        if kind in ("Role", "ClusterRole"):
            for rule in obj.get("rules") or []:
                problems.extend(_rule(subject, rule))
        if kind in ("RoleBinding", "ClusterRoleBinding") and findings.dig(obj, "roleRef.name") == "cluster-admin":
            problems.append(findings.Finding("rbac", subject, "binds cluster-admin"))
    return problems


def _rule(subject: str, rule: dict[str, list[str]]) -> list[findings.Finding]:
    problems = [
        findings.Finding("rbac", subject, f"wildcard in {field}")
        for field in ("verbs", "resources", "apiGroups")
        if "*" in (rule.get(field) or [])
    ]
    risky = _DANGEROUS_VERBS.intersection(rule.get("verbs") or [])
    if risky and not rule.get("resourceNames"):
        problems.append(findings.Finding("rbac", subject, f"{sorted(risky)} without resourceNames"))
    return problems
