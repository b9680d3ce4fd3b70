"""The tenant guardrail (ValidatingAdmissionPolicy) decides representative requests correctly.

The policy's CEL is evaluated with cel-python (tests/deploy/admission.py).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from nsaas import config
from tests.deploy import admission, conftest

POLICY_FILE = conftest.DEPLOY / "guardrails" / "managed-objects-policy.yaml"
PLATFORM_API = "system:serviceaccount:platform-system:platform-api"
WORKFLOW = "system:serviceaccount:argo:nsaas-workflow"
TENANT = "alice@team-a.example.com"
MANAGED = {"app.kubernetes.io/managed-by": "nsaas"}


def admitted(
    *, user: str, operation: str, resource: str, group: str = "", old: dict[str, Any] | None, new: dict[str, Any] | None
) -> bool:
    """What the API server would answer: True when the policy lets the request through."""
    found = admission.failures(
        admission.policy(POLICY_FILE), user=user, operation=operation, resource=resource, group=group, old=old, new=new
    )
    return not found


def _object(kind: str, name: str, labels: dict[str, str], namespace: str | None = "team-a-dev") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": dict(labels)}
    if namespace:
        metadata["namespace"] = namespace
    return {"kind": kind, "metadata": metadata}


DENY_ALL = _object("NetworkPolicy", "default-deny-all", MANAGED)
NAMESPACE = _object(
    "Namespace", "team-a-dev", {**MANAGED, "platform.io/managed": "true", "platform.io/team": "team-a"}, namespace=None
)


def test_a_tenant_admin_cannot_delete_the_deny_all_network_policy() -> None:
    assert not admitted(
        user=TENANT, operation="DELETE", resource="networkpolicies", group="networking.k8s.io", old=DENY_ALL, new=None
    )


def test_a_tenant_cannot_relabel_its_namespace_into_another_team() -> None:
    relabelled = copy.deepcopy(NAMESPACE)
    relabelled["metadata"]["labels"]["platform.io/team"] = "team-b"
    assert not admitted(user=TENANT, operation="UPDATE", resource="namespaces", old=NAMESPACE, new=relabelled)


def test_a_tenant_cannot_add_platform_labels_to_an_unmanaged_namespace() -> None:
    plain = _object("Namespace", "scratch", {}, namespace=None)
    labelled = _object("Namespace", "scratch", {"platform.io/team": "team-b"}, namespace=None)
    assert not admitted(user=TENANT, operation="UPDATE", resource="namespaces", old=plain, new=labelled)


def test_a_tenant_cannot_strip_the_managed_label_to_escape_the_policy() -> None:
    unlabelled = _object("ResourceQuota", "quota", {})
    quota = _object("ResourceQuota", "quota", MANAGED)
    assert not admitted(user=TENANT, operation="UPDATE", resource="resourcequotas", old=quota, new=unlabelled)


def test_a_tenant_cannot_create_objects_posing_as_platform_managed() -> None:
    fake = _object("NetworkPolicy", "allow-everything", MANAGED)
    assert not admitted(
        user=TENANT, operation="CREATE", resource="networkpolicies", group="networking.k8s.io", old=None, new=fake
    )


@pytest.mark.parametrize("user", [PLATFORM_API, WORKFLOW])
def test_the_platform_identities_may_update_managed_objects_and_namespace_labels(user: str) -> None:
    relabelled = copy.deepcopy(NAMESPACE)
    relabelled["metadata"]["labels"]["platform.io/tier"] = "large"
    assert admitted(user=user, operation="UPDATE", resource="namespaces", old=NAMESPACE, new=relabelled)
    assert admitted(
        user=user, operation="DELETE", resource="networkpolicies", group="networking.k8s.io", old=DENY_ALL, new=None
    )


def test_the_namespace_controller_may_delete_managed_objects_of_a_deleted_namespace() -> None:
    user = "system:serviceaccount:kube-system:namespace-controller"
    assert admitted(
        user=user, operation="DELETE", resource="networkpolicies", group="networking.k8s.io", old=DENY_ALL, new=None
    )


def test_a_tenant_may_create_and_edit_its_own_unlabelled_network_policy() -> None:
    own = _object("NetworkPolicy", "allow-frontend", {"app": "web"})
    edited = _object("NetworkPolicy", "allow-frontend", {"app": "web", "tier": "front"})
    assert admitted(
        user=TENANT, operation="CREATE", resource="networkpolicies", group="networking.k8s.io", old=None, new=own
    )
    assert admitted(
        user=TENANT, operation="UPDATE", resource="networkpolicies", group="networking.k8s.io", old=own, new=edited
    )


def test_a_tenant_may_edit_an_unmanaged_configmap() -> None:
    cm = _object("ConfigMap", "app-settings", {})
    assert admitted(user=TENANT, operation="UPDATE", resource="configmaps", old=cm, new=cm)


def test_a_tenant_may_change_non_platform_labels_of_an_unmanaged_namespace() -> None:
    before = _object("Namespace", "scratch", {"owner": "alice"}, namespace=None)
    after = _object("Namespace", "scratch", {"owner": "bob"}, namespace=None)
    assert admitted(user=TENANT, operation="UPDATE", resource="namespaces", old=before, new=after)


def test_the_policy_guards_the_label_prefix_and_managed_by_value_the_platform_writes() -> None:
    labels = config.LabelSettings()
    text = POLICY_FILE.read_text()
    assert f"'{labels.prefix}/'" in text
    assert f"== '{labels.managed_by}'" in text
