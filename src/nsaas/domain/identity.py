"""Who is calling, and what the platform lets them do: roles and the :class:`Principal`.

Roles are the seed's strings (REFERENCE.md): ``platform:admin``, ``platform:engineer``,
``platform:viewer``, ``security:admin``, ``team:<team>:admin`` and ``team:<team>:developer``.
Every way of authenticating (Azure AD groups, platform service tokens, dev personas) ends in a
:class:`Principal` whose roles have been parsed here, so an unknown or misspelt role can never
reach an authorization decision: it is refused where it enters (configuration or token).

Decisions recorded here, because the API's authorization matrix relies on them:

* Platform admins and engineers manage every team; viewers and security admins see every team's
  namespaces but change nothing. Only platform and security admins read the audit log.
* Approval is the platform's second look at a request, so platform admins and engineers approve
  in every environment. A team admin may approve their *own* team's requests outside
  ``production`` (useful when an operator also requires approval for ``staging``); production
  always needs the platform. Whether a requester may approve their own request is the caller's
  check, not a role question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from nsaas.domain import errors, requests

AuthSource = Literal["azure-ad", "platform-token", "dev"]

PLATFORM_ADMIN = "platform:admin"
PLATFORM_ENGINEER = "platform:engineer"
PLATFORM_VIEWER = "platform:viewer"
SECURITY_ADMIN = "security:admin"
GLOBAL_ROLES = frozenset({PLATFORM_ADMIN, PLATFORM_ENGINEER, PLATFORM_VIEWER, SECURITY_ADMIN})
TEAM_ROLE_KINDS = ("admin", "developer")
PRODUCTION = "production"

_MANAGE_ALL = frozenset({PLATFORM_ADMIN, PLATFORM_ENGINEER})
_SEE_ALL = frozenset({PLATFORM_ADMIN, PLATFORM_ENGINEER, PLATFORM_VIEWER, SECURITY_ADMIN})
_READ_AUDIT = frozenset({PLATFORM_ADMIN, SECURITY_ADMIN})


def team_role(team: str, kind: str) -> str:
    """The role string of ``kind`` (``admin`` or ``developer``) in ``team``, validated."""
    return parse_role(f"team:{team}:{kind}")


def parse_role(text: str) -> str:
    """Return ``text`` if it is a role nsaas knows, else raise :class:`errors.ValidationFailed`."""
    problem = _role_problem(text)
    if problem:
        raise errors.ValidationFailed(f"unknown role {text!r}: {problem}", details={"role": problem})
    return text


def parse_roles(texts: Iterable[str]) -> frozenset[str]:
    """Parse every role, naming each bad one at once (``details`` maps the bad role to why)."""
    roles = list(texts)
    problems = {str(role): problem for role in roles if (problem := _role_problem(role))}
    if problems:
        listed = "; ".join(f"{role} ({problem})" for role, problem in sorted(problems.items()))
        raise errors.ValidationFailed(f"unknown roles: {listed}", details=problems)
    return frozenset(roles)


def _role_problem(text: object) -> str | None:
    if not isinstance(text, str):
        return "a role must be a string"
    if text in GLOBAL_ROLES:
        return None
    parts = text.split(":")
    if len(parts) != 3 or parts[0] != "team":
        return "expected one of " + ", ".join(sorted(GLOBAL_ROLES)) + " or team:<team>:admin|developer"
    _, team, kind = parts
    if kind not in TEAM_ROLE_KINDS:
        return "a team role ends in :admin or :developer"
    low, high = requests.TEAM_LENGTH
    if not (low <= len(team) <= high and requests.TEAM_RE.match(team)):
        return f"team names are {low}-{high} characters of a-z, 0-9 and '-'"
    return None


def _teams_of(roles: frozenset[str]) -> frozenset[str]:
    return frozenset(role.split(":")[1] for role in roles if role.startswith("team:"))


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. Construction validates the roles, so a Principal is always sound."""

    subject: str
    name: str
    roles: frozenset[str]
    source: AuthSource
    email: str | None = None
    teams: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        if not self.subject:
            raise errors.ValidationFailed("a principal needs a subject", details={"subject": "is empty"})
        object.__setattr__(self, "roles", parse_roles(self.roles))
        object.__setattr__(self, "teams", _teams_of(self.roles))

    def has_any(self, roles: frozenset[str]) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_platform_admin(self) -> bool:
        return PLATFORM_ADMIN in self.roles

    @property
    def can_see_all(self) -> bool:
        """Sees every team's namespaces (read only unless :meth:`can_manage` also holds)."""
        return self.has_any(_SEE_ALL)

    @property
    def can_read_audit(self) -> bool:
        return self.has_any(_READ_AUDIT)

    def is_team_member(self, team: str) -> bool:
        return team in self.teams

    def is_team_admin(self, team: str) -> bool:
        return f"team:{team}:admin" in self.roles

    def can_see(self, team: str) -> bool:
        """May read ``team``'s namespaces; a caller who may not should get 404, never 403."""
        return self.can_see_all or self.is_team_member(team)

    def can_manage(self, team: str) -> bool:
        """May change ``team``'s namespaces: its admins and developers, or platform admins/engineers."""
        return self.has_any(_MANAGE_ALL) or self.is_team_member(team)

    def can_create(self, team: str) -> bool:
        """May request a namespace for ``team``; the same people who may manage it."""
        return self.can_manage(team)

    def can_approve(self, *, team: str, environment: str) -> bool:
        """May approve or reject a request of ``team`` in ``environment`` (see the module docstring)."""
        if self.has_any(_MANAGE_ALL):
            return True
        return environment != PRODUCTION and self.is_team_admin(team)


@dataclass(frozen=True, slots=True)
class Persona:
    """A fixed dev-mode identity (ARCHITECTURE.md names them); ``nsaas token --persona`` prints their tokens."""

    name: str
    display_name: str
    roles: frozenset[str]


def _persona(name: str, display_name: str, *roles: str) -> Persona:
    return Persona(name=name, display_name=display_name, roles=parse_roles(roles))


PERSONAS: Mapping[str, Persona] = {
    persona.name: persona
    for persona in (
        _persona("platform-admin", "Pat Platform-Admin", PLATFORM_ADMIN),
        _persona("team-a-admin", "Alex Team-A-Admin", "team:team-a:admin"),
        _persona("team-a-developer", "Ada Team-A-Developer", "team:team-a:developer"),
        _persona("team-b-admin", "Bo Team-B-Admin", "team:team-b:admin"),
        _persona("team-b-developer", "Bea Team-B-Developer", "team:team-b:developer"),
        _persona("viewer", "Vic Viewer", PLATFORM_VIEWER),
        _persona("security-admin", "Sam Security-Admin", SECURITY_ADMIN),
    )
}
