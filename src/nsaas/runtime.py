"""The composition root: builds the adapters and services one process needs, and closes them.

``nsaas api``, ``nsaas worker`` and ``nsaas dev`` all build their object graph here, so the
wiring exists once. Nothing else constructs adapters; services only see their ports.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import structlog

import nsaas
from nsaas import config, metrics
from nsaas.adapters import webhook
from nsaas.adapters.auth import authenticator as auth
from nsaas.adapters.db import database as db
from nsaas.adapters.db import outbox as outbox_db
from nsaas.adapters.db import repository
from nsaas.adapters.db import rollouts as rollouts_db
from nsaas.adapters.db import teams as teams_db
from nsaas.adapters.db import templates as templates_db
from nsaas.adapters.events import memory, postgres
from nsaas.adapters.kube import cluster as kube
from nsaas.adapters.kube import kubeconfig
from nsaas.reconcile import loop as reconciler
from nsaas.reconcile import rollouts as rollout_worker
from nsaas.reconcile import selftest
from nsaas.services import (
    access,
    analytics,
    audit,
    denials,
    gitops,
    inspect,
    notifier,
    operations,
    rollouts,
    teams,
    templates,
    timeline,
)
from nsaas.services import requests as request_service

log = structlog.get_logger("nsaas.runtime")


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
    operations: operations.Operations
    timeline: timeline.Timeline
    audit: audit.AuditTrail
    outbox: outbox_db.Outbox
    notifier: notifier.Notifier
    webhooks: webhook.WebhookSender
    denials: denials.DenialAudit
    access: access.AccessService
    gitops: gitops.GitOpsSync
    teams: teams.TeamService
    templates: templates.TemplateService
    rollouts: rollouts.RolloutService
    rollout_runner: rollout_worker.RolloutRunner
    version: str = nsaas.VERSION
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start_background(self, *, worker: bool) -> None:
        await self.bus.start()
        self.start_gauges()
        if worker:
            for name, loop in self.worker_loops().items():
                self._tasks.append(asyncio.create_task(loop(), name=f"nsaas-{name}"))

    def worker_loops(self) -> dict[str, Callable[[], Coroutine[Any, Any, None]]]:
        """What a worker runs, in the API process or as ``nsaas worker``: one list for both."""
        loops: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
            "reconciler": self.reconciler.run,
            "rollouts": self.rollout_runner.run,
        }
        if self.settings.notifications.enabled:
            loops["notifier"] = self.notifier.run
        if self.settings.gitops.enabled:
            loops["gitops"] = self.gitops.run
        return loops

    def start_gauges(self) -> None:
        """Refresh the gauges in the background, the database's and the cluster's in separate loops: a
        scrape never waits on either, and a hung cluster never holds up the database gauges."""
        metrics.GAUGES_AGE.set_function(self.operations.gauges_age)
        self._tasks.append(asyncio.create_task(self.operations.gauge_loop(), name="nsaas-gauges"))
        self._tasks.append(asyncio.create_task(self.operations.cluster_gauge_loop(), name="nsaas-cluster-gauges"))

    def reconciler_status(self) -> dict[str, Any]:
        return self.reconciler.status()

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.authenticator.aclose()
        await self.webhooks.aclose()
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
    team_store = teams_db.TeamStore(database)
    team_service = teams.TeamService(settings=settings, store=team_store)
    template_store = templates_db.TemplateStore(database)
    resolver = templates.Resolver(template_store)
    requests = request_service.RequestService(
        settings=settings, repo=repo, cluster=cluster, bus=bus, team_store=team_store, templates=resolver
    )
    worker = reconciler.Reconciler(
        settings=settings, repo=repo, cluster=cluster, bus=bus, team_store=team_store, templates=resolver
    )
    template_service = templates.TemplateService(settings=settings, store=template_store, repo=repo, requests=requests)
    rollout_store = rollouts_db.RolloutStore(database)
    outbox = outbox_db.Outbox(database)
    webhooks = webhook.WebhookSender(timeout_seconds=settings.notifications.timeout_seconds)
    metrics.BUILD_INFO.labels(nsaas.VERSION, component).set(1)
    return Runtime(
        settings=settings,
        component=component,
        database=database,
        repo=repo,
        cluster=cluster,
        bus=bus,
        authenticator=auth.Authenticator.from_settings(settings, group_roles=team_service.roles_for_groups),
        requests=requests,
        inspector=inspect.Inspector(
            settings=settings, repo=repo, cluster=cluster, team_store=team_store, templates=resolver
        ),
        reconciler=worker,
        analytics=analytics.Analytics(settings=settings, repo=repo),
        selftest=selftest.SelfTest(settings=settings, cluster=cluster),
        operations=operations.Operations(repo=repo, cluster=cluster, labels=settings.labels),
        timeline=timeline.Timeline(repo=repo, bus=bus),
        audit=audit.AuditTrail(repo=repo),
        outbox=outbox,
        notifier=notifier.Notifier(settings=settings, outbox=outbox, sender=webhooks),
        webhooks=webhooks,
        denials=denials.DenialAudit(repo=repo),
        access=access.AccessService(
            settings=settings, platform_endpoint=lambda: kubeconfig.platform_endpoint(settings)
        ),
        gitops=gitops.GitOpsSync(settings=settings, requests=requests, repo=repo, resources=cluster, bus=bus),
        teams=team_service,
        templates=template_service,
        rollouts=rollouts.RolloutService(store=rollout_store, templates=template_service),
        rollout_runner=rollout_worker.RolloutRunner(
            settings=settings,
            store=rollout_store,
            repo=repo,
            cluster=cluster,
            steps=worker.steps,
            worker=worker.worker,
            clock=worker.clock,
        ),
    )
