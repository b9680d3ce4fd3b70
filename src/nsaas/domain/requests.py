"""The namespace request: what a team asks for, and the field rules of REFERENCE.md.

A :class:`NamespaceSpec` is a validated request; the rules its fields obey (name and team
patterns, lengths, the choices) are the constants here. How clients write a request (the
camelCase body the API, GitOps and the CLI share) and how it is validated is
:mod:`nsaas.services.bodies`; how it is stored is the database adapter's. Policy (what the
platform allows, given the configuration and the other namespaces) is :mod:`nsaas.domain.policy`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from nsaas.domain import tiers

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
