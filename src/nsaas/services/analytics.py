"""Analytics computed from the database, scoped to what the caller may see.

Counts and durations are measured (rows in the database). Resource and cost figures are the
sum of the tiers' quota *reservations*; cost is labelled an estimate and carries its basis.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from nsaas import config
from nsaas.domain import cost, lifecycle, records, tiers
from nsaas.services import ports


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 3)


@dataclass(frozen=True, slots=True)
class Usage:
    counts: records.RequestCounts
    per_day: list[records.DailyCount]
    days: int


@dataclass(frozen=True, slots=True)
class Reserved:
    """What live namespaces reserve through their tiers' quotas (not measured usage)."""

    cpu: Decimal = Decimal(0)
    memory_gi: Decimal = Decimal(0)
    storage_gi: Decimal = Decimal(0)
    namespaces: int = 0

    def plus(self, tier: tiers.Tier, count: int) -> Reserved:
        return Reserved(
            cpu=self.cpu + tier.cpu * count,
            memory_gi=self.memory_gi + tier.memory_gi * count,
            storage_gi=self.storage_gi + tier.storage_gi * count,
            namespaces=self.namespaces + count,
        )


RESOURCES_BASIS = "Sum of the quota requests reserved by each live namespace's tier (not measured usage)."


@dataclass(frozen=True, slots=True)
class Resources:
    by_team: Mapping[str, Reserved]
    by_environment: Mapping[str, Reserved]
    basis: str = RESOURCES_BASIS


@dataclass(frozen=True, slots=True)
class Costs:
    """Monthly cost estimates of live namespaces (an estimate, with its basis)."""

    currency: str
    basis: str
    by_team: Mapping[str, Decimal]
    by_tier: Mapping[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.by_team.values(), Decimal(0))


@dataclass(frozen=True, slots=True)
class TeamLine:
    team: str
    requests: int
    reserved: Reserved | None
    monthly: Decimal


@dataclass(frozen=True, slots=True)
class Teams:
    lines: list[TeamLine]
    cost_basis: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    counts: records.RequestCounts
    outcomes: records.ProvisioningOutcomes
    durations: list[float]
    costs: Costs

    def percentile(self, q: float) -> float | None:
        return _percentile(self.durations, q)


class Analytics:
    def __init__(self, *, settings: config.Settings, repo: ports.Repository) -> None:
        self.settings = settings
        self.repo = repo

    async def usage(self, *, teams: Sequence[str] | None, days: int = 30) -> Usage:
        counts = await self.repo.counts(teams=teams)
        per_day = await self.repo.created_per_day(days=days, teams=teams)
        return Usage(counts=counts, per_day=per_day, days=days)

    async def resources(self, *, teams: Sequence[str] | None) -> Resources:
        return _resources(await self.repo.live_allocation(teams=teams))

    async def costs(self, *, teams: Sequence[str] | None) -> Costs:
        return self._costs(await self.repo.live_allocation(teams=teams))

    def _costs(self, rows: Sequence[records.Allocation]) -> Costs:
        """Estimated monthly cost of the live rows (what ``live_allocation`` returns)."""
        prices = self.settings.pricing
        by_team: dict[str, Decimal] = defaultdict(Decimal)
        by_tier: dict[str, Decimal] = defaultdict(Decimal)
        for row in rows:
            monthly = cost.estimate(row.tier, prices=prices).monthly * row.count
            by_team[row.team] += monthly
            by_tier[row.tier] += monthly
        basis = f"{prices.basis} Per tier: " + ", ".join(
            f"{t} {cost.estimate(t, prices=prices).monthly}" for t in tiers.TIER_NAMES
        )
        return Costs(
            currency=prices.currency,
            basis=basis,
            by_team=dict(sorted(by_team.items())),
            by_tier=dict(sorted(by_tier.items())),
        )

    async def teams(self, *, teams: Sequence[str] | None) -> Teams:
        """Counts, reservations and costs per team from one grouped query (as the dashboard reads them)."""
        rows = await self.repo.breakdown(teams=teams)
        live = _live(rows)
        counts, resources, costs = records.RequestCounts.tally(rows), _resources(live), self._costs(live)
        names = sorted(set(counts.by_team) | set(resources.by_team))
        lines = [
            TeamLine(
                team=name,
                requests=counts.by_team.get(name, 0),
                reserved=resources.by_team.get(name),
                monthly=costs.by_team.get(name, Decimal(0)),
            )
            for name in names
        ]
        return Teams(lines=lines, cost_basis=costs.basis)

    async def dashboard(self, *, teams: Sequence[str] | None) -> Dashboard:
        """Counts and costs from one grouped query, outcomes from one, durations from a bounded read."""
        rows = await self.repo.breakdown(teams=teams)
        return Dashboard(
            counts=records.RequestCounts.tally(rows),
            outcomes=await self.repo.outcomes(teams=teams),
            durations=list(await self.repo.provisioning_durations(limit=1000, teams=teams)),
            costs=self._costs(_live(rows)),
        )


def _live(rows: Sequence[records.Allocation]) -> list[records.Allocation]:
    """The rows of :meth:`ports.Repository.breakdown` that ``live_allocation`` returns (reserving states)."""
    return [r for r in rows if r.status in lifecycle.RESERVING]


def _resources(rows: Sequence[records.Allocation]) -> Resources:
    """What the live rows reserve, per team and per environment."""
    by_team: dict[str, Reserved] = defaultdict(Reserved)
    by_env: dict[str, Reserved] = defaultdict(Reserved)
    for row in rows:
        tier = tiers.get(row.tier)
        by_team[row.team] = by_team[row.team].plus(tier, row.count)
        by_env[row.environment] = by_env[row.environment].plus(tier, row.count)
    return Resources(by_team=dict(sorted(by_team.items())), by_environment=dict(sorted(by_env.items())))
