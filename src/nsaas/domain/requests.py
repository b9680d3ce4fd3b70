"""The namespace request: what a team asks for, and the field rules of REFERENCE.md.

:func:`parse_spec` takes untrusted input (an API body, a CLI file) and returns a
:class:`NamespaceSpec` or raises :class:`errors.ValidationFailed` naming *every* failing field
at once, with messages a person can act on. Policy (what the platform allows, given the
configuration and the other namespaces) is separate: see :mod:`nsaas.domain.policy`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast, get_args

from nsaas.domain import errors, tiers

Environment = Literal["development", "staging", "production"]
NetworkPolicy = Literal["isolated", "team-shared", "open"]
Feature = Literal[
    "istio-injection",
    "monitoring-enhanced",
    "backup-enabled",
    "gpu-access",
    "database-access",
    "external-ingress",
]
PrincipalType = Literal["User", "Group"]
RoleDefinition = Literal["aks-rbac-admin", "aks-rbac-writer", "aks-rbac-reader"]

ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
NETWORK_POLICIES: tuple[NetworkPolicy, ...] = get_args(NetworkPolicy)
FEATURES: tuple[Feature, ...] = get_args(Feature)
PRINCIPAL_TYPES: tuple[PrincipalType, ...] = get_args(PrincipalType)
ROLE_DEFINITIONS: tuple[RoleDefinition, ...] = get_args(RoleDefinition)

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
#: Dash-separated words: no leading, trailing or double dash, so ``<team>--`` (the team's key prefix
#: in the tenant vault) never starts another team's prefix.
TEAM_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TTL_RE = re.compile(r"^(\d+)([hd])$")
MAX_NAME = 63
TEAM_LENGTH = (2, 32)
MAX_DESCRIPTION = 500
MAX_COST_CENTER = 50
MAX_TTL_HOURS = 24 * 365

#: Fields a PATCH may change; everything else is fixed for the life of a request.
MUTABLE_FIELDS = ("resourceTier", "features", "ttl", "description")


@dataclass(frozen=True, slots=True)
class RbacConfig:
    principal_id: str
    principal_type: PrincipalType
    role_definition: RoleDefinition


@dataclass(frozen=True, slots=True)
class NamespaceSpec:
    """A validated namespace request, as the user asked for it."""

    name: str
    team: str
    environment: Environment
    tier: tiers.TierName
    network_policy: NetworkPolicy
    features: tuple[Feature, ...] = ()
    description: str = ""
    cost_center: str = ""
    rbac: RbacConfig | None = None
    ttl_hours: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def has(self, feature: Feature) -> bool:
        return feature in self.features

    def to_api(self) -> dict[str, Any]:
        """The request in the API's camelCase shape (round-trips through :func:`parse_spec`)."""
        body: dict[str, Any] = {
            "namespaceName": self.name,
            "team": self.team,
            "environment": self.environment,
            "resourceTier": self.tier,
            "networkPolicy": self.network_policy,
            "features": list(self.features),
            "description": self.description,
            "costCenter": self.cost_center,
        }
        if self.rbac is not None:
            body["rbacConfig"] = {
                "principalId": self.rbac.principal_id,
                "principalType": self.rbac.principal_type,
                "roleDefinition": self.rbac.role_definition,
            }
        if self.ttl_hours is not None:
            body["ttl"] = f"{self.ttl_hours}h"
        return body


@dataclass(frozen=True, slots=True)
class Draft:
    """The well-formed fields of a possibly invalid request: what policy can still judge.

    A field that failed its own check is None, so every rule whose fields are sound still runs
    and a user learns about shape and policy problems in one answer.
    """

    name: str | None = None
    team: str | None = None
    environment: Environment | None = None
    tier: tiers.TierName | None = None
    network_policy: NetworkPolicy | None = None
    ttl_hours: int | None = None
    features: tuple[Feature, ...] | None = None

    @classmethod
    def of(cls, spec: NamespaceSpec) -> Draft:
        return cls(
            spec.name, spec.team, spec.environment, spec.tier, spec.network_policy, spec.ttl_hours, spec.features
        )


@dataclass(frozen=True, slots=True)
class Parsed:
    """A request body after the field checks: the spec when every field is sound, and every problem."""

    draft: Draft
    problems: Mapping[str, str]
    spec: NamespaceSpec | None


KNOWN_FIELDS = frozenset(
    {
        "namespaceName", "team", "environment", "resourceTier", "networkPolicy", "features",
        "description", "costCenter", "rbacConfig", "ttl",
    }
)  # fmt: skip


def parse_spec(raw: Mapping[str, Any]) -> NamespaceSpec:
    """Validate untrusted input; raise ValidationFailed listing every failing field."""
    parsed = parse(raw)
    if parsed.spec is None:
        problems = dict(parsed.problems)
        raise errors.ValidationFailed(f"the namespace request has {len(problems)} invalid field(s)", details=problems)
    return parsed.spec


def parse(raw: Mapping[str, Any]) -> Parsed:
    """Check every field of untrusted input; never raises for a bad field (see :class:`Parsed`)."""
    if not isinstance(raw, Mapping):
        raise errors.ValidationFailed("the request body must be a JSON object", details={"body": "expected an object"})
    problems: dict[str, str] = {}
    for key in raw:
        if key not in KNOWN_FIELDS:
            problems[str(key)] = "unknown field; allowed: " + ", ".join(sorted(KNOWN_FIELDS))
    name = _string(raw, "namespaceName", problems, required=True)
    if name is not None and not _check_name(name, problems):
        name = None
    team = _string(raw, "team", problems, required=True)
    if team is not None and not _check_team(team, problems):
        team = None
    draft = Draft(
        name=name,
        team=team,
        environment=cast(Environment | None, _choice(raw, "environment", ENVIRONMENTS, problems, required=True)),
        tier=cast(tiers.TierName | None, _choice(raw, "resourceTier", tiers.TIER_NAMES, problems, required=True)),
        network_policy=cast(
            NetworkPolicy | None, _choice(raw, "networkPolicy", NETWORK_POLICIES, problems, required=True)
        ),
        ttl_hours=parse_ttl(raw.get("ttl"), problems),
    )
    features = _features(raw.get("features", []), problems)
    if "features" not in problems:
        draft = replace(draft, features=features)
    description = _bounded(raw, "description", MAX_DESCRIPTION, problems)
    cost_center = _bounded(raw, "costCenter", MAX_COST_CENTER, problems)
    rbac = _rbac(raw.get("rbacConfig"), problems)
    if problems:
        return Parsed(draft=draft, problems=problems, spec=None)
    assert draft.name and draft.team and draft.environment and draft.tier and draft.network_policy  # noqa: PT018
    spec = NamespaceSpec(
        name=draft.name,
        team=draft.team,
        environment=draft.environment,
        tier=draft.tier,
        network_policy=draft.network_policy,
        features=features,
        description=description,
        cost_center=cost_center,
        rbac=rbac,
        ttl_hours=draft.ttl_hours,
    )
    return Parsed(draft=draft, problems={}, spec=spec)


def _bounded(raw: Mapping[str, Any], key: str, limit: int, problems: dict[str, str]) -> str:
    value = _string(raw, key, problems) or ""
    if len(value) > limit:
        problems[key] = f"must be at most {limit} characters (got {len(value)})"
    return value


def apply_patch(spec: NamespaceSpec, patch: Mapping[str, Any]) -> NamespaceSpec:
    """A new spec with the mutable fields of ``patch`` applied; every bad field is reported."""
    problems: dict[str, str] = {}
    for key in patch:
        if key not in MUTABLE_FIELDS:
            problems[str(key)] = "cannot be changed after the request; changeable: " + ", ".join(MUTABLE_FIELDS)
    merged = spec.to_api()
    merged.update({k: v for k, v in patch.items() if k in MUTABLE_FIELDS})
    if "ttl" in patch and patch["ttl"] is None:
        merged.pop("ttl", None)
    try:
        updated = parse_spec(merged)
    except errors.ValidationFailed as exc:
        problems.update(exc.details)
    if problems:
        raise errors.ValidationFailed(f"the change has {len(problems)} invalid field(s)", details=problems)
    return replace(updated, labels=spec.labels)


def parse_ttl(value: Any, problems: dict[str, str]) -> int | None:
    """A TTL as hours: ``"72h"``, ``"7d"`` or an integer number of hours; None means no expiry."""
    if value is None or value == "":
        return None
    hours: int | None = None
    if isinstance(value, bool):
        hours = None
    elif isinstance(value, int):
        hours = value
    elif isinstance(value, str) and (m := TTL_RE.match(value.strip())):
        hours = int(m.group(1)) * (24 if m.group(2) == "d" else 1)
    if hours is None or not 1 <= hours <= MAX_TTL_HOURS:
        problems["ttl"] = f'must be a duration like "72h" or "7d" between 1h and {MAX_TTL_HOURS // 24}d'
        return None
    return hours


def _string(raw: Mapping[str, Any], key: str, problems: dict[str, str], *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            problems[key] = "is required"
        return None
    if not isinstance(value, str):
        problems[key] = "must be a string"
        return None
    return value


def _choice(
    raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], problems: dict[str, str], *, required: bool
) -> str | None:
    value = _string(raw, key, problems, required=required)
    if value is not None and value not in allowed:
        problems[key] = f"must be one of {', '.join(allowed)} (got {value!r})"
        return None
    return value


def _check_name(name: str, problems: dict[str, str]) -> bool:
    if len(name) > MAX_NAME:
        problems["namespaceName"] = f"must be at most {MAX_NAME} characters (got {len(name)})"
    elif not NAME_RE.match(name):
        problems["namespaceName"] = (
            "must be lowercase letters, digits and '-', starting and ending with a letter or digit"
        )
    return "namespaceName" not in problems


def _check_team(team: str, problems: dict[str, str]) -> bool:
    low, high = TEAM_LENGTH
    if not low <= len(team) <= high:
        problems["team"] = f"must be {low} to {high} characters (got {len(team)})"
    elif not TEAM_RE.match(team):
        problems["team"] = "must be lowercase letters and digits in words joined by single '-'"
    return "team" not in problems


def _features(value: Any, problems: dict[str, str]) -> tuple[Feature, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        problems["features"] = "must be a list of feature names"
        return ()
    unknown = [v for v in value if v not in FEATURES]
    if unknown:
        problems["features"] = f"unknown feature(s) {', '.join(unknown)}; allowed: {', '.join(FEATURES)}"
        return ()
    # Canonical order and no duplicates, so equal requests render identical bundles.
    return tuple(f for f in FEATURES if f in value)


def _rbac(value: Any, problems: dict[str, str]) -> RbacConfig | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems["rbacConfig"] = "must be an object with principalId, principalType, roleDefinition"
        return None
    principal_id = value.get("principalId")
    ok = True
    try:
        uuid.UUID(str(principal_id))
        if not isinstance(principal_id, str) or len(principal_id) != 36:
            raise ValueError(principal_id)
    except ValueError:
        problems["rbacConfig.principalId"] = "must be an Azure AD object ID (GUID)"
        ok = False
    principal_type = value.get("principalType")
    if principal_type not in PRINCIPAL_TYPES:
        problems["rbacConfig.principalType"] = "must be User or Group"
        ok = False
    role = value.get("roleDefinition")
    if role not in ROLE_DEFINITIONS:
        problems["rbacConfig.roleDefinition"] = (
            f"must be one of {', '.join(ROLE_DEFINITIONS)} (cluster-admin is never granted)"
        )
        ok = False
    extra = set(value) - {"principalId", "principalType", "roleDefinition"}
    if extra:
        problems["rbacConfig"] = f"unknown field(s): {', '.join(sorted(extra))}"
        ok = False
    if not ok:
        return None
    return RbacConfig(str(principal_id).lower(), cast(PrincipalType, principal_type), cast(RoleDefinition, role))
