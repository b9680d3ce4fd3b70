"""Analytics computed from the database, scoped to what the caller may see.

Counts and durations are measured (rows in the database). Resource and cost figures are the
sum of the tiers' quota *reservations*; cost is labelled an estimate and carries its basis.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from nsaas import config
from nsaas.domain import cost, lifecycle, records, tiers
from nsaas.services import ports


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 3)


class Analytics:
    def __init__(self, *, settings: config.Settings, repo: ports.Repository) -> None:
        self.settings = settings
        self.repo = repo

    async def usage(self, *, teams: Sequence[str] | None, days: int = 30) -> dict[str, Any]:
        counts = await self.repo.counts(teams=teams)
        per_day = await self.repo.created_per_day(days=days, teams=teams)
        return {
            "total": counts.total,
            "byStatus": dict(counts.by_status),
            "byTeam": dict(counts.by_team),
            "byEnvironment": dict(counts.by_environment),
            "byTier": dict(counts.by_tier),
            "createdPerDay": [{"day": d.day.isoformat(), "count": d.count} for d in per_day],
            "days": days,
        }

    async def resources(self, *, teams: Sequence[str] | None) -> dict[str, Any]:
        rows = await self.repo.live_allocation(teams=teams)
        by_team: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        by_env: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for row in rows:
            tier = tiers.get(row.tier)
            for bucket in (by_team[row.team], by_env[row.environment]):
                bucket["cpu"] += tier.cpu * row.count
                bucket["memoryGi"] += tier.memory_gi * row.count
                bucket["storageGi"] += tier.storage_gi * row.count
                bucket["namespaces"] += row.count
        return {
            "basis": "Sum of the quota requests reserved by each live namespace's tier (not measured usage).",
            "byTeam": {t: {k: float(v) for k, v in b.items()} for t, b in sorted(by_team.items())},
            "byEnvironment": {e: {k: float(v) for k, v in b.items()} for e, b in sorted(by_env.items())},
        }

    async def costs(self, *, teams: Sequence[str] | None) -> dict[str, Any]:
        return self._costs(await self.repo.live_allocation(teams=teams))

    def _costs(self, rows: Sequence[records.Allocation]) -> dict[str, Any]:
        """Estimated monthly cost of the live rows (what ``live_allocation`` returns)."""
        prices = self.settings.pricing
        by_team: dict[str, Decimal] = defaultdict(Decimal)
        by_tier: dict[str, Decimal] = defaultdict(Decimal)
        for row in rows:
            monthly = cost.estimate(row.tier, prices=prices).monthly * row.count
            by_team[row.team] += monthly
            by_tier[row.tier] += monthly
        return {
            "isEstimate": True,
            "currency": prices.currency,
            "basis": f"{prices.basis} Per tier: "
            + ", ".join(f"{t} {cost.estimate(t, prices=prices).monthly}" for t in tiers.TIER_NAMES),
            "totalMonthly": float(sum(by_team.values(), Decimal(0))),
            "byTeam": {t: float(v) for t, v in sorted(by_team.items())},
            "byTier": {t: float(v) for t, v in sorted(by_tier.items())},
        }

    async def teams(self, *, teams: Sequence[str] | None) -> dict[str, Any]:
        counts = await self.repo.counts(teams=teams)
        resources = await self.resources(teams=teams)
        costs = await self.costs(teams=teams)
        names = sorted(set(counts.by_team) | set(resources["byTeam"]))
        return {
            "teams": [
                {
                    "team": name,
                    "requests": counts.by_team.get(name, 0),
                    "reserved": resources["byTeam"].get(name, {}),
                    "estimatedMonthly": costs["byTeam"].get(name, 0.0),
                }
                for name in names
            ],
            "costBasis": costs["basis"],
        }

    async def dashboard(self, *, teams: Sequence[str] | None) -> dict[str, Any]:
        """Counts and costs from one grouped query, outcomes from one, durations from a bounded read."""
        rows = await self.repo.breakdown(teams=teams)
        counts = records.RequestCounts.tally(rows)
        durations = await self.repo.provisioning_durations(limit=1000, teams=teams)
        outcomes = await self.repo.outcomes(teams=teams)
        return {
            "total": counts.total,
            "byStatus": dict(counts.by_status),
            "pendingApprovals": counts.by_status.get("pending-approval", 0),
            "provisioning": {
                "succeeded": outcomes.succeeded,
                "failed": outcomes.failed,
                "successRate": outcomes.success_rate,
                "samples": len(durations),
                "p50Seconds": _percentile(durations, 50),
                "p95Seconds": _percentile(durations, 95),
                "maxSeconds": round(max(durations), 3) if durations else None,
            },
            "costs": self._costs([r for r in rows if r.status in lifecycle.RESERVING]),
        }
