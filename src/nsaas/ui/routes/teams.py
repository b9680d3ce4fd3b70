"""Teams: the limits, allow-lists and groups each team lives under (members see their own team,
platform roles every registered team). Changes are made by platform admins through the API or
``nsaas team update``; the page shows which limits follow the platform defaults."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from nsaas.ui import auth, platform_api, views

router = APIRouter()


@router.get("/teams")
async def teams_page(request: Request, api: auth.ApiDep) -> Response:
    try:
        answer = await api.get("/teams")
    except platform_api.ApiError as error:
        return views.problem(request, error, what="teams")
    return views.render(request, "teams.html", {"teams": answer.data or []})
