"""kubectl access handover: what a developer needs to reach one namespace with ``kubectl``.

``describe`` answers ``GET /api/platform/namespaces/{name}/access`` (the portal's connect panel
and ``nsaas ns connect`` both read it): a kubeconfig with one context named after the namespace
and that namespace set, the kubectl snippets to start with, and who holds which role there.

The roles are read from the namespace's own rendered bundle (its RoleBindings, the team registry's
groups included), so what is shown is exactly what the platform applies. Credentials are never
minted here: on AKS the kubeconfig holds a kubelogin exec plugin that signs the user in with their
own Azure AD identity, so the kubeconfig is the same for everyone and contains no secret. Only in
dev mode is it the embedded simulator's own token (the simulator is a local test cluster without
users).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from nsaas import config
from nsaas.bundle import model
from nsaas.domain import errors

Authentication = Literal["kubelogin", "dev"]
ROLE_ORDER = ("admin", "edit", "view")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """The API server as the platform itself reaches it (from its kubeconfig)."""

    server: str
    certificate_authority_data: str = ""
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Snippet:
    title: str
    command: str


@dataclass(frozen=True, slots=True)
class RoleHolders:
    role: str
    subjects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Access:
    """kubectl access to one namespace: the kubeconfig (YAML), snippets and who holds which role."""

    namespace: str
    cluster_name: str
    server: str
    context: str
    kubeconfig: str
    authentication: Authentication
    snippets: tuple[Snippet, ...]
    roles: tuple[RoleHolders, ...]


EndpointSource = Callable[[], Endpoint | None]


class AccessService:
    def __init__(self, *, settings: config.Settings, platform_endpoint: EndpointSource) -> None:
        self.settings = settings
        self._platform_endpoint = platform_endpoint

    def describe(self, bundle: model.Bundle) -> Access:
        """The access document of the contract (namespace, cluster, context, kubeconfig, snippets, roles)
        of the namespace ``bundle`` (what the platform applies there) is for."""
        name = bundle.namespace
        cluster_name, server, ca_data, user, authentication = self._credentials()
        kubeconfig = kubeconfig_for(
            namespace=name, cluster_name=cluster_name, server=server, ca_data=ca_data, user=user
        )
        return Access(
            namespace=name,
            cluster_name=cluster_name,
            server=server,
            context=name,
            kubeconfig=yaml.safe_dump(kubeconfig, sort_keys=False),
            authentication=authentication,
            snippets=snippets(name),
            roles=roles(bundle),
        )

    def _credentials(self) -> tuple[str, str, str, dict[str, Any], Authentication]:
        access = self.settings.access
        if self.settings.dev_mode:
            endpoint = self._platform_endpoint()
            if endpoint is None or endpoint.token is None:
                raise errors.ConfigurationError(
                    "dev mode hands out the embedded cluster's kubeconfig, but the platform has none",
                    details={"NSAAS_KUBECONFIG": "not set or without a token"},
                )
            server = access.server or endpoint.server
            ca_data = access.certificate_authority_data or endpoint.certificate_authority_data
            return "nsaas-dev", server, ca_data, {"token": endpoint.token}, "dev"
        server = access.server
        ca_data = access.certificate_authority_data
        if not server:
            raise errors.ConfigurationError(
                "the cluster address developers use is not configured",
                details={"NSAAS_ACCESS__SERVER": "set it to the AKS API server URL"},
            )
        return access.cluster_name, server, ca_data, {"exec": kubelogin_exec(self.settings)}, "kubelogin"


def roles(bundle: model.Bundle) -> tuple[RoleHolders, ...]:
    """Subjects of each built-in role in the namespace, from the RoleBindings the bundle renders."""
    holders: dict[str, list[str]] = {role: [] for role in ROLE_ORDER}
    for binding in bundle.objects("RoleBinding"):
        role = binding["roleRef"]["name"]
        for subject in binding.get("subjects", []):
            holders.setdefault(role, []).append(_subject_name(subject))
    return tuple(RoleHolders(role, tuple(sorted(subjects))) for role, subjects in holders.items())


def kubelogin_exec(settings: config.Settings) -> dict[str, Any]:
    """The kubelogin exec credential plugin (what ``az aks get-credentials`` + ``kubelogin convert`` write)."""
    access = settings.access
    args = ["get-token", "--login", access.kubelogin_login, "--server-id", access.kubelogin_server_id]
    if settings.auth.azure_tenant_id:
        args += ["--tenant-id", settings.auth.azure_tenant_id]
    return {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "kubelogin",
        "args": args,
        "env": None,
        "installHint": "kubelogin is required: https://azure.github.io/kubelogin/install.html",
        "provideClusterInfo": False,
        "interactiveMode": "IfAvailable",
    }


def kubeconfig_for(
    *, namespace: str, cluster_name: str, server: str, ca_data: str, user: dict[str, Any]
) -> dict[str, Any]:
    """A kubeconfig with one cluster, one user and one context, all named so they merge cleanly.

    The context is the namespace's name; the cluster and user entries are qualified by it too,
    so adding several namespaces' contexts to one kubeconfig never overwrites another's entries.
    """
    cluster: dict[str, Any] = {"server": server}
    if ca_data:
        cluster["certificate-authority-data"] = ca_data
    entry = f"{cluster_name}-{namespace}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": entry, "cluster": cluster}],
        "users": [{"name": entry, "user": user}],
        "contexts": [{"name": namespace, "context": {"cluster": entry, "user": entry, "namespace": namespace}}],
        "current-context": namespace,
    }


def snippets(namespace: str) -> tuple[Snippet, ...]:
    ctx = f"kubectl --context {namespace}"
    return (
        Snippet("Use this namespace by default", f"kubectl config use-context {namespace}"),
        Snippet("What runs here", f"{ctx} get pods"),
        Snippet("Quota and what is used of it", f"{ctx} describe resourcequota"),
        Snippet("Default container limits", f"{ctx} get limitrange -o yaml"),
        Snippet("Deploy manifests", f"{ctx} apply -f ./manifests/"),
        Snippet("What you may do here", f"{ctx} auth can-i --list"),
    )


def _subject_name(subject: dict[str, Any]) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f"system:serviceaccount:{subject.get('namespace', '')}:{subject['name']}"
    return f"{subject.get('kind', 'User')}:{subject['name']}"
