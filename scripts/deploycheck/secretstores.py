"""Secret isolation: no ClusterSecretStore a tenant namespace can use reaches the platform's vault.

A store is "platform" when a platform ExternalSecret (one in platform-system or argo) reads through
it; a store is "tenant-reachable" when its ``conditions`` admit a namespace labelled as the
platform labels every tenant namespace (``platform.io/managed=true``). The two sets must not
overlap, and no tenant-reachable store may point at a vault or authenticate as an identity a
platform store uses: otherwise any key a platform ExternalSecret names could be read from a tenant
namespace by anyone allowed to create an ExternalSecret there.
"""

from __future__ import annotations

from typing import Any

from scripts.deploycheck import findings

PLATFORM_NAMESPACES = frozenset({"platform-system", "argo"})
#: What a tenant namespace looks like to a store's conditions (bundle/namespace.py labels).
TENANT_NAMESPACE = {"name": "team-a-dev", "labels": {"platform.io/managed": "true", "platform.io/team": "team-a"}}


def admits(store: dict[str, Any], *, name: str, labels: dict[str, str]) -> bool:
    """Whether a ClusterSecretStore's ``spec.conditions`` let namespace ``name`` use it (no conditions: all)."""
    conditions = store.get("spec", {}).get("conditions")
    if not conditions:
        return True
    for condition in conditions:
        if name in (condition.get("namespaces") or []):
            return True
        selector = condition.get("namespaceSelector")
        if selector is None:
            continue
        if selector.get("matchExpressions"):
            return True  # not evaluated here: assume the worst, a finding is cheaper than a leak
        if all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()):
            return True
    return False


def backend(store: dict[str, Any]) -> tuple[str, str]:
    """(vault, identity) a store resolves keys with; unknown providers compare by their whole spec."""
    provider = store.get("spec", {}).get("provider", {})
    azure = provider.get("azurekv")
    if azure is None:
        return (repr(sorted(provider.items())), "")
    account = azure.get("serviceAccountRef") or {}
    return (str(azure.get("vaultUrl")), f"{account.get('namespace')}/{account.get('name')}:{azure.get('authType')}")


def platform_keys(objects: list[findings.Manifest]) -> dict[str, set[str]]:
    """store name -> remote keys the platform's own ExternalSecrets read through it."""
    keys: dict[str, set[str]] = {}
    for obj in objects:
        if obj.get("kind") != "ExternalSecret" or obj["metadata"].get("namespace") not in PLATFORM_NAMESPACES:
            continue
        spec = obj.get("spec", {})
        store = spec.get("secretStoreRef", {}).get("name", "")
        found = keys.setdefault(store, set())
        found.update(d["remoteRef"]["key"] for d in spec.get("data", []))
        found.update(d["extract"]["key"] for d in spec.get("dataFrom", []) if "extract" in d)
    return keys


def tenant_stores(objects: list[findings.Manifest]) -> list[dict[str, Any]]:
    return [
        o
        for o in objects
        if o.get("kind") == "ClusterSecretStore"
        and admits(o, name=TENANT_NAMESPACE["name"], labels=dict(TENANT_NAMESPACE["labels"]))
    ]


def check(objects: list[findings.Manifest]) -> list[findings.Finding]:
    stores = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "ClusterSecretStore"}
    used = platform_keys(objects)
    platform_backends = {backend(stores[name]) for name in used if name in stores}
    problems = []
    for store in tenant_stores(objects):
        name = store["metadata"]["name"]
        if name in used:
            problems.append(
                findings.Finding(
                    "secrets", f"ClusterSecretStore/{name}", "platform secrets are read through a store tenants can use"
                )
            )
        vault, identity = backend(store)
        if any(vault == v or identity == i for v, i in platform_backends):
            problems.append(
                findings.Finding(
                    "secrets",
                    f"ClusterSecretStore/{name}",
                    "a store tenants can use shares a vault or identity with the platform's store",
                )
            )
    return problems
