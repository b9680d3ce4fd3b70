"""The guardrail, proven on a real API server: with ``deploy/guardrails`` applied, a tenant bound to
``admin`` (or ``edit``) in its namespace cannot undo what the platform put there, and can still
do ordinary work. The ValidatingAdmissionPolicy is evaluated by the API server's own CEL engine;
the tenant is a user in the team's group, reached by impersonation as AKS maps an Azure AD user.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from lightkube import ApiError, AsyncClient, KubeConfig
from lightkube.models.apps_v1 import DeploymentSpec
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec, ResourceRequirements
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.models.rbac_v1 import PolicyRule, RoleRef, Subject
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, LimitRange, Namespace, ResourceQuota, ServiceAccount
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.resources.rbac_authorization_v1 import ClusterRole, ClusterRoleBinding, Role, RoleBinding
from lightkube.types import PatchType

from nsaas.adapters.kube import cluster
from tests.kube.conftest import cluster_settings, render_bundle

pytestmark = pytest.mark.real

TEAM_GROUPS = {"team-a": {"admin": "grp-team-a-admins", "developer": "grp-team-a-developers"}}


async def _denied(call: Callable[[], Any]) -> ApiError:
    """The call is refused by the API server; returns the refusal."""
    with pytest.raises(ApiError) as refused:
        await call()
    return refused.value


async def _policy_active(admin: AsyncClient) -> None:
    """A freshly created policy takes effect once the API server has compiled it: wait for that,
    probing with a dry-run create that only the policy refuses."""
    probe = ServiceAccount(
        metadata=ObjectMeta(
            name="guardrail-probe", namespace="default", labels={"app.kubernetes.io/managed-by": "nsaas"}
        )
    )
    for _ in range(100):
        try:
            await admin.create(probe, dry_run=True)
        except ApiError as exc:
            if exc.status.code in (403, 422):
                return
            raise
        await asyncio.sleep(0.1)
    pytest.fail("the guardrail policy did not take effect within 10 s")


@pytest.fixture
async def tenant_namespace(platform_kubeconfig: Path, admin: AsyncClient, guardrails: None) -> AsyncIterator[str]:
    """A namespace provisioned by the platform's own identity, with team-a's groups bound."""
    await _policy_active(admin)
    name = f"gr-{uuid.uuid4().hex[:10]}"
    platform = cluster.Cluster.from_settings(cluster_settings(platform_kubeconfig))
    try:
        result = await platform.apply(bundle=render_bundle(name, team_groups=TEAM_GROUPS))
        assert not result.failed, result.failed
        yield name
        await platform.delete_namespace(
            name=name,
            request_id="req-1",
            managed_label=("platform.io/managed", "true"),
            request_id_label="platform.io/request-id",
        )
    finally:
        await platform.aclose()


def _as(kubeconfig: Path, user: str, group: str) -> AsyncClient:
    """The admin's connection, impersonating ``user`` in ``group`` (lightkube has no option for it,
    so the documented Impersonate-* headers go on its HTTP client)."""
    client = AsyncClient(KubeConfig.from_file(str(kubeconfig)).get(), field_manager="tenant-kubectl")
    client._client._client.headers.update({"Impersonate-User": user, "Impersonate-Group": group})
    return client


@pytest.fixture(params=["admin", "developer"])
async def tenant(request: pytest.FixtureRequest, real_kubeconfig: Path) -> AsyncIterator[AsyncClient]:
    """alice, a member of team-a's admin group (bound to ``admin``) or developer group (``edit``)."""
    client = _as(real_kubeconfig, "alice@example.com", TEAM_GROUPS["team-a"][request.param])
    client.role = request.param  # type: ignore[attr-defined]
    yield client
    await client.aclose()


async def test_a_tenant_cannot_delete_or_change_the_platforms_objects(
    tenant: AsyncClient, tenant_namespace: str
) -> None:
    ns = tenant_namespace
    policies = [p.metadata.name async for p in tenant.list(NetworkPolicy, namespace=ns)]
    assert policies, "the tenant can read the platform's NetworkPolicies"
    merge = PatchType.MERGE
    attempts: dict[str, Callable[[], Any]] = {
        "delete NetworkPolicy": lambda: tenant.delete(NetworkPolicy, policies[0], namespace=ns),
        "change NetworkPolicy": lambda: tenant.patch(
            NetworkPolicy,
            policies[0],
            {"spec": {"podSelector": {"matchLabels": {"x": "y"}}}},
            namespace=ns,
            patch_type=merge,
        ),
        "delete ResourceQuota": lambda: tenant.delete(ResourceQuota, "nsaas-quota", namespace=ns),
        "raise ResourceQuota": lambda: tenant.patch(
            ResourceQuota, "nsaas-quota", {"spec": {"hard": {"pods": "9999"}}}, namespace=ns, patch_type=merge
        ),
        "delete LimitRange": lambda: tenant.delete(LimitRange, "nsaas-limits", namespace=ns),
        "delete RoleBinding": lambda: tenant.delete(RoleBinding, "nsaas-deployer-edit", namespace=ns),
        "rebind RoleBinding": lambda: tenant.patch(
            RoleBinding,
            "nsaas-deployer-edit",
            {"subjects": [{"kind": "User", "name": "mallory", "apiGroup": "rbac.authorization.k8s.io"}]},
            namespace=ns,
            patch_type=merge,
        ),
        "relabel Namespace": lambda: tenant.patch(
            Namespace, ns, {"metadata": {"labels": {"platform.io/team": "team-b"}}}, patch_type=merge
        ),
    }
    codes = {what: (await _denied(call)).status.code for what, call in attempts.items()}
    assert codes == dict.fromkeys(attempts, 403)


async def test_the_policy_refuses_what_rbac_allows_the_admin_group(
    real_kubeconfig: Path, admin: AsyncClient, tenant_namespace: str
) -> None:
    """RBAC lets team admins edit NetworkPolicies and RoleBindings in their namespace, and a cluster
    role could let someone relabel a namespace: the refusals here come from the policy itself."""
    ns = tenant_namespace
    group = TEAM_GROUPS["team-a"]["admin"]
    labeller = f"ns-labeller-{ns}"
    await admin.create(
        ClusterRole(
            metadata=ObjectMeta(name=labeller),
            rules=[PolicyRule(apiGroups=[""], resources=["namespaces"], resourceNames=[ns], verbs=["get", "patch"])],
        )
    )
    await admin.create(
        ClusterRoleBinding(
            metadata=ObjectMeta(name=labeller),
            roleRef=RoleRef(apiGroup="rbac.authorization.k8s.io", kind="ClusterRole", name=labeller),
            subjects=[Subject(kind="Group", name=group, apiGroup="rbac.authorization.k8s.io")],
        )
    )
    tenant = _as(real_kubeconfig, "alice@example.com", group)
    try:
        policy = next(iter([p.metadata.name async for p in tenant.list(NetworkPolicy, namespace=ns)]))
        refusals = [
            await _denied(lambda: tenant.delete(NetworkPolicy, policy, namespace=ns)),
            await _denied(lambda: tenant.delete(RoleBinding, "nsaas-deployer-edit", namespace=ns)),
            await _denied(lambda: tenant.delete(ServiceAccount, "deployer", namespace=ns)),
        ]
        for refused in refusals:
            assert "managed by the nsaas platform" in (refused.status.message or ""), refused.status.message
        relabel = await _denied(
            lambda: tenant.patch(
                Namespace, ns, {"metadata": {"labels": {"platform.io/team": "team-b"}}}, patch_type=PatchType.MERGE
            )
        )
        # The namespace is itself a managed object: the policy refuses any change to it by a tenant.
        assert "managed by the nsaas platform" in (relabel.status.message or ""), relabel.status.message
        for refused in [*refusals, relabel]:
            assert "ValidatingAdmissionPolicy 'nsaas-protect-managed-objects'" in (refused.status.message or "")
    finally:
        await tenant.aclose()
        await admin.delete(ClusterRoleBinding, labeller)
        await admin.delete(ClusterRole, labeller)


async def test_a_tenant_can_still_do_ordinary_work(tenant: AsyncClient, tenant_namespace: str) -> None:
    ns = tenant_namespace
    await tenant.create(ConfigMap(metadata=ObjectMeta(name="app-config", namespace=ns), data={"k": "v"}))
    container = Container(
        name="web",
        image="registry.example/web:1",
        resources=ResourceRequirements(
            requests={"cpu": "100m", "memory": "64Mi"}, limits={"cpu": "200m", "memory": "128Mi"}
        ),
    )
    deployment = Deployment(
        metadata=ObjectMeta(name="web", namespace=ns),
        spec=DeploymentSpec(
            selector=LabelSelector(matchLabels={"app": "web"}),
            template=PodTemplateSpec(metadata=ObjectMeta(labels={"app": "web"}), spec=PodSpec(containers=[container])),
        ),
    )
    assert (await tenant.create(deployment)).metadata.name == "web"
    own_role = Role(
        metadata=ObjectMeta(name="own-role", namespace=ns),
        rules=[PolicyRule(apiGroups=[""], resources=["configmaps"], verbs=["get"])],
    )
    if tenant.role == "admin":  # type: ignore[attr-defined]
        assert (await tenant.create(own_role)).metadata.name == "own-role"
    else:  # edit grants no RBAC writes: only the team's admins manage roles
        assert (await _denied(lambda: tenant.create(own_role))).status.code == 403
