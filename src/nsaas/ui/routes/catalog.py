"""Catalog: curated templates; choosing one opens the request form prefilled from it."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from nsaas.ui import auth, views

router = APIRouter()


@router.get("/catalog")
async def catalog_page(request: Request, api: auth.ApiDep, category: str = "") -> Response:
    templates, categories = await asyncio.gather(
        api.get("/catalog/templates", params={"category": category or None}), api.get("/catalog/categories")
    )
    context = {"templates": templates.data or [], "categories": categories.data or [], "category": category}
    return views.render(request, "catalog.html", context)
