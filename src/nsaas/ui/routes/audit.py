"""Audit log for platform and security admins; the API refuses everyone else (403), shown as such."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nsaas.ui import auth, views

router = APIRouter()
PAGE = 50
FILTERS = ("actor", "action", "target", "outcome", "since", "until")


@router.get("/audit")
async def audit_page(request: Request, api: auth.ApiDep, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    chosen = {key: request.query_params.get(key, "").strip() for key in FILTERS}
    params: dict[str, Any] = {**chosen, "offset": offset, "limit": PAGE}
    page = (await api.get("/audit", params=params)).data or {}
    items = page.get("items") if isinstance(page, dict) else page
    total = int(page.get("total", 0)) if isinstance(page, dict) else len(items or [])
    context = {
        "items": items or [],
        "filters": chosen,
        "total": total,
        "next_offset": offset + PAGE if offset + PAGE < total else None,
        "prev_offset": max(0, offset - PAGE) if offset else None,
    }
    return views.render(request, "audit.html", context)
