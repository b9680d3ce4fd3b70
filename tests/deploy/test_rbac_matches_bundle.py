"""The platform's and the workflows' cluster rights are exactly the bundle's kinds: adding a kind to
nsaas.bundle.model.KINDS without granting it (or granting more) fails here, not in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from nsaas.bundle import model
from tests.deploy import conftest

WRITE_VERBS = {"get", "list", "watch", "create", "update", "patch", "delete"}


def _role(path: Path, kind: str, name: str) -> dict[str, Any]:
    return next(d for d in yaml.safe_load_all(path.read_text()) if d["kind"] == kind and d["metadata"]["name"] == name)


def _granted(role: dict[str, Any]) -> set[tuple[str, str]]:
    """(group, resource) pairs granted the full management verbs without resourceNames."""
    return {
        (group, resource)
        for rule in role["rules"]
        if set(rule["verbs"]) >= WRITE_VERBS and not rule.get("resourceNames")
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }


def _bundle_kinds(*, namespaced_home: bool) -> set[tuple[str, str]]:
    return {(k.group, k.plural) for k in model.KINDS if (k.home_namespace_setting is not None) == namespaced_home}


ROLES = [
    (
        conftest.DEPLOY / "platform-api" / "clusterrole.yaml",
        "nsaas-platform-api",
        conftest.DEPLOY / "platform-api" / "rbac-namespaced.yaml",
        "nsaas-platform-api-backups",
    ),
    (
        conftest.DEPLOY / "argo" / "workflow-rbac.yaml",
        "nsaas-workflow",
        conftest.DEPLOY / "argo" / "workflow-rbac.yaml",
        "nsaas-workflow-backups",
    ),
]


@pytest.mark.parametrize(("cluster_file", "cluster_role", "velero_file", "velero_role"), ROLES)
def test_cluster_role_grants_exactly_the_bundle_kinds(
    cluster_file: Path, cluster_role: str, velero_file: Path, velero_role: str
) -> None:
    assert _granted(_role(cluster_file, "ClusterRole", cluster_role)) == _bundle_kinds(namespaced_home=False)
    velero = _role(velero_file, "Role", velero_role)
    assert velero["metadata"]["namespace"] == "velero"
    assert _granted(velero) == _bundle_kinds(namespaced_home=True)


@pytest.mark.parametrize(("cluster_file", "cluster_role", "velero_file", "velero_role"), ROLES)
def test_bind_is_limited_to_the_roles_a_bundle_may_bind(
    cluster_file: Path, cluster_role: str, velero_file: Path, velero_role: str
) -> None:
    binds = [r for r in _role(cluster_file, "ClusterRole", cluster_role)["rules"] if "bind" in r["verbs"]]
    assert binds == [
        {
            "apiGroups": ["rbac.authorization.k8s.io"],
            "resources": ["clusterroles"],
            "resourceNames": ["admin", "edit", "view"],
            "verbs": ["bind"],
        }
    ]


def test_the_platform_api_may_only_create_workflows_in_the_argo_namespace() -> None:
    role = _role(conftest.DEPLOY / "argo" / "platform-api-rbac.yaml", "Role", "nsaas-platform-api-workflows")
    assert role["metadata"]["namespace"] == "argo"
    workflows = next(r for r in role["rules"] if r["resources"] == ["workflows"])
    assert set(workflows["verbs"]) == {"create", "get", "list", "watch", "delete"}


def test_the_gitops_watcher_may_only_read_namespace_requests_and_write_their_status() -> None:
    """Least privilege: get/list/watch NamespaceRequests and patch their status, in nsaas-requests only."""
    path = conftest.DEPLOY / "platform-api" / "rbac-namespaced.yaml"
    role = _role(path, "Role", "nsaas-platform-api-gitops")
    assert role["metadata"]["namespace"] == "nsaas-requests"
    assert role["rules"] == [
        {"apiGroups": ["platform.io"], "resources": ["namespacerequests"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["platform.io"], "resources": ["namespacerequests/status"], "verbs": ["patch"]},
    ]
    cluster_rules = _role(conftest.DEPLOY / "platform-api" / "clusterrole.yaml", "ClusterRole", "nsaas-platform-api")
    assert all("platform.io" not in rule["apiGroups"] for rule in cluster_rules["rules"])
