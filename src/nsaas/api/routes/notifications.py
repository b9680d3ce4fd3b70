"""Notifications: recent events for the portal's bell, and each team's outbound webhook channels.

The bell shows what happened to the caller's namespaces lately (status changes and warnings
such as an expiry coming up). Channels are where the notifier delivers the same happenings
outside the portal; team admins (and platform admins) manage their team's channels.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status

from nsaas.api import schemas
from nsaas.api.deps import CallerDep, RuntimeDep
from nsaas.domain import errors, identity, notifications, records

router = APIRouter(prefix="/api/platform/notifications", tags=["notifications"], responses=schemas.ERRORS)
BELL_KINDS = ("status", "warning")
MANAGE_ALL = frozenset({identity.PLATFORM_ADMIN, identity.PLATFORM_ENGINEER})


@router.get("/recent", response_model=schemas.Envelope[list[schemas.Event]])
async def recent(rt: RuntimeDep, who: CallerDep, limit: Annotated[int, Query(ge=1, le=50)] = 15) -> dict[str, Any]:
    """The newest status changes and warnings of the namespaces the caller may see, newest first."""
    teams = rt.requests.visible_teams(who)
    found = await rt.repo.recent_events(teams=teams, kinds=BELL_KINDS, limit=limit)
    return schemas.ok([schemas.event(e) for e in found])


def _may_manage(principal: identity.Principal, team: str) -> bool:
    """Team admins manage their team's channels; platform admins and engineers every team's."""
    return principal.is_team_admin(team) or principal.has_any(MANAGE_ALL)


@router.get("/channels", response_model=schemas.Envelope[list[dict[str, Any]]])
async def channels(rt: RuntimeDep, who: CallerDep) -> dict[str, Any]:
    """The channels of the teams the caller may see (URLs shown without their secret path)."""
    found = await rt.outbox.channels(teams=rt.requests.visible_teams(who))
    return schemas.ok([{**c.public(), "manageable": _may_manage(who.principal, c.team)} for c in found])


@router.post("/channels", status_code=status.HTTP_201_CREATED, response_model=schemas.Envelope[dict[str, Any]])
async def add_channel(rt: RuntimeDep, who: CallerDep, body: Annotated[Any, Body()]) -> dict[str, Any]:
    """Add a webhook channel for a team: ``{team, name, url, format, events}``."""
    if not isinstance(body, dict):
        raise errors.ValidationFailed("the request body must be a JSON object", details={"body": "expected an object"})
    allow_http = rt.settings.notifications.allow_http or rt.settings.dev_mode
    spec = notifications.parse_channel(body, allow_http=allow_http)
    if not who.principal.can_see(spec.team):
        raise errors.NotFound(f"no team {spec.team}", details={"team": "not found"})
    if not _may_manage(who.principal, spec.team):
        raise errors.PermissionDenied(
            f"only admins of team {spec.team} or platform admins manage its notifications",
            details={"team": "team admin needed"},
        )
    channel = await rt.outbox.add_channel(
        team=spec.team,
        name=spec.name,
        url=spec.url,
        fmt=spec.format,
        events=spec.events,
        created_by=who.principal.subject,
        now=datetime.now(UTC),
    )
    await rt.repo.add_audit(_audit(who, "notification.channel-added", channel))
    return schemas.ok({**channel.public(), "manageable": True})


@router.delete("/channels/{channel_id}", response_model=schemas.Envelope[dict[str, Any]])
async def remove_channel(rt: RuntimeDep, who: CallerDep, channel_id: str) -> dict[str, Any]:
    found = [c for c in await rt.outbox.channels(teams=rt.requests.visible_teams(who)) if c.id == channel_id]
    if not found:
        raise errors.NotFound(f"no channel {channel_id}", details={"id": "not found"})
    if not _may_manage(who.principal, found[0].team):
        raise errors.PermissionDenied("only team admins or platform admins remove channels", details={"team": "admin"})
    await rt.outbox.remove_channel(channel_id)
    await rt.repo.add_audit(_audit(who, "notification.channel-removed", found[0]))
    return schemas.ok(found[0].public())


def _audit(who: CallerDep, action: str, channel: notifications.Channel) -> records.NewAudit:
    return records.NewAudit(
        actor=who.principal.subject,
        action=action,
        target_type="team",
        target=channel.team,
        outcome="success",
        roles=tuple(sorted(who.principal.roles)),
        before=None,
        after={"name": channel.name, "format": channel.format, "events": list(channel.events)},
        correlation_id=who.correlation_id,
        source_ip=who.source_ip,
        user_agent=who.user_agent,
        detail=f"channel {channel.name}",
    )
