"""Discovery documents (the unaggregated kind: clients that ask for aggregated discovery fall back).

kubectl and client-go read ``/api`` and ``/apis`` then each ``/apis/{group}/{version}`` to build
their REST mapping; the content type ``application/json`` tells them this is the legacy format.
"""

from __future__ import annotations

from typing import Any

from nsaas.sim import resources

SERVER_VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-nsaas-sim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.22",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def _address() -> list[dict[str, str]]:
    return [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]


def core_versions() -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": _address()}


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": listed, "preferredVersion": listed[0]}


def group_list(registry: resources.Registry) -> dict[str, Any]:
    groups = [_group(name, versions) for name, versions in registry.group_versions().items()]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(registry: resources.Registry, name: str) -> dict[str, Any] | None:
    versions = registry.group_versions().get(name)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def resource_list(registry: resources.Registry, group_name: str, version: str) -> dict[str, Any] | None:
    served = [rt for rt in registry.all() if rt.group == group_name and rt.version == version]
    if not served:
        return None
    listed: list[dict[str, Any]] = []
    for rt in served:
        entry: dict[str, Any] = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": resources.VERBS,
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        listed.append(entry)
        if rt.status_subresource:
            listed.append(
                {
                    "name": f"{rt.plural}/status",
                    "singularName": "",
                    "namespaced": rt.namespaced,
                    "kind": rt.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    group_version = f"{group_name}/{version}" if group_name else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": listed}
