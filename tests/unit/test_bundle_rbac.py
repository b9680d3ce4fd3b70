"""RBAC in the bundle, and the guard that refuses anything cluster-wide or broad."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from nsaas.bundle import context, guard, model, render
from nsaas.domain import requests, teams
from nsaas.services import bodies
from tests.golden import cases


def bindings(bundle: model.Bundle) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in bundle.objects("RoleBinding")}


def test_deployer_service_account_gets_edit_and_no_automounted_token() -> None:
    bundle = cases.render_body(cases.body(namespaceName="shop"))
    [account] = bundle.objects("ServiceAccount")
    assert account["metadata"]["name"] == "deployer"
    assert account["automountServiceAccountToken"] is False
    deployer = bindings(bundle)["nsaas-deployer-edit"]
    assert deployer["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}
    assert deployer["subjects"] == [{"kind": "ServiceAccount", "name": "deployer", "namespace": "shop"}]


def test_team_groups_are_bound_to_admin_and_edit_by_object_id() -> None:
    found = bindings(cases.render_body(cases.body(team="payments"), cases.settings(team_groups=cases.TEAM_GROUPS)))
    admins, developers = found["nsaas-team-admins"], found["nsaas-team-developers"]
    assert admins["roleRef"]["name"] == "admin"
    assert admins["subjects"][0] == {
        "kind": "Group",
        "apiGroup": "rbac.authorization.k8s.io",
        "name": cases.TEAM_GROUPS["payments"]["admin"],
    }
    assert developers["roleRef"]["name"] == "edit"
    assert developers["subjects"][0]["name"] == cases.TEAM_GROUPS["payments"]["developer"]


def test_an_unconfigured_team_group_gets_no_binding() -> None:
    cfg = cases.settings(team_groups=cases.TEAM_GROUPS)
    data = bindings(cases.render_body(cases.body(team="data"), cfg))
    unknown = bindings(cases.render_body(cases.body(team="nobody"), cfg))
    assert set(data) == {"nsaas-deployer-edit", "nsaas-team-admins"}
    assert set(unknown) == {"nsaas-deployer-edit"}


def test_registry_groups_join_the_configured_ones_in_one_binding_per_role() -> None:
    configured = cases.TEAM_GROUPS["payments"]
    rules = teams.NamespaceRules(owner_groups=("g-owners", configured["admin"]), member_groups=("g-devs",))
    spec = bodies.parse_spec(cases.body(team="payments"))
    bundle = render.render_bundle(
        spec, cases.settings(team_groups=cases.TEAM_GROUPS), request_id="r", requested_by="u", team_rules=rules
    )
    found = bindings(bundle)
    assert [s["name"] for s in found["nsaas-team-admins"]["subjects"]] == [configured["admin"], "g-owners"]
    assert [s["name"] for s in found["nsaas-team-developers"]["subjects"]] == [configured["developer"], "g-devs"]


@pytest.mark.parametrize(
    ("role_definition", "principal_type", "cluster_role"),
    [("aks-rbac-admin", "Group", "admin"), ("aks-rbac-writer", "User", "edit"), ("aks-rbac-reader", "User", "view")],
)
def test_rbac_config_principal_gets_the_matching_namespaced_role(
    role_definition: str, principal_type: str, cluster_role: str
) -> None:
    rbac = {"principalId": cases.USER_ID, "principalType": principal_type, "roleDefinition": role_definition}
    binding = bindings(cases.render_body(cases.body(rbacConfig=rbac)))["nsaas-requested-principal"]
    assert binding["roleRef"]["name"] == cluster_role
    assert binding["subjects"] == [
        {"kind": principal_type, "apiGroup": "rbac.authorization.k8s.io", "name": cases.USER_ID}
    ]


def test_rbac_never_binds_cluster_admin_or_broad_subjects() -> None:
    rbac = {"principalId": cases.GROUP_ID, "principalType": "Group", "roleDefinition": "aks-rbac-admin"}
    bundle = cases.render_body(
        cases.body(rbacConfig=rbac, features=list(requests.FEATURES)), cases.settings(team_groups=cases.TEAM_GROUPS)
    )
    kinds = {m["kind"] for m in bundle.manifests}
    assert not kinds & {"ClusterRoleBinding", "ClusterRole", "Role"}
    for binding in bundle.objects("RoleBinding"):
        assert binding["roleRef"]["name"] in {"admin", "edit", "view"}
        for subject in binding["subjects"]:
            assert not subject["name"].startswith("system:")


def test_a_broad_group_configured_as_a_team_group_is_refused_by_the_guard() -> None:
    cfg = cases.settings(team_groups={"payments": {"developer": "system:authenticated"}})
    with pytest.raises(guard.UnsafeBundle) as caught:
        cases.render_body(cases.body(team="payments"), cfg)
    [(where, why)] = caught.value.details.items()
    assert where == "RoleBinding/payments-dev/nsaas-team-developers"
    assert "system:authenticated" in why


def guard_problems(mutate: Any) -> dict[str, str]:
    """Render a full bundle, apply ``mutate`` to a copy of its manifests, and run the guard."""
    raw = cases.body(features=list(requests.FEATURES))
    ctx = context.RenderContext(
        spec=bodies.parse_spec(raw),
        settings=cases.settings(),
        request_id=cases.REQUEST_ID,
        requested_by=cases.REQUESTED_BY,
    )
    manifests = copy.deepcopy(list(cases.render_body(raw, ctx.settings).manifests))
    mutate(manifests)
    try:
        guard.check(manifests, ctx=ctx)
    except guard.UnsafeBundle as exc:
        return exc.details
    return {}


def _binding(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    return next(m for m in manifests if m["kind"] == "RoleBinding")


def test_guard_accepts_the_rendered_bundle() -> None:
    assert guard_problems(lambda manifests: None) == {}


def test_guard_refuses_a_binding_to_cluster_admin() -> None:
    problems = guard_problems(lambda ms: _binding(ms)["roleRef"].update(name="cluster-admin"))
    assert any("cluster-admin" in why for why in problems.values())


@pytest.mark.parametrize("name", ["system:authenticated", "system:serviceaccounts", "system:masters", "*"])
def test_guard_refuses_broad_subjects(name: str) -> None:
    problems = guard_problems(lambda ms: _binding(ms)["subjects"].append({"kind": "Group", "name": name}))
    assert any("broad or system identity" in why for why in problems.values())


def test_guard_refuses_a_service_account_of_another_namespace() -> None:
    subject = {"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"}
    problems = guard_problems(lambda ms: _binding(ms)["subjects"].append(subject))
    assert any("another namespace" in why for why in problems.values())


def test_guard_refuses_cluster_role_bindings_and_other_cluster_scoped_objects() -> None:
    crb = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "escape", "labels": dict(cases.render_body(cases.body()).selector)},
    }
    other_namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "kube-system", "labels": {}},
    }
    problems = guard_problems(lambda ms: ms.extend([crb, other_namespace]))
    assert "is not a kind a bundle may contain" in problems["ClusterRoleBinding//escape"]
    assert "not the tenant's own Namespace" in problems["Namespace//kube-system"]


def test_guard_refuses_objects_placed_in_another_namespace_or_without_selector_labels() -> None:
    def mutate(manifests: list[dict[str, Any]]) -> None:
        manifests[1]["metadata"]["namespace"] = "team-b"
        del manifests[2]["metadata"]["labels"]["platform.io/request-id"]

    problems = guard_problems(mutate)
    assert "must be in namespace payments-dev" in problems["ServiceAccount/team-b/deployer"]
    assert "selector labels" in problems["ResourceQuota/payments-dev/nsaas-quota"]


def test_guard_refuses_a_backup_that_reaches_beyond_the_namespace() -> None:
    def mutate(manifests: list[dict[str, Any]]) -> None:
        schedule = next(m for m in manifests if m["kind"] == "Schedule")
        schedule["spec"]["template"].update(includedNamespaces=["*"], includeClusterResources=True)

    [why] = guard_problems(mutate).values()
    assert "not exactly ['payments-dev']" in why
    assert "cluster-scoped" in why
