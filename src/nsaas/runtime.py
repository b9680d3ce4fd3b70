"""The composition root: builds the adapters and services one process needs, and closes them.

``nsaas api``, ``nsaas worker`` and ``nsaas dev`` all build their object graph here, so the
wiring exists once. Nothing else constructs adapters; services only see their ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import text

from nsaas import config, metrics
from nsaas.adapters.auth import authenticator as auth
from nsaas.adapters.db import database as db
from nsaas.adapters.db import repository
from nsaas.adapters.events import memory, postgres
from nsaas.adapters.kube import cluster as kube
from nsaas.reconcile import loop as reconciler
from nsaas.reconcile import selftest
from nsaas.services import analytics, inspect
from nsaas.services import requests as request_service

log = structlog.get_logger("nsaas.runtime")
VERSION = "1.1.0"
GAUGE_REFRESH_SECONDS = 5.0
ESTIMATE_REFRESH_SECONDS = 30.0
#: Stated when no request has become ready yet; replaced by the measured median once one has.
DEFAULT_ESTIMATE_SECONDS = 30


@dataclass
class Runtime:
    settings: config.Settings
    component: str
    database: db.Database
    repo: repository.Repository
    cluster: kube.Cluster
    bus: memory.MemoryBus | postgres.PostgresBus
    authenticator: auth.Authenticator
    requests: request_service.RequestService
    inspector: inspect.Inspector
    reconciler: reconciler.Reconciler
    analytics: analytics.Analytics
    selftest: selftest.SelfTest
    version: str = VERSION
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _gauges_at: float = 0.0
    _estimate: tuple[float, int] | None = None

    async def start_background(self, *, worker: bool) -> None:
        await self.bus.start()
        self.start_gauges()
        if worker:
            self._tasks.append(asyncio.create_task(self.reconciler.run(), name="nsaas-reconciler"))

    def start_gauges(self) -> None:
        """Refresh the database-derived gauges in the background: a scrape never waits on the database."""
        metrics.GAUGES_AGE.set_function(self.gauges_age)
        self._tasks.append(asyncio.create_task(self._gauge_loop(), name="nsaas-gauges"))

    def gauges_age(self) -> float:
        """Seconds since the gauges were last refreshed (infinite: never)."""
        return time.monotonic() - self._gauges_at if self._gauges_at else float("inf")

    async def _gauge_loop(self) -> None:
        while True:
            try:
                await self.refresh_gauges()
                metrics.DATABASE_UP.set(1)
            except Exception as exc:  # the loop must outlive any outage; the age gauge shows staleness
                metrics.DATABASE_UP.set(0)
                log.warning("gauge refresh failed", error=type(exc).__name__)
            await asyncio.sleep(GAUGE_REFRESH_SECONDS)

    def reconciler_status(self) -> dict[str, Any]:
        return self.reconciler.status()

    async def checks(self) -> dict[str, dict[str, Any]]:
        results: dict[str, dict[str, Any]] = {}
        started = time.perf_counter()
        try:
            async with self.database.read() as conn:
                await conn.execute(text("SELECT 1"))
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
        now = time.monotonic()
        if self._estimate is None or now - self._estimate[0] >= ESTIMATE_REFRESH_SECONDS:
            durations = await self.repo.provisioning_durations(limit=200)
            value = max(1, round(statistics.median(durations))) if durations else DEFAULT_ESTIMATE_SECONDS
            self._estimate = (now, value)
        return self._estimate[1]

    async def refresh_gauges(self) -> None:
        """Namespace and backlog gauges from the database (read first, so a failure keeps the old values)."""
        breakdown = await self.repo.breakdown()
        backlog = await self.repo.due_count(reconciler.utcnow())
        metrics.NAMESPACES.clear()
        for row in breakdown:
            metrics.NAMESPACES.labels(row.status, row.team, row.tier, row.environment).set(row.count)
        metrics.RECONCILE_BACKLOG.set(backlog)
        self._gauges_at = time.monotonic()

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.authenticator.aclose()
        await self.cluster.aclose()
        await self.bus.aclose()
        await self.database.dispose()


async def build(settings: config.Settings, *, component: str, database: db.Database | None = None) -> Runtime:
    """Connect everything one process needs. Migrates the schema itself only for SQLite or dev mode.

    ``database`` lets a test hand in its own (e.g. a PostgreSQL schema of its own).
    """
    url = settings.resolved_database_url()
    if database is None:
        if url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        database = db.Database.create(url, echo=settings.database.echo, pool_size=settings.database.pool_size)
        await database.wait_until_ready(within=settings.database.startup_wait_seconds)
        if database.dialect == "sqlite" or settings.dev_mode:
            await database.upgrade()
    else:
        url = database.url
    repo = repository.Repository(database)
    cluster = kube.Cluster.from_settings(settings)
    bus = postgres.for_url(url)
    requests = request_service.RequestService(settings=settings, repo=repo, cluster=cluster, bus=bus)
    worker = reconciler.Reconciler(settings=settings, repo=repo, cluster=cluster, bus=bus)
    metrics.BUILD_INFO.labels(VERSION, component).set(1)
    return Runtime(
        settings=settings,
        component=component,
        database=database,
        repo=repo,
        cluster=cluster,
        bus=bus,
        authenticator=auth.Authenticator.from_settings(settings),
        requests=requests,
        inspector=inspect.Inspector(settings=settings, repo=repo, cluster=cluster),
        reconciler=worker,
        analytics=analytics.Analytics(settings=settings, repo=repo),
        selftest=selftest.SelfTest(settings=settings, cluster=cluster),
    )
