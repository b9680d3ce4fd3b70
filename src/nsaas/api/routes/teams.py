"""Team registry routes: every reader sees the teams they may see; platform admins register and change them.

The body models validate (a bad body is a 400 naming every failing field, ``budget.cpu`` style);
the service works on :class:`nsaas.domain.teams.TeamSettings`; the wire format lives only here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from nsaas.api import schemas
from nsaas.api.deps import CallerDep, RuntimeDep
from nsaas.domain import requests, teams, tiers
from nsaas.services.teams import TeamView

router = APIRouter(prefix="/api/platform/teams", tags=["teams"], responses=schemas.ERRORS)

TEAM_PATTERN = requests.TEAM_RE.pattern
LOW, HIGH = requests.TEAM_LENGTH
TeamName = Annotated[str, StringConstraints(min_length=LOW, max_length=HIGH, pattern=TEAM_PATTERN)]
#: An Azure AD group object ID (a GUID), or any short identifier a test tenant uses.
GroupId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
#: A StorageClass or IngressClass name (a DNS subdomain: never a comma, the annotation's separator).
ClassName = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
#: An image prefix such as ``myacr.azurecr.io/`` or ``myacr.azurecr.io/team-a/``.
Registry = Annotated[str, StringConstraints(min_length=3, max_length=253, pattern=r"^[a-z0-9][a-z0-9.:_/-]*$")]
Amount = Annotated[Decimal, Field(gt=0, le=100_000, max_digits=12, decimal_places=3)]


class BudgetIn(BaseModel):
    """Aggregate requests across the team's live namespaces; a part left out or null is the platform default."""

    model_config = ConfigDict(extra="forbid")
    cpu: Amount | None = None
    memoryGi: Amount | None = None
    storageGi: Amount | None = None


class TeamPatchIn(BaseModel):
    """What a platform admin sets; a limit sent as null goes back to the platform default."""

    model_config = ConfigDict(extra="forbid")
    namespaceCap: Annotated[int, Field(ge=0, le=10_000)] | None = None
    budget: BudgetIn | None = None
    allowedEnvironments: Annotated[list[requests.Environment], Field(max_length=10)] | None = None
    allowedTiers: Annotated[list[tiers.TierName], Field(max_length=10)] | None = None
    allowedFeatures: Annotated[list[requests.Feature], Field(max_length=20)] | None = None
    #: Enforced by the cluster in each of the team's namespaces; null = unrestricted.
    allowedStorageClasses: Annotated[list[ClassName], Field(max_length=50)] | None = None
    allowedIngressClasses: Annotated[list[ClassName], Field(max_length=50)] | None = None
    allowedRegistries: Annotated[list[Registry], Field(max_length=50)] | None = None
    ownerGroups: Annotated[list[GroupId], Field(max_length=50)] | None = None
    memberGroups: Annotated[list[GroupId], Field(max_length=50)] | None = None
    costCenter: Annotated[str, Field(max_length=requests.MAX_COST_CENTER)] | None = None


class TeamIn(TeamPatchIn):
    name: TeamName


class BudgetOut(BaseModel):
    cpu: float | None
    memoryGi: float | None
    storageGi: float | None


class TeamOut(BaseModel):
    name: str
    #: False: the team has no registry entry and lives under the platform defaults.
    registered: bool
    namespaceCap: int
    #: null parts are unlimited.
    budget: BudgetOut
    allowedEnvironments: list[str]
    allowedTiers: list[str]
    allowedFeatures: list[str]
    #: null: unrestricted (the cluster enforces these lists in each of the team's namespaces).
    allowedStorageClasses: list[str] | None
    allowedIngressClasses: list[str] | None
    allowedRegistries: list[str] | None
    ownerGroups: list[str]
    memberGroups: list[str]
    costCenter: str
    #: The limits this team does not set itself (they follow the platform configuration).
    inherited: list[str]
    version: int | None
    createdAt: datetime | None
    updatedAt: datetime | None
    updatedBy: str | None


#: Body field -> TeamSettings field.
_FIELDS = {
    "namespaceCap": "namespace_cap",
    "budget": "budget",
    "allowedEnvironments": "allowed_environments",
    "allowedTiers": "allowed_tiers",
    "allowedFeatures": "allowed_features",
    "allowedStorageClasses": "allowed_storage_classes",
    "allowedIngressClasses": "allowed_ingress_classes",
    "allowedRegistries": "allowed_registries",
    "ownerGroups": "owner_groups",
    "memberGroups": "member_groups",
    "costCenter": "cost_center",
}


def settings_patch(body: TeamPatchIn) -> dict[str, Any]:
    """The TeamSettings fields the body sets (null limits reset to the default)."""
    patch: dict[str, Any] = {}
    for key in body.model_fields_set & _FIELDS.keys():
        value = getattr(body, key)
        if key == "budget":
            value = teams.Budget() if value is None else teams.Budget(value.cpu, value.memoryGi, value.storageGi)
        elif key in ("ownerGroups", "memberGroups"):
            value = tuple(dict.fromkeys(value or ()))
        elif key == "costCenter":
            value = value or ""
        elif isinstance(value, list):
            value = tuple(dict.fromkeys(value))
        patch[_FIELDS[key]] = value
    return patch


def team_out(view: TeamView) -> dict[str, Any]:
    own, limits, record = view.settings, view.limits, view.record
    inherited = [
        key
        for key, value in (
            ("namespaceCap", own.namespace_cap),
            ("budget.cpu", own.budget.cpu),
            ("budget.memoryGi", own.budget.memory_gi),
            ("budget.storageGi", own.budget.storage_gi),
            ("allowedEnvironments", own.allowed_environments),
            ("allowedTiers", own.allowed_tiers),
            ("allowedFeatures", own.allowed_features),
        )
        if value is None
    ]
    return {
        "name": view.name,
        "registered": record is not None,
        "namespaceCap": limits.namespace_cap,
        "budget": {
            "cpu": _number(limits.budget.cpu),
            "memoryGi": _number(limits.budget.memory_gi),
            "storageGi": _number(limits.budget.storage_gi),
        },
        "allowedEnvironments": _allowed(limits.allowed_environments, requests.ENVIRONMENTS),
        "allowedTiers": _allowed(limits.allowed_tiers, tiers.TIER_NAMES),
        "allowedFeatures": _allowed(limits.allowed_features, requests.FEATURES),
        "allowedStorageClasses": _listed(own.allowed_storage_classes),
        "allowedIngressClasses": _listed(own.allowed_ingress_classes),
        "allowedRegistries": _listed(own.allowed_registries),
        "ownerGroups": list(own.owner_groups),
        "memberGroups": list(own.member_groups),
        "costCenter": own.cost_center,
        "inherited": inherited,
        "version": record.version if record else None,
        "createdAt": record.created_at if record else None,
        "updatedAt": record.updated_at if record else None,
        "updatedBy": record.updated_by if record else None,
    }


def _allowed(chosen: frozenset[str] | None, every: tuple[str, ...]) -> list[str]:
    return [value for value in every if chosen is None or value in chosen]


def _listed(values: tuple[str, ...] | None) -> list[str] | None:
    return None if values is None else list(values)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@router.get("", response_model=schemas.Envelope[list[TeamOut]])
async def list_teams(rt: RuntimeDep, who: CallerDep) -> dict[str, Any]:
    """Registered teams the caller may see, and the caller's own teams with the defaults they live under."""
    return schemas.ok([team_out(view) for view in await rt.teams.list(who)])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.Envelope[TeamOut])
async def create_team(rt: RuntimeDep, who: CallerDep, body: TeamIn) -> dict[str, Any]:
    """Register a team (platform admins). Limits left out follow the platform configuration."""
    view = await rt.teams.create(body.name, teams.TeamSettings(**settings_patch(body)), who)
    return schemas.ok(team_out(view))


@router.get("/{name}", response_model=schemas.Envelope[TeamOut])
async def show_team(rt: RuntimeDep, who: CallerDep, name: Annotated[str, Path(max_length=HIGH)]) -> dict[str, Any]:
    return schemas.ok(team_out(await rt.teams.show(name, who)))


@router.patch("/{name}", response_model=schemas.Envelope[TeamOut])
async def update_team(
    rt: RuntimeDep, who: CallerDep, name: Annotated[str, Path(max_length=HIGH)], body: TeamPatchIn
) -> dict[str, Any]:
    """Change a registered team (platform admins; a team admin may not change their own team's limits)."""
    return schemas.ok(team_out(await rt.teams.update(name, settings_patch(body), who)))
