"""Notifications: the approvals-waiting count in the navigation, the bell, and team webhook settings.

Both are fragments the layout loads after the page (htmx), so no page waits for them and a slow
answer never delays what the user came for.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from nsaas.domain import notifications
from nsaas.ui import auth, platform_api, sessions, views

router = APIRouter()
COUNTED = 100


@router.get("/nav/approvals-count")
async def approvals_count(request: Request, api: auth.ApiDep, me: auth.MeDep) -> Response:
    """How many requests wait for a decision this user may take (their own requests excluded)."""
    if not me.can_approve:
        return Response("", media_type="text/html")
    answer = await api.get("/namespaces", params={"status": "pending-approval", "limit": COUNTED})
    items = answer.data.get("items") or []
    waiting = sum(1 for item in items if item.get("requestedBy") != me.subject)
    text = f"{waiting}<span class='sr-only'> waiting</span>" if waiting else ""
    return Response(text, media_type="text/html")


@router.get("/notifications/bell")
async def bell(request: Request, api: auth.ApiDep) -> Response:
    events = (await api.get("/notifications/recent", params={"limit": 15})).data or []
    return views.render(request, "_bell.html", {"events": events})


@router.get("/settings/notifications")
async def settings_page(request: Request, api: auth.ApiDep, me: auth.MeDep) -> Response:
    return await _settings(request, api, me)


async def _settings(
    request: Request,
    api: platform_api.PlatformApi,
    me: sessions.Identity,
    *,
    errors: dict[str, str] | None = None,
    draft: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    channels = (await api.get("/notifications/channels")).data or []
    admin_of = [t for t in me.teams if f"team:{t}:admin" in me.roles]
    context = {
        "channels": channels,
        "teams": admin_of,
        "any_team": me.is_platform_admin or "platform:engineer" in me.roles,
        "types": notifications.TYPES,
        "titles": notifications.TITLES,
        "formats": notifications.FORMATS,
        "errors": errors or {},
        "draft": draft or {"events": list(notifications.TYPES), "format": "generic"},
    }
    return views.render(request, "settings.html", context, status=status)


@router.post("/settings/notifications")
async def add_channel(request: Request, api: auth.ApiDep, me: auth.MeDep) -> Response:
    form = await request.form()
    draft = {
        "team": str(form.get("team") or "").strip(),
        "name": str(form.get("name") or "").strip(),
        "url": str(form.get("url") or "").strip(),
        "format": str(form.get("format") or "generic"),
        "events": [str(v) for v in form.getlist("events")],
    }
    try:
        await api.post("/notifications/channels", body=draft)
    except platform_api.ApiError as error:
        if error.status not in (400, 403, 404, 422):
            raise
        found = error.details if error.status in (400, 422) and error.details else {"form": error.message}
        return await _settings(request, api, me, errors=found, draft=draft, status=error.status)
    views.flash(request, f"Channel {draft['name']} added for {draft['team']}.")
    return RedirectResponse("/settings/notifications", status_code=303)


@router.post("/settings/notifications/{channel_id}/delete")
async def remove_channel(request: Request, api: auth.ApiDep, channel_id: str) -> Response:
    try:
        removed = (await api.delete(f"/notifications/channels/{channel_id}")).data or {}
    except platform_api.ApiError as error:
        if error.status not in (403, 404):
            raise
        views.flash(request, f"Could not remove the channel: {error.message}")
    else:
        views.flash(request, f"Channel {removed.get('name')} removed.")
    return RedirectResponse("/settings/notifications", status_code=303)
