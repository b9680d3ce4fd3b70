"""Platform policy: what the platform allows for a well-formed request, given the others.

Field syntax is checked by :func:`nsaas.domain.requests.parse_spec`; this module checks the
rules an organisation configures (reserved names, per-environment tiers and network policies,
the team cap and aggregate budgets, the ``<team>-`` prefix, which environments need approval).
:func:`evaluate` returns every violation at once; :func:`enforce` raises them together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from nsaas.domain import errors, teams, tiers
from nsaas.domain.requests import Draft, NamespaceSpec


class PolicyRules(Protocol):
    """The configuration policy reads (``nsaas.config.PolicySettings`` satisfies it)."""

    team_namespace_cap: int
    require_team_prefix: bool
    reserved_names: list[str]
    reserved_prefixes: list[str]
    approval_environments: list[str]
    forbidden_tiers: dict[str, list[str]]
    forbidden_network_policies: dict[str, list[str]]
    team_cpu_budget: Decimal | None
    team_memory_budget_gi: Decimal | None
    team_storage_budget_gi: Decimal | None
    max_ttl_hours: int


@dataclass(frozen=True, slots=True)
class TeamUsage:
    """What a team already holds in live (non-terminal) requests, excluding the one judged."""

    namespaces: int = 0
    cpu: Decimal = Decimal(0)
    memory_gi: Decimal = Decimal(0)
    storage_gi: Decimal = Decimal(0)

    @classmethod
    def of(cls, tier_names: Sequence[str]) -> TeamUsage:
        picked = [tiers.get(t) for t in tier_names]
        return cls(
            namespaces=len(picked),
            cpu=sum((t.cpu for t in picked), Decimal(0)),
            memory_gi=sum((t.memory_gi for t in picked), Decimal(0)),
            storage_gi=sum((Decimal(t.storage_gi) for t in picked), Decimal(0)),
        )


@dataclass(frozen=True, slots=True)
class Context:
    """Facts about the world the policy needs; gathered by the service layer."""

    usage: TeamUsage = TeamUsage()
    #: The name is taken by another live request of this platform.
    name_taken: bool = False
    #: A namespace of that name exists in the cluster and is not managed by this platform.
    exists_unmanaged: bool = False
    #: True when judging a change to an existing request (name checks do not apply again).
    is_update: bool = False
    #: The team's limits (registry over configuration); None = the configured defaults.
    limits: teams.Limits | None = None


def evaluate(spec: NamespaceSpec | Draft, *, rules: PolicyRules, context: Context) -> dict[str, str]:
    """Every policy violation, keyed by the field it concerns.

    A :class:`Draft` (a request with invalid fields) is judged on its sound fields only: each
    rule runs when the fields it reads are known, so shape and policy problems reach the user
    together.
    """
    draft = spec if isinstance(spec, Draft) else Draft.of(spec)
    limits = context.limits or teams.limits(None, rules)
    found: dict[str, str] = {}
    if not context.is_update:
        _name_rules(draft, rules, context, found)
    environment = draft.environment
    if environment is not None and draft.tier in rules.forbidden_tiers.get(environment, []):
        allowed = [t for t in tiers.TIER_NAMES if t not in rules.forbidden_tiers[environment]]
        found["resourceTier"] = f"tier {draft.tier} is not allowed in {environment}; choose one of {', '.join(allowed)}"
    if environment is not None and draft.network_policy in rules.forbidden_network_policies.get(environment, []):
        found["networkPolicy"] = (
            f"network policy {draft.network_policy} is not allowed in {environment}; choose isolated or team-shared"
        )
    if draft.ttl_hours is not None and draft.ttl_hours > rules.max_ttl_hours:
        found["ttl"] = f"must be at most {rules.max_ttl_hours}h under this platform's policy"
    if draft.team is not None:
        _team_allow_lists(draft, limits, found)
        for key, problem in capacity(
            draft.team, draft.tier, limits=limits, usage=context.usage, new_namespace=not context.is_update
        ).items():
            found.setdefault(key, problem)
    return found


def capacity(
    team: str, tier_name: str | None, *, limits: teams.Limits, usage: TeamUsage, new_namespace: bool = True
) -> dict[str, str]:
    """The team's namespace cap (``team``) and budget (``resourceTier``) problems of adding ``tier_name``.

    The repository runs this again inside the create transaction, on usage read under the
    team's lock, so two concurrent requests cannot both take the last room.
    """
    found: dict[str, str] = {}
    if new_namespace and usage.namespaces + 1 > limits.namespace_cap:
        found["team"] = (
            f"team {team} already has {usage.namespaces} namespaces; its namespace cap is {limits.namespace_cap}"
        )
    if tier_name is not None:
        tier = tiers.get(tier_name)
        budget = limits.budget
        problems = []
        if budget.cpu is not None and usage.cpu + tier.cpu > budget.cpu:
            problems.append(f"CPU {usage.cpu + tier.cpu} of {budget.cpu} cores")
        if budget.memory_gi is not None and usage.memory_gi + tier.memory_gi > budget.memory_gi:
            problems.append(f"memory {usage.memory_gi + tier.memory_gi}Gi of {budget.memory_gi}Gi")
        if budget.storage_gi is not None and usage.storage_gi + tier.storage_gi > budget.storage_gi:
            problems.append(f"storage {usage.storage_gi + tier.storage_gi}Gi of {budget.storage_gi}Gi")
        if problems:
            found["resourceTier"] = f"team {team} would exceed its budget: {'; '.join(problems)}"
    return found


def _team_allow_lists(draft: Draft, limits: teams.Limits, found: dict[str, str]) -> None:
    """What the team's registry entry allows (environments, tiers, features)."""
    team = draft.team
    allowed = limits.allowed_environments
    if allowed is not None and draft.environment is not None and draft.environment not in allowed:
        found["environment"] = f"team {team} may use {_listed(allowed)}, not {draft.environment}"
    allowed = limits.allowed_tiers
    if allowed is not None and draft.tier is not None and draft.tier not in allowed:
        found.setdefault("resourceTier", f"team {team} may use tiers {_listed(allowed)}, not {draft.tier}")
    allowed = limits.allowed_features
    if allowed is not None and draft.features is not None:
        refused = sorted(set(draft.features) - allowed)
        if refused:
            found["features"] = f"team {team} may use features {_listed(allowed)}, not {', '.join(refused)}"


def _listed(values: frozenset[str]) -> str:
    return ", ".join(sorted(values)) or "none"


def enforce(spec: NamespaceSpec, *, rules: PolicyRules, context: Context) -> None:
    found = evaluate(spec, rules=rules, context=context)
    if found:
        raise errors.PolicyViolation(f"the request breaks {len(found)} platform rule(s)", details=found)


def needs_approval(spec: NamespaceSpec, *, rules: PolicyRules) -> bool:
    return spec.environment in rules.approval_environments


def is_reserved(name: str, *, rules: PolicyRules) -> bool:
    return name in rules.reserved_names or any(name.startswith(p) for p in rules.reserved_prefixes)


def _name_rules(draft: Draft, rules: PolicyRules, context: Context, found: dict[str, str]) -> None:
    name = draft.name
    if name is None:
        return
    if is_reserved(name, rules=rules):
        found["namespaceName"] = f"{name} is reserved for the platform or Kubernetes itself"
    elif context.exists_unmanaged:
        found["namespaceName"] = f"a namespace named {name} already exists and is not managed by nsaas"
    elif context.name_taken:
        found["namespaceName"] = f"{name} is already requested or in use"
    elif rules.require_team_prefix and draft.team is not None and not name.startswith(f"{draft.team}-"):
        found["namespaceName"] = f"must start with the team prefix {draft.team}-"


def describe(rules: PolicyRules) -> Mapping[str, object]:
    """A plain summary of the policy in force (shown by the preview and the UI)."""
    return {
        "teamNamespaceCap": rules.team_namespace_cap,
        "requireTeamPrefix": rules.require_team_prefix,
        "approvalEnvironments": list(rules.approval_environments),
        "forbiddenTiers": dict(rules.forbidden_tiers),
        "forbiddenNetworkPolicies": dict(rules.forbidden_network_policies),
        "maxTtlHours": rules.max_ttl_hours,
    }
