"""RBAC inside the tenant namespace: a deployer identity and the team's Azure AD groups.

Only RoleBindings to the built-in aggregated ClusterRoles ``admin``, ``edit`` and ``view`` are
rendered; they grant rights in this namespace only and stay current as CRDs aggregate into them.
No Role, ClusterRole or ClusterRoleBinding is ever created (a tenant must not gain anything
cluster-wide), and subjects are specific object IDs from configuration or the request, never a
broad group. :mod:`nsaas.bundle.guard` re-checks this on the rendered output.

* ``deployer``: a ServiceAccount for CI/CD with ``edit``. Its token is not automounted: pipelines
  request short-lived tokens (TokenRequest) instead of pods carrying deploy rights by accident.
* the team's ``admin`` and ``developer`` groups (``settings.bundle.team_groups[team]``, and the
  owner and member groups of its team registry entry) get ``admin`` and ``edit``, one binding per
  role listing every group; an unconfigured group gets no binding rather than a guessed one.
* the request's optional ``rbacConfig`` principal gets the role its AKS role definition names.
"""

from __future__ import annotations

from typing import Any

from nsaas.bundle import context, model

RBAC_GROUP = "rbac.authorization.k8s.io"
DEPLOYER = "deployer"
#: AKS built-in role definition -> the Kubernetes ClusterRole it corresponds to in a namespace.
AKS_ROLE_TO_CLUSTER_ROLE = {"aks-rbac-admin": "admin", "aks-rbac-writer": "edit", "aks-rbac-reader": "view"}
#: Team group role -> (binding name, ClusterRole).
TEAM_GROUP_BINDINGS = {"admin": ("nsaas-team-admins", "admin"), "developer": ("nsaas-team-developers", "edit")}


def service_account(ctx: context.RenderContext) -> model.Manifest:
    return ctx.manifest("ServiceAccount", DEPLOYER, automountServiceAccountToken=False)


def role_bindings(ctx: context.RenderContext) -> list[model.Manifest]:
    deployer = {"kind": "ServiceAccount", "name": DEPLOYER, "namespace": ctx.namespace}
    found = [_binding(ctx, "nsaas-deployer-edit", "edit", deployer)]
    configured = ctx.bundle.team_groups.get(ctx.spec.team, {})
    registered = {"admin": ctx.team_rules.owner_groups, "developer": ctx.team_rules.member_groups}
    for role, (name, cluster_role) in TEAM_GROUP_BINDINGS.items():
        groups = dict.fromkeys([configured[role]] if configured.get(role) else [])
        groups.update(dict.fromkeys(registered[role]))
        if groups:
            found.append(_binding(ctx, name, cluster_role, *(_principal("Group", group) for group in groups)))
    if ctx.spec.rbac is not None:
        rbac = ctx.spec.rbac
        cluster_role = AKS_ROLE_TO_CLUSTER_ROLE[rbac.role_definition]
        subject = _principal(rbac.principal_type, rbac.principal_id)
        found.append(_binding(ctx, "nsaas-requested-principal", cluster_role, subject))
    return found


def _principal(kind: str, object_id: str) -> dict[str, Any]:
    """An Azure AD user or group by object ID (AKS maps AAD identities to these names)."""
    return {"kind": kind, "apiGroup": RBAC_GROUP, "name": object_id}


def _binding(ctx: context.RenderContext, name: str, cluster_role: str, *subjects: dict[str, Any]) -> model.Manifest:
    role_ref = {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": cluster_role}
    return ctx.manifest("RoleBinding", name, roleRef=role_ref, subjects=list(subjects))
