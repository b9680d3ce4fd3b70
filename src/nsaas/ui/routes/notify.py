"""In-app notifications: the approvals-waiting count in the navigation and the bell's recent events.

Both are fragments the layout loads after the page (htmx), so no page waits for them and a slow
answer never delays what the user came for.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from nsaas.ui import auth, views

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
