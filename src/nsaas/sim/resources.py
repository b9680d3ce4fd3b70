"""The resource types the simulator serves, and the registry that discovery and routing read.

Built-in kinds are fixed; custom kinds come only from CustomResourceDefinition objects (the
simulator pre-creates CRDs for the Argo, Istio, Prometheus-operator, External Secrets and Velero
kinds the platform uses), so ``kubectl get crd`` and discovery agree just as on a real cluster.
One served version per group and plural is enough for the platform; the first served version of
a CRD wins.
"""

from __future__ import annotations

import dataclasses
from typing import Any

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclasses.dataclass(frozen=True, slots=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    status_subresource: bool = False
    short_names: tuple[str, ...] = ()
    key: str = dataclasses.field(init=False, compare=False)
    """Storage key (``configmaps``, ``roles.rbac.authorization.k8s.io``): one store per group and plural,
    whatever the version; also how kube-apiserver names the type in messages. Computed once because
    every request looks it up."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.plural}.{self.group}" if self.group else self.plural)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        return self.key

    @property
    def singular(self) -> str:
        return self.kind.lower()


def _core(
    kind: str, plural: str, *, namespaced: bool = True, status: bool = False, short: tuple[str, ...] = ()
) -> ResourceType:
    return ResourceType("", "v1", kind, plural, namespaced, status, short)


BUILTIN: tuple[ResourceType, ...] = (
    _core("Namespace", "namespaces", namespaced=False, status=True, short=("ns",)),
    _core("ConfigMap", "configmaps", short=("cm",)),
    _core("Secret", "secrets"),
    _core("ServiceAccount", "serviceaccounts", short=("sa",)),
    _core("ResourceQuota", "resourcequotas", status=True, short=("quota",)),
    _core("LimitRange", "limitranges", short=("limits",)),
    _core("Service", "services", status=True, short=("svc",)),
    _core("Pod", "pods", status=True, short=("po",)),
    _core("PersistentVolumeClaim", "persistentvolumeclaims", status=True, short=("pvc",)),
    _core("Event", "events", short=("ev",)),
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    ResourceType("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, False, ("netpol",)),
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", True),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        True,
        ("crd", "crds"),
    ),
)

# (group, version, kind, plural, short names, status subresource) of the custom kinds a platform
# cluster has installed. Argo's Workflow CRD has no status subresource: its controller writes the
# whole object, and so does the simulated one.
PREINSTALLED_CUSTOM: tuple[tuple[str, str, str, str, tuple[str, ...], bool], ...] = (
    ("argoproj.io", "v1alpha1", "Workflow", "workflows", ("wf",), False),
    ("argoproj.io", "v1alpha1", "WorkflowTemplate", "workflowtemplates", ("wftmpl",), False),
    ("security.istio.io", "v1", "PeerAuthentication", "peerauthentications", ("pa",), True),
    ("security.istio.io", "v1", "AuthorizationPolicy", "authorizationpolicies", ("ap",), True),
    ("networking.istio.io", "v1", "Sidecar", "sidecars", (), True),
    ("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", ("smon",), False),
    ("monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules", ("promrule",), False),
    ("external-secrets.io", "v1beta1", "ExternalSecret", "externalsecrets", ("es",), True),
    ("velero.io", "v1", "Schedule", "schedules", (), True),
)


def crd_manifest(
    group: str, version: str, kind: str, plural: str, short: tuple[str, ...], status: bool
) -> dict[str, Any]:
    """A minimal CustomResourceDefinition for a pre-installed kind (schema preserves unknown fields)."""
    served: dict[str, Any] = {
        "name": version,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    }
    if status:
        served["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": list(short),
                "listKind": f"{kind}List",
            },
            "versions": [served],
        },
    }


def from_crd(crd: dict[str, Any]) -> ResourceType | None:
    """The type a CRD serves, or None when it has no served version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    if not versions or not names.get("plural") or not names.get("kind") or not spec.get("group"):
        return None
    version = versions[0]
    return ResourceType(
        group=str(spec["group"]),
        version=str(version["name"]),
        kind=str(names["kind"]),
        plural=str(names["plural"]),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        status_subresource="status" in (version.get("subresources") or {}),
        short_names=tuple(names.get("shortNames") or ()),
    )


class Registry:
    """Which types exist now. Reads are by URL (group, version, plural) or by storage key."""

    def __init__(self) -> None:
        self._by_path: dict[tuple[str, str, str], ResourceType] = {}
        self._by_key: dict[str, ResourceType] = {}
        for rt in BUILTIN:
            self.add(rt)

    def add(self, rt: ResourceType) -> None:
        self._by_path[(rt.group, rt.version, rt.plural)] = rt
        self._by_key[rt.key] = rt

    def remove(self, rt: ResourceType) -> None:
        self._by_path.pop((rt.group, rt.version, rt.plural), None)
        self._by_key.pop(rt.key, None)

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def by_key(self, key: str) -> ResourceType | None:
        return self._by_key.get(key)

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for rt in self._by_key.values():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None

    def all(self) -> list[ResourceType]:
        return sorted(self._by_key.values(), key=lambda rt: (rt.group, rt.plural))

    def group_versions(self) -> dict[str, list[str]]:
        """Served versions of each named group (the core group "" excluded), in stable order."""
        groups: dict[str, list[str]] = {}
        for rt in self.all():
            if rt.group and rt.version not in groups.setdefault(rt.group, []):
                groups[rt.group].append(rt.version)
        return groups
