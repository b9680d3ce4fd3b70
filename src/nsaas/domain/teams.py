"""The team registry: what the platform knows about a team beyond its name.

A team registered by a platform admin carries its own limits (namespace cap, CPU/memory/storage
budget across its live namespaces, allowed environments, tiers and features), its Azure AD
groups (owners become ``team:<name>:admin``, members ``team:<name>:developer``) and a default
cost center. Every limit it leaves unset (None) is the platform's configured default, so a team
without a registry entry simply lives under the configuration as before: nothing to migrate.

:func:`limits` folds a team's settings onto the configured defaults; the policy judges requests
against the result (:mod:`nsaas.domain.policy`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from nsaas.domain import identity

GroupKind = Literal["owner", "member"]
#: The team role each kind of group grants.
GROUP_ROLE: Mapping[GroupKind, str] = {"owner": "admin", "member": "developer"}


class Defaults(Protocol):
    """The configured limits every team starts from (``nsaas.config.PolicySettings`` satisfies it)."""

    team_namespace_cap: int
    team_cpu_budget: Decimal | None
    team_memory_budget_gi: Decimal | None
    team_storage_budget_gi: Decimal | None


@dataclass(frozen=True, slots=True)
class Budget:
    """Aggregate requests across a team's live namespaces; None = the platform default."""

    cpu: Decimal | None = None
    memory_gi: Decimal | None = None
    storage_gi: Decimal | None = None


@dataclass(frozen=True, slots=True)
class NamespaceRules:
    """What a team's registry entry puts into each of its namespaces.

    The allow-lists the cluster itself enforces (``deploy/guardrails``' team allow-list policy reads
    them from the namespace's annotations; None = unrestricted), and the team's owner and member
    groups, bound to ``admin`` and ``edit`` there beside the configured ``bundle.team_groups``.
    """

    storage_classes: tuple[str, ...] | None = None
    ingress_classes: tuple[str, ...] | None = None
    #: Image prefixes, e.g. ``myacr.azurecr.io/`` (an image must name its registry to match).
    registries: tuple[str, ...] | None = None
    owner_groups: tuple[str, ...] = ()
    member_groups: tuple[str, ...] = ()


#: No allow-list: what a team without registry lists (or without an entry) gets.
UNRESTRICTED = NamespaceRules()


@dataclass(frozen=True, slots=True)
class TeamSettings:
    """What a platform admin sets for a team. None (or an empty budget part) means "the default"."""

    namespace_cap: int | None = None
    budget: Budget = Budget()
    allowed_environments: tuple[str, ...] | None = None
    allowed_tiers: tuple[str, ...] | None = None
    allowed_features: tuple[str, ...] | None = None
    allowed_storage_classes: tuple[str, ...] | None = None
    allowed_ingress_classes: tuple[str, ...] | None = None
    allowed_registries: tuple[str, ...] | None = None
    owner_groups: tuple[str, ...] = ()
    member_groups: tuple[str, ...] = ()
    cost_center: str = ""

    def snapshot(self) -> dict[str, Any]:
        """Plain JSON data (decimals as strings): what the audit log keeps and the database stores."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Budget):
                value = {part.name: _text(getattr(value, part.name)) for part in fields(value)}
            elif isinstance(value, tuple):
                value = list(value)
            data[item.name] = value
        return data

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> TeamSettings:
        budget = data.get("budget") or {}
        return cls(
            namespace_cap=data.get("namespace_cap"),
            budget=Budget(**{part.name: _decimal(budget.get(part.name)) for part in fields(Budget)}),
            allowed_environments=_tuple(data.get("allowed_environments")),
            allowed_tiers=_tuple(data.get("allowed_tiers")),
            allowed_features=_tuple(data.get("allowed_features")),
            allowed_storage_classes=_tuple(data.get("allowed_storage_classes")),
            allowed_ingress_classes=_tuple(data.get("allowed_ingress_classes")),
            allowed_registries=_tuple(data.get("allowed_registries")),
            owner_groups=tuple(data.get("owner_groups") or ()),
            member_groups=tuple(data.get("member_groups") or ()),
            cost_center=str(data.get("cost_center") or ""),
        )

    @property
    def namespace_rules(self) -> NamespaceRules:
        return NamespaceRules(
            self.allowed_storage_classes,
            self.allowed_ingress_classes,
            self.allowed_registries,
            self.owner_groups,
            self.member_groups,
        )

    def groups(self) -> list[tuple[str, GroupKind]]:
        """Every (group id, kind) pair, owners first."""
        return [(g, "owner") for g in self.owner_groups] + [(g, "member") for g in self.member_groups]


@dataclass(frozen=True, slots=True)
class TeamRecord:
    """A registered team as stored; ``version`` moves on every write (the PATCH precondition)."""

    name: str
    settings: TeamSettings
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits in force for one team: its own settings over the configured defaults.

    ``None`` for a budget part means unlimited; ``None`` for an allow-list means everything.
    """

    namespace_cap: int
    budget: Budget
    allowed_environments: frozenset[str] | None = None
    allowed_tiers: frozenset[str] | None = None
    allowed_features: frozenset[str] | None = None
    registered: bool = field(default=False)


#: Judges a new request against its team's registry entry (None: unregistered) and the tiers the
#: team's live requests hold; raises :class:`errors.PolicyViolation` when there is no room.
CapacityCheck = Callable[[TeamRecord | None, Sequence[str]], None]


def limits(team: TeamRecord | None, defaults: Defaults) -> Limits:
    """``team``'s limits, each unset one taken from ``defaults`` (also for an unregistered team)."""
    own = team.settings if team is not None else TeamSettings()
    return Limits(
        namespace_cap=own.namespace_cap if own.namespace_cap is not None else defaults.team_namespace_cap,
        budget=Budget(
            cpu=_first(own.budget.cpu, defaults.team_cpu_budget),
            memory_gi=_first(own.budget.memory_gi, defaults.team_memory_budget_gi),
            storage_gi=_first(own.budget.storage_gi, defaults.team_storage_budget_gi),
        ),
        allowed_environments=_set(own.allowed_environments),
        allowed_tiers=_set(own.allowed_tiers),
        allowed_features=_set(own.allowed_features),
        registered=team is not None,
    )


def keeping(limits: Limits, *, environment: str, tier: str, features: Iterable[str]) -> Limits:
    """``limits`` widened by what a namespace already has: a change is judged on its new choices only,
    so tightening a team's lists never locks its existing namespaces out of unrelated edits."""

    def widen(allowed: frozenset[str] | None, held: Iterable[str]) -> frozenset[str] | None:
        return None if allowed is None else allowed | frozenset(held)

    return dataclasses.replace(
        limits,
        allowed_environments=widen(limits.allowed_environments, [environment]),
        allowed_tiers=widen(limits.allowed_tiers, [tier]),
        allowed_features=widen(limits.allowed_features, features),
    )


def namespace_rules_of(team: TeamRecord | None) -> NamespaceRules:
    """The allow-lists the cluster enforces for ``team`` (an unregistered team: none)."""
    return team.settings.namespace_rules if team is not None else UNRESTRICTED


def roles_of(memberships: Iterable[tuple[str, GroupKind]]) -> frozenset[str]:
    """The team roles of a caller's (team, group kind) memberships found in the registry."""
    return frozenset(identity.team_role(team, GROUP_ROLE[kind]) for team, kind in memberships)


def _first(own: Decimal | None, default: Decimal | None) -> Decimal | None:
    return own if own is not None else default


def _set(values: Sequence[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def _tuple(values: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
