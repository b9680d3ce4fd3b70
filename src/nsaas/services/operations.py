"""What operators and the submit answer read about the platform itself: readiness, gauges, an estimate.

Readiness depends on the database only: a Kubernetes API blip must not take every API pod out of
its Service, including routes that need no cluster. Cluster reachability is reported by
:meth:`Operations.checks` (``/health/detailed``) and the ``nsaas_cluster_reachable`` gauge.

Kept out of the composition root (``nsaas.runtime`` only wires) and out of the routes (which
only translate HTTP). Everything here is read-only and cheap enough for probes and scrapes:
gauges are refreshed in the background every few seconds (never inside a scrape), the estimate
at most every 30 s.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from nsaas import config, metrics
from nsaas.bundle import context, ownership
from nsaas.domain import errors
from nsaas.services import ports

log = structlog.get_logger("nsaas.operations")

GAUGE_REFRESH_SECONDS = 5.0
#: Quota usage needs two cluster-wide list calls: refreshed less often than the database gauges.
QUOTA_REFRESH_SECONDS = 60.0
ESTIMATE_REFRESH_SECONDS = 30.0
#: Stated when no request has become ready yet; replaced by the measured median once one has.
DEFAULT_ESTIMATE_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Check:
    """One dependency's reachability and round trip; ``error`` names the failure's type."""

    ok: bool
    ms: float
    error: str | None = None


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


class Operations:
    def __init__(
        self,
        *,
        repo: ports.Repository,
        cluster: ports.Cluster,
        labels: config.LabelSettings,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.cluster = cluster
        self.labels = labels
        self._quotas_at: float | None = None
        self._monotonic = monotonic
        self._gauges_at: float | None = None
        self._estimate: tuple[float, int] | None = None

    async def checks(self) -> dict[str, Check]:
        """Database and cluster reachability, each with its round trip in ms."""
        return {"database": await self.database_check(), "cluster": await self.cluster_check()}

    async def database_check(self) -> Check:
        """What readiness depends on: a process that cannot reach its database cannot serve anything."""
        started = time.perf_counter()
        error = None
        try:
            await self.repo.ping()
        except Exception as exc:
            error = type(exc).__name__
        return Check(ok=error is None, ms=_since(started), error=error)

    async def cluster_check(self) -> Check:
        """The Kubernetes API: reported (/health/detailed, nsaas_cluster_reachable), never a readiness condition."""
        started = time.perf_counter()
        ok = await self.cluster.ping()
        metrics.CLUSTER_REACHABLE.set(1 if ok else 0)
        return Check(ok=ok, ms=_since(started))

    async def estimated_seconds(self) -> int:
        """Median request-to-ready of recent requests, re-read at most every 30 s (creates are a hot path)."""
        now = self._monotonic()
        if self._estimate is None or now - self._estimate[0] >= ESTIMATE_REFRESH_SECONDS:
            durations = await self.repo.provisioning_durations(limit=200)
            value = max(1, round(statistics.median(durations))) if durations else DEFAULT_ESTIMATE_SECONDS
            self._estimate = (now, value)
        return self._estimate[1]

    async def refresh_gauges(self) -> None:
        """What both background loops refresh, now (tests; an operator's forced refresh)."""
        await self.refresh_database_gauges()
        await self.refresh_cluster_gauges()

    async def refresh_database_gauges(self) -> None:
        """Namespace and backlog gauges from the database (read first, so a failure keeps the old values)."""
        breakdown = await self.repo.breakdown()
        backlog = await self.repo.due_count(datetime.now(UTC))
        metrics.NAMESPACES.clear()
        for row in breakdown:
            metrics.NAMESPACES.labels(row.status, row.team, row.tier, row.environment).set(row.count)
        metrics.RECONCILE_BACKLOG.set(backlog)
        self._gauges_at = self._monotonic()

    async def refresh_cluster_gauges(self) -> None:
        """``nsaas_cluster_reachable`` now, and quota usage when it is due and the cluster answers."""
        now = self._monotonic()
        due = self._quotas_at is None or now - self._quotas_at >= QUOTA_REFRESH_SECONDS
        if (await self.cluster_check()).ok and due:
            self._quotas_at = now
            await self._refresh_quota_gauges()

    def expire_caches(self) -> None:
        """Make the next refresh re-read quota usage too (tests; an operator's forced refresh)."""
        self._quotas_at = None

    def gauges_age(self) -> float:
        """Seconds since the gauges were last refreshed (infinite: never)."""
        return float("inf") if self._gauges_at is None else self._monotonic() - self._gauges_at

    async def gauge_loop(self) -> None:
        """Refresh the database gauges every few seconds, for ever; a scrape only reads them."""
        while True:
            try:
                await self.refresh_database_gauges()
                metrics.DATABASE_UP.set(1)
            except Exception as exc:  # the loop must outlive any outage; the age gauge shows staleness
                metrics.DATABASE_UP.set(0)
                log.warning("gauge refresh failed", error=type(exc).__name__)
            await asyncio.sleep(GAUGE_REFRESH_SECONDS)

    async def cluster_gauge_loop(self) -> None:
        """The cluster's gauges in a loop of their own: a hung or failing cluster never holds up
        (or marks down) the database gauges."""
        while True:
            try:
                await self.refresh_cluster_gauges()
            except Exception as exc:
                log.warning("cluster gauge refresh failed", error=type(exc).__name__)
            await asyncio.sleep(GAUGE_REFRESH_SECONDS)

    async def _refresh_quota_gauges(self) -> None:
        """``nsaas_quota_usage_ratio`` from the live status of every managed namespace's ResourceQuota.

        Two list calls a minute (managed namespaces for their team, then their quotas), not one read
        per namespace; a failed read keeps the last values rather than reporting empty quotas.
        """
        owned = ownership.Ownership.of(self.labels)
        try:
            namespaces = await self.cluster.list_namespaces(labels=owned.managed_selector)
            usage = await self.cluster.quota_usage(labels={context.MANAGED_BY_LABEL: self.labels.managed_by})
        except errors.ClusterError:
            return
        teams = {info.name: info.labels.get(owned.key("team"), "") for info in namespaces}
        metrics.QUOTA_USAGE_RATIO.clear()
        for namespace, lines in usage.items():
            if namespace in teams:
                for resource, line in lines.items():
                    metrics.QUOTA_USAGE_RATIO.labels(namespace, teams[namespace], resource).set(line.ratio)
