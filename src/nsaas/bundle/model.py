"""What the renderer produces and what the cluster adapter consumes: a :class:`Bundle`.

A bundle is the ordered list of manifests (plain dicts, apply order) for one request, a content
digest over them, and the label selector every one of its objects carries. The adapter applies
the manifests in order, and prunes by the selector within :data:`KINDS` only, so nothing that the
platform did not create can ever be touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Manifest = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind a bundle may contain: enough to list, apply and prune it by label."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool = True
    #: Objects of this kind live in a fixed namespace rather than the tenant's (Velero Schedules).
    home_namespace_setting: str | None = None

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


#: Every kind a bundle may contain, in apply order (namespace first, RBAC before its users).
KINDS: tuple[Kind, ...] = (
    Kind("v1", "Namespace", "namespaces", namespaced=False),
    Kind("v1", "ServiceAccount", "serviceaccounts"),
    Kind("v1", "ResourceQuota", "resourcequotas"),
    Kind("v1", "LimitRange", "limitranges"),
    Kind("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    Kind("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
    Kind("security.istio.io/v1", "PeerAuthentication", "peerauthentications"),
    Kind("networking.istio.io/v1", "Sidecar", "sidecars"),
    Kind("security.istio.io/v1", "AuthorizationPolicy", "authorizationpolicies"),
    Kind("monitoring.coreos.com/v1", "ServiceMonitor", "servicemonitors"),
    Kind("monitoring.coreos.com/v1", "PrometheusRule", "prometheusrules"),
    Kind("external-secrets.io/v1beta1", "ExternalSecret", "externalsecrets"),
    Kind("velero.io/v1", "Schedule", "schedules", home_namespace_setting="velero_namespace"),
)
KIND_ORDER = {(k.api_version, k.kind): i for i, k in enumerate(KINDS)}


def kind_of(manifest: Mapping[str, Any]) -> Kind:
    key = (manifest["apiVersion"], manifest["kind"])
    return KINDS[KIND_ORDER[key]]


@dataclass(frozen=True, slots=True)
class Bundle:
    namespace: str
    request_id: str
    manifests: tuple[Manifest, ...]
    digest: str
    #: Labels every object of this bundle carries; prune selects by exactly these.
    selector: Mapping[str, str]
    #: Namespaces other than ``namespace`` that hold objects of this bundle (e.g. Velero's).
    extra_namespaces: tuple[str, ...] = ()

    def objects(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m["kind"] == kind]

    def keys(self) -> set[tuple[str, str, str | None, str]]:
        """(apiVersion, kind, namespace, name) of every object."""
        return {
            (m["apiVersion"], m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]) for m in self.manifests
        }
