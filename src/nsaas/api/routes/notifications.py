"""Notifications: recent events for the portal's bell, and each team's outbound webhook channels.

The bell shows what happened to the caller's namespaces lately (status changes and warnings
such as an expiry coming up). Channels are where the notifier delivers the same happenings
outside the portal; team admins (and platform admins) manage their team's channels.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from nsaas.api import schemas
from nsaas.api.deps import CallerDep, RuntimeDep

router = APIRouter(prefix="/api/platform/notifications", tags=["notifications"], responses=schemas.ERRORS)
BELL_KINDS = ("status", "warning")


@router.get("/recent", response_model=schemas.Envelope[list[schemas.Event]])
async def recent(rt: RuntimeDep, who: CallerDep, limit: Annotated[int, Query(ge=1, le=50)] = 15) -> dict[str, Any]:
    """The newest status changes and warnings of the namespaces the caller may see, newest first."""
    teams = rt.requests.visible_teams(who)
    found = await rt.repo.recent_events(teams=teams, kinds=BELL_KINDS, limit=limit)
    return schemas.ok([schemas.event(e) for e in found])
