"""What the API server would answer for a ValidatingAdmissionPolicy, evaluated with cel-python.

The policy's CEL runs with the variables Kubernetes provides (``object``, ``oldObject``,
``request``, ``namespaceObject``, ``variables``), after the same resource and namespace-selector
match the API server does. Kubernetes' CEL adds extension libraries these policies deliberately do
not use, so the standard-CEL evaluation here is faithful.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import celpy
import yaml


def policy(path: Path) -> dict[str, Any]:
    return next(d for d in yaml.safe_load_all(path.read_text()) if d["kind"] == "ValidatingAdmissionPolicy")


def matched(
    policy: dict[str, Any], *, group: str, resource: str, operation: str, namespace: dict[str, Any] | None
) -> bool:
    constraints = policy["spec"]["matchConstraints"]
    rule_hit = any(
        group in rule["apiGroups"] and resource in rule["resources"] and operation in rule["operations"]
        for rule in constraints["resourceRules"]
    )
    selector = constraints.get("namespaceSelector", {}).get("matchLabels")
    if not rule_hit or not selector or namespace is None:
        return rule_hit
    labels = namespace.get("metadata", {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def failures(
    policy: dict[str, Any],
    *,
    user: str,
    operation: str,
    resource: str,
    group: str = "",
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    namespace: dict[str, Any] | None = None,
) -> list[str]:
    """The messages of every failed validation; empty when the request is admitted."""
    if not matched(policy, group=group, resource=resource, operation=operation, namespace=namespace):
        return []
    env = celpy.Environment()
    request = {
        "operation": operation,
        "userInfo": {"username": user},
        "resource": {"group": group, "resource": resource},
    }
    activation: dict[str, Any] = {
        "object": celpy.json_to_cel(new),
        "oldObject": celpy.json_to_cel(old),
        "request": celpy.json_to_cel(request),
        "namespaceObject": celpy.json_to_cel(namespace),
    }
    variables: dict[str, Any] = {}
    for variable in policy["spec"].get("variables", []):
        activation["variables"] = celpy.celtypes.MapType(variables)
        value = env.program(env.compile(variable["expression"])).evaluate(activation)
        if isinstance(value, celpy.CELEvalError):
            raise value
        variables[celpy.celtypes.StringType(variable["name"])] = value
    activation["variables"] = celpy.celtypes.MapType(variables)
    failed = []
    for validation in policy["spec"]["validations"]:
        verdict = env.program(env.compile(validation["expression"])).evaluate(activation)
        if isinstance(verdict, celpy.CELEvalError):
            raise verdict
        if not bool(verdict):
            failed.append(validation.get("message") or validation.get("messageExpression", ""))
    return failed
