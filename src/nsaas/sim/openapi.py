"""Just enough OpenAPI v3 for kubectl to validate on the server side.

Before ``kubectl apply`` (or create, replace) sends an object it asks ``/openapi/v3`` whether
the PATCH operation of that kind accepts the ``fieldValidation`` query parameter; if the answer
is yes it leaves validation to the server instead of downloading full schemas. These documents
say yes and carry no schemas. The simulator then accepts ``fieldValidation`` and, having no
schemas, does not reject unknown fields (documented). ``/openapi/v2`` stays 404.
"""

from __future__ import annotations

from typing import Any

from nsaas.sim import resources

_PARAM = {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}


def _prefix(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def root(registry: resources.Registry) -> dict[str, Any]:
    gvs = {(rt.group, rt.version) for rt in registry.all()}
    paths = {_prefix(g, v): {"serverRelativeURL": f"/openapi/v3/{_prefix(g, v)}"} for g, v in sorted(gvs)}
    return {"paths": paths}


def group_version(registry: resources.Registry, rest: str) -> dict[str, Any] | None:
    """The document for ``api/v1`` or ``apis/{group}/{version}``, or None if nothing is served there."""
    parts = rest.strip("/").split("/")
    if parts[:1] == ["api"] and len(parts) == 2:
        group, version = "", parts[1]
    elif parts[:1] == ["apis"] and len(parts) == 3:
        group, version = parts[1], parts[2]
    else:
        return None
    served = [rt for rt in registry.all() if rt.group == group and rt.version == version]
    if not served:
        return None
    paths: dict[str, Any] = {}
    for rt in served:
        scope = "/namespaces/{namespace}" if rt.namespaced else ""
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        operation = {
            "operationId": f"patch{rt.kind}",
            "x-kubernetes-group-version-kind": gvk,
            "x-kubernetes-action": "patch",
            "parameters": [_PARAM],
            "responses": {"200": {"description": "OK"}},
        }
        paths[f"/{_prefix(group, version)}{scope}/{rt.plural}/{{name}}"] = {"patch": operation}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes (nsaas simulator)", "version": "v1.31.0"}, "paths": paths}
