"""Rollouts: the progress of each bundle template rollout, wave by wave, and why a namespace failed
(platform roles). Rollouts are started and rolled back by platform admins through the API; the
page refreshes itself while one is under way."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from nsaas.ui import auth, platform_api, views

router = APIRouter()


@router.get("/rollouts")
async def rollouts_page(request: Request, api: auth.ApiDep) -> Response:
    try:
        answer = await api.get("/rollouts")
    except platform_api.ApiError as error:
        return views.problem(request, error, what="rollouts")
    items = answer.data or []
    active = any(r.get("state") in ("running", "rolling-back") for r in items)
    return views.render(request, "rollouts.html", {"rollouts": items, "active": active})
