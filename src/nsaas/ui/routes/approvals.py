"""Approvals: requests waiting for a decision, approved or rejected with a recorded reason."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from nsaas.ui import auth, views

router = APIRouter()


@router.get("/approvals")
async def approvals_page(request: Request, api: auth.ApiDep, me: auth.MeDep) -> Response:
    answer = await api.get("/namespaces", params={"status": "pending-approval", "limit": 100})
    items = sorted(answer.data.get("items") or [], key=lambda i: str(i.get("createdAt")))
    return views.render(request, "approvals.html", {"items": items, "can_approve": me.can_approve})
