"""Catalog routes: curated templates that produce normal namespace requests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Response, status

from nsaas.api import schemas
from nsaas.api.deps import CallerDep, PrincipalDep, RuntimeDep
from nsaas.api.routes import namespaces
from nsaas.domain import catalog

router = APIRouter(prefix="/api/platform/catalog", tags=["catalog"], responses=schemas.ERRORS)


@router.get("/templates", response_model=schemas.Envelope[list[dict[str, Any]]])
async def templates(_: PrincipalDep, category: str | None = None) -> dict[str, Any]:
    return schemas.ok([t.to_api() for t in catalog.TEMPLATES if category in (None, t.category)])


@router.get("/templates/{template_id}", response_model=schemas.Envelope[dict[str, Any]])
async def template(_: PrincipalDep, template_id: str) -> dict[str, Any]:
    return schemas.ok(catalog.get(template_id).to_api())


@router.get("/categories", response_model=schemas.Envelope[list[dict[str, Any]]])
async def categories(_: PrincipalDep) -> dict[str, Any]:
    return schemas.ok(catalog.categories())


@router.post(
    "/templates/{template_id}/deploy",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.Envelope[schemas.Accepted],
)
async def deploy(
    rt: RuntimeDep,
    who: CallerDep,
    template_id: str,
    response: Response,
    parameters: Annotated[dict[str, Any], Body(embed=True)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> dict[str, Any]:
    """Validate the template's typed parameters and submit the request they produce."""
    body = catalog.get(template_id).request_body(parameters)
    return await namespaces.submit(rt, who, response, body, idempotency_key=idempotency_key)
