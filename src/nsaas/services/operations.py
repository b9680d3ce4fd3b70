"""What operators and the submit answer read about the platform itself: readiness, gauges, an estimate.

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
from datetime import UTC, datetime
from typing import Any

import structlog

from nsaas import metrics
from nsaas.services import ports

log = structlog.get_logger("nsaas.operations")

GAUGE_REFRESH_SECONDS = 5.0
ESTIMATE_REFRESH_SECONDS = 30.0
#: Stated when no request has become ready yet; replaced by the measured median once one has.
DEFAULT_ESTIMATE_SECONDS = 30


class Operations:
    def __init__(
        self,
        *,
        repo: ports.Repository,
        cluster: ports.Cluster,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.cluster = cluster
        self._monotonic = monotonic
        self._gauges_at: float | None = None
        self._estimate: tuple[float, int] | None = None

    async def checks(self) -> dict[str, dict[str, Any]]:
        """Database and cluster reachability, each with its round trip in ms."""
        results: dict[str, dict[str, Any]] = {}
        started = time.perf_counter()
        try:
            await self.repo.ping()
            results["database"] = {"ok": True}
        except Exception as exc:
            results["database"] = {"ok": False, "error": type(exc).__name__}
        results["database"]["ms"] = round((time.perf_counter() - started) * 1000, 1)
        started = time.perf_counter()
        ok = await self.cluster.ping()
        results["cluster"] = {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}
        return results

    async def estimated_seconds(self) -> int:
        """Median request-to-ready of recent requests, re-read at most every 30 s (creates are a hot path)."""
        now = self._monotonic()
        if self._estimate is None or now - self._estimate[0] >= ESTIMATE_REFRESH_SECONDS:
            durations = await self.repo.provisioning_durations(limit=200)
            value = max(1, round(statistics.median(durations))) if durations else DEFAULT_ESTIMATE_SECONDS
            self._estimate = (now, value)
        return self._estimate[1]

    async def refresh_gauges(self) -> None:
        """Namespace and backlog gauges from the database (read first, so a failure keeps the old values)."""
        breakdown = await self.repo.breakdown()
        backlog = await self.repo.due_count(datetime.now(UTC))
        metrics.NAMESPACES.clear()
        for row in breakdown:
            metrics.NAMESPACES.labels(row.status, row.team, row.tier, row.environment).set(row.count)
        metrics.RECONCILE_BACKLOG.set(backlog)
        self._gauges_at = self._monotonic()

    def gauges_age(self) -> float:
        """Seconds since the gauges were last refreshed (infinite: never)."""
        return float("inf") if self._gauges_at is None else self._monotonic() - self._gauges_at

    async def gauge_loop(self) -> None:
        """Refresh the gauges every few seconds, for ever; a scrape only reads them (never the database)."""
        while True:
            try:
                await self.refresh_gauges()
                metrics.DATABASE_UP.set(1)
            except Exception as exc:  # the loop must outlive any outage; the age gauge shows staleness
                metrics.DATABASE_UP.set(0)
                log.warning("gauge refresh failed", error=type(exc).__name__)
            await asyncio.sleep(GAUGE_REFRESH_SECONDS)
