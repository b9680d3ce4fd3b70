"""Dashboard: my namespaces by status, recent requests, approvals waiting for me, quota use."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from nsaas.ui import auth, platform_api, views

router = APIRouter()
RECENT = 6


@router.get("/")
async def dashboard(request: Request, api: auth.ApiDep, me: auth.MeDep) -> Response:
    mine, pending, resources = await asyncio.gather(
        api.get("/namespaces", params={"limit": 200}),
        _pending(api) if me.can_approve else _nothing(),
        api.get("/analytics/resources"),
    )
    visible: list[dict[str, Any]] = list(mine.data.get("items") or [])
    # "My namespaces" are my teams' and the ones I requested, also for roles that see every team.
    items = [i for i in visible if i.get("team") in me.teams or i.get("requestedBy") == me.subject]
    recent = sorted(items, key=lambda i: str(i.get("createdAt")), reverse=True)[:RECENT]
    context = {
        "by_status": sorted(Counter(str(i.get("status")) for i in items).items()),
        "total": len(items),
        "all_teams": int(mine.data.get("total", len(visible))) if me.can_see_all else None,
        "recent": recent,
        "pending": pending,
        "teams": _team_use(visible, me.teams, cap=views.team_cap(request)),
        "reserved": (resources.data or {}).get("byTeam", {}),
        "reserved_basis": (resources.data or {}).get("basis", ""),
    }
    return views.render(request, "dashboard.html", context)


async def _pending(api: platform_api.PlatformApi) -> list[dict[str, Any]]:
    answer = await api.get("/namespaces", params={"status": "pending-approval", "limit": 50})
    return list(answer.data.get("items") or [])


async def _nothing() -> list[dict[str, Any]]:
    return []


def _team_use(items: list[dict[str, Any]], teams: tuple[str, ...], *, cap: int) -> list[dict[str, Any]]:
    """Live namespaces per team against the team cap of the policy (what limits new requests)."""
    live = Counter(str(i.get("team")) for i in items)
    names = sorted(set(teams) | set(live))
    return [{"team": t, "used": live.get(t, 0), "cap": cap} for t in names]
