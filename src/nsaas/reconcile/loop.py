"""The reconciler's loop: claim due work, step it, do the housekeeping, sleep until woken.

Level-triggered: each step compares what the database wants with what the cluster has and takes
the next action, so a restart at any point (even a SIGKILL between two API calls) converges
without duplicates or orphans. Work is claimed with a lease (``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL), outcomes are written only while the lease is held and only if the
request did not change meanwhile; otherwise the request is simply looked at again. Failures
back off exponentially with jitter and end in ``failed``, with the reason shown, after a bounded
number of attempts (:mod:`nsaas.reconcile.outcomes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from nsaas import config, metrics
from nsaas.bundle import model
from nsaas.domain import errors, records
from nsaas.reconcile import engines, housekeeping, outcomes, steps
from nsaas.services import ports

log = structlog.get_logger("nsaas.reconciler")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Reconciler:
    def __init__(
        self,
        *,
        settings: config.Settings,
        repo: ports.Repository,
        cluster: ports.Cluster,
        bus: ports.EventBus,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.bus = bus
        self.clock = clock
        self.worker = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.outcomes = outcomes.Outcomes(
            settings=settings.engines, repo=repo, bus=bus, worker=self.worker, clock=clock
        )
        self.steps = steps.Steps(
            settings=settings,
            cluster=cluster,
            engines_by_name=engines.build(settings=settings, cluster=cluster),
            outcomes=self.outcomes,
            clock=clock,
        )
        self.housekeeping = housekeeping.Housekeeping(
            settings=settings, repo=repo, cluster=cluster, bus=bus, bundle=self.bundle, clock=clock
        )
        self._wake = asyncio.Event()
        self._stats: dict[str, Any] = {"worker": self.worker, "ticks": 0, "steps": 0, "errors": 0, "lastTick": None}

    def bundle(self, record: records.RequestRecord) -> model.Bundle:
        """The bundle ``record`` wants in the cluster now."""
        return self.steps.bundle(record)

    async def run(self) -> None:
        """Run until cancelled: claim due work, step it, sleep until woken or the poll interval."""
        log.info("reconciler started", worker=self.worker)
        async with self.bus.subscribe() as wakeups:
            listener = asyncio.create_task(self._listen(wakeups))
            try:
                while True:
                    try:
                        busy = await self.tick()
                    except Exception as exc:
                        log.exception("reconcile tick failed", error=str(exc))
                        metrics.RECONCILE_ERRORS.labels("tick").inc()
                        busy = 0
                    if busy:
                        continue
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.settings.engines.poll_seconds)
                    self._wake.clear()
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    async def _listen(self, wakeups: asyncio.Queue[int]) -> None:
        while True:
            await wakeups.get()
            self._wake.set()

    async def tick(self) -> int:
        """One pass: housekeeping, then claim and step due requests concurrently. Returns how many."""
        now = self.clock()
        await self.housekeeping.run(now)
        engine_settings = self.settings.engines
        claimed = await self.repo.claim_due(
            worker=self.worker, now=now, limit=engine_settings.batch_size, lease_seconds=engine_settings.lease_seconds
        )
        if claimed:
            await asyncio.gather(*(self._guarded(record) for record in claimed))
        self._stats["ticks"] += 1
        self._stats["lastTick"] = now.isoformat()
        return len(claimed)

    def status(self) -> dict[str, Any]:
        return dict(self._stats)

    async def _guarded(self, record: records.RequestRecord) -> None:
        structlog.contextvars.bind_contextvars(request_id=record.id, namespace=record.name)
        try:
            await self.steps.reconcile(record)
            self._stats["steps"] += 1
        except errors.Conflict as exc:
            # The lease was lost or the request changed under us: someone else's view wins.
            log.info("step dropped", reason=exc.message)
        except Exception as exc:
            self._stats["errors"] += 1
            reason = exc.message if isinstance(exc, errors.NsaasError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, errors.NsaasError):
                log.exception("unexpected reconcile error")
            with contextlib.suppress(errors.Conflict):
                await self.outcomes.retry_or_fail(record, reason, permanent=False)
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "namespace")
