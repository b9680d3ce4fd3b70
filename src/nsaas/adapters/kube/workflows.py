"""Argo Workflows through the Kubernetes API: Workflow custom resources, not the Argo Server REST API.

The argo engine names each Workflow deterministically (request id + operation + attempt), so
submitting twice must not start two runs: :func:`create_workflow` treats 409 AlreadyExists as
"already submitted" and returns the existing Workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nsaas.adapters.kube import api, client, results
from nsaas.domain import errors

_API_VERSION = client.WORKFLOW.api_version


async def create_workflow(*, kube: api.KubeApi, manifest: Mapping[str, Any]) -> results.Manifest:
    """Create the Workflow, or return the one already created under the same name."""
    if manifest.get("kind") != client.WORKFLOW.kind:
        raise errors.ClusterRejected(f"create_workflow expects a Workflow, got {manifest.get('kind')}")
    try:
        return await kube.create(manifest=manifest)
    except errors.ClusterConflict:
        meta = manifest["metadata"]
        if not meta.get("name"):
            raise
        existing = await get_workflow(kube=kube, namespace=meta["namespace"], name=meta["name"])
        if existing is None:  # deleted between the 409 and the get: let the caller retry
            raise
        return existing


async def get_workflow(*, kube: api.KubeApi, namespace: str, name: str) -> results.Manifest | None:
    found = await kube.get(api_version=_API_VERSION, kind=client.WORKFLOW.kind, name=name, namespace=namespace)
    if found is not None:
        found.setdefault("apiVersion", _API_VERSION)
        found.setdefault("kind", client.WORKFLOW.kind)
    return found


async def delete_workflow(*, kube: api.KubeApi, namespace: str, name: str) -> bool:
    return await kube.delete(api_version=_API_VERSION, kind=client.WORKFLOW.kind, name=name, namespace=namespace)
