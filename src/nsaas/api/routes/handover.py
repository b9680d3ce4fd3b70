"""Handing a namespace over to the tools developers live in: kubectl access and the Backstage catalog."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Query, Response

from nsaas.api import schemas
from nsaas.api.deps import CallerDep, RuntimeDep
from nsaas.services import backstage

router = APIRouter(prefix="/api/platform/namespaces", tags=["namespaces"], responses=schemas.ERRORS)


@router.get("/{name}/access", response_model=schemas.Envelope[schemas.AccessOut])
async def namespace_access(rt: RuntimeDep, who: CallerDep, name: str) -> dict[str, Any]:
    """A kubeconfig context named after the namespace, kubectl snippets, and who holds which role there."""
    return schemas.ok(schemas.access_document(rt.access.describe(await rt.requests.bundle(name, who))))


@router.get("/{name}/catalog-info", response_model=schemas.Envelope[dict[str, Any]])
async def catalog_info(
    rt: RuntimeDep,
    who: CallerDep,
    name: str,
    format_: Annotated[str, Query(alias="format", pattern="^(json|yaml)$")] = "json",
) -> Any:
    """The namespace as a Backstage ``Resource`` entity; ``format=yaml`` gives the catalog-info.yaml itself."""
    record = await rt.requests.visible(name, who)
    entity = backstage.entity(record, rt.settings)
    if format_ == "yaml":
        return Response(yaml.safe_dump(entity, sort_keys=False), media_type="application/yaml")
    return schemas.ok(entity)
