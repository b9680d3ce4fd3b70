"""Use cases of the team registry: list, show, register, change.

Platform admins write. Everyone who may see a team's namespaces may read its entry (team
members their own team, platform roles every team); a team the caller may not see is not found,
exactly like its namespaces. A team admin may read but never change their own team's limits.

Nothing is cached: every create, preview and sign-in reads the registry, so a change takes effect
with the next request, on every replica, without a restart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nsaas import config, metrics
from nsaas.domain import audit, errors, identity, teams
from nsaas.services import ports
from nsaas.services.requests import Caller


@dataclass(frozen=True, slots=True)
class TeamView:
    """A team as a reader sees it: its registry entry (None when unregistered) and its limits in force."""

    name: str
    record: teams.TeamRecord | None
    limits: teams.Limits

    @property
    def settings(self) -> teams.TeamSettings:
        return self.record.settings if self.record is not None else teams.TeamSettings()


class TeamService:
    def __init__(self, *, settings: config.Settings, store: ports.TeamStore) -> None:
        self.settings = settings
        self.store = store

    async def roles_for_groups(self, groups: Sequence[str]) -> frozenset[str]:
        """The team roles the registry grants to a member of ``groups`` (owners: admin, members: developer)."""
        return teams.roles_of(await self.store.memberships(groups))

    async def list(self, caller: Caller) -> list[TeamView]:
        """Registered teams the caller may see, plus the caller's own teams that have no entry (defaults)."""
        principal = caller.principal
        names = None if principal.can_see_all else sorted(principal.teams)
        found: dict[str, teams.TeamRecord | None] = {r.name: r for r in await self.store.list_teams(names=names)}
        for team in principal.teams:
            found.setdefault(team, None)
        return [self._view(name, found[name]) for name in sorted(found)]

    async def show(self, name: str, caller: Caller) -> TeamView:
        """A team the caller may see; an unregistered one shows the defaults it lives under."""
        self._visible(name, caller)
        return self._view(name, await self.store.team(name))

    async def create(self, name: str, settings: teams.TeamSettings, caller: Caller) -> TeamView:
        self._require_admin(caller, f"register team {name}")
        record = await self.store.create_team(
            name,
            settings,
            actor=caller.principal.subject,
            audit=caller.audit(audit.TEAM_CREATE, name, after=settings.snapshot(), target_type="team"),
        )
        return self._view(name, record)

    async def update(self, name: str, patch: Mapping[str, Any], caller: Caller) -> TeamView:
        """Change the fields in ``patch`` (:class:`teams.TeamSettings` names; None resets a limit to the default).

        The write is conditional on the version just read, so a concurrent change is never overwritten."""
        self._visible(name, caller)
        self._require_admin(caller, f"change team {name}")
        current = await self.store.team(name)
        if current is None:
            raise errors.NotFound(f"team {name} is not registered", details={"name": "register it first (POST)"})
        changed = dataclasses.replace(current.settings, **patch)
        record = await self.store.update_team(
            name,
            changed,
            actor=caller.principal.subject,
            expected_version=current.version,
            audit=caller.audit(
                audit.TEAM_UPDATE,
                name,
                before=current.settings.snapshot(),
                after=changed.snapshot(),
                detail="changed " + ", ".join(sorted(patch)),
                target_type="team",
            ),
        )
        return self._view(name, record)

    def _view(self, name: str, record: teams.TeamRecord | None) -> TeamView:
        return TeamView(name=name, record=record, limits=teams.limits(record, self.settings.policy))

    @staticmethod
    def _visible(name: str, caller: Caller) -> None:
        if not caller.principal.can_see(name):
            raise errors.NotFound(f"no team {name}", details={"name": "not found"})

    @staticmethod
    def _require_admin(caller: Caller, what: str) -> None:
        if not caller.principal.is_platform_admin:
            metrics.AUTHZ_DENIALS.labels("team").inc()
            raise errors.PermissionDenied(
                f"only platform admins may {what}", details={"role": f"{identity.PLATFORM_ADMIN} needed"}
            )
