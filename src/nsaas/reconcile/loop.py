"""The reconciler's loop: claim due work, step it, do the housekeeping, sleep until woken.

Level-triggered: each step compares what the database wants with what the cluster has and takes
the next action, so a restart at any point (even a SIGKILL between two API calls) converges
without duplicates or orphans. Work is claimed with a lease (``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL), outcomes are written only while the lease is held and only if the
request did not change meanwhile; otherwise the request is simply looked at again. Failures
back off exponentially with jitter and end in ``failed``, with the reason shown, after a bounded
number of attempts (:mod:`nsaas.reconcile.outcomes`).

Steps run concurrently, at most ``max_concurrent_steps`` at a time; a free slot is refilled as
soon as any step ends, so one slow namespace holds one slot and never the others' turn. While a
step runs its lease is extended every third of the lease time; a step whose lease was lost
(another worker took the request) is cancelled, so two workers never work on one request.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from nsaas import config, metrics, tracing
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
        team_store: ports.TeamStore | None = None,
        templates: ports.TemplateResolver | None = None,
    ) -> None:
        """``team_store``: the team registry, whose allow-lists each converge renders (None: none);
        ``templates``: the bundle template versions namespaces run (None: the built-in one)."""
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
            team_store=team_store,
            templates=templates,
        )
        self.housekeeping = housekeeping.Housekeeping(
            settings=settings, repo=repo, cluster=cluster, bus=bus, bundle=self.bundle, clock=clock
        )
        self._wake = asyncio.Event()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._slot_freed = asyncio.Event()
        self._housekept: datetime | None = None
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
                        started = await self._fill()
                    except errors.DatabaseUnavailable as exc:
                        log.warning("database unavailable; retrying", error=exc.message)
                        metrics.RECONCILE_ERRORS.labels("database").inc()
                        started = 0
                    except Exception as exc:
                        log.exception("reconcile tick failed", error=str(exc))
                        metrics.RECONCILE_ERRORS.labels("tick").inc()
                        started = 0
                    if started and self._free():
                        continue
                    await self._idle()
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
                await self._cancel_running()
                await self.housekeeping.aclose()

    async def _listen(self, wakeups: asyncio.Queue[int]) -> None:
        while True:
            await wakeups.get()
            self._wake.set()

    async def tick(self) -> int:
        """One pass: housekeeping, claim due requests into free slots and wait for those steps and the sweep."""
        before = set(self._running.values())
        claimed = await self._fill(housekeep=True)
        mine = [t for t in self._running.values() if t not in before]
        if mine:
            await asyncio.gather(*mine, return_exceptions=True)
        await self.housekeeping.settled()
        return claimed

    async def _fill(self, *, housekeep: bool = False) -> int:
        """Housekeeping, then claim up to the free slots and start a step for each. Returns how many.

        The loop refills a slot as soon as a step ends, so housekeeping (the TTL query) runs at most
        once per poll interval there, not once per finished step; ``housekeep`` forces it (``tick``).
        """
        now = self.clock()
        last = self._housekept
        if housekeep or last is None or (now - last).total_seconds() >= self.settings.engines.poll_seconds:
            self._housekept = now
            await self.housekeeping.run(now)
        engine_settings = self.settings.engines
        free = self._free()
        claimed = []
        if free:
            claimed = await self.repo.claim_due(
                worker=self.worker,
                now=now,
                limit=min(engine_settings.batch_size, free),
                lease_seconds=engine_settings.lease_seconds,
            )
        for record in claimed:
            task = asyncio.create_task(self._leased(record), name=f"nsaas-step-{record.id}")
            self._running[record.id] = task
            task.add_done_callback(functools.partial(self._done, record.id))
        self._stats["ticks"] += 1
        self._stats["lastTick"] = now.isoformat()
        metrics.RECONCILER_LAST_PASS.set(now.timestamp())
        return len(claimed)

    def _free(self) -> int:
        return max(0, self.settings.engines.max_concurrent_steps - len(self._running))

    def _done(self, request_id: str, _task: asyncio.Task[None]) -> None:
        self._running.pop(request_id, None)
        self._slot_freed.set()

    async def _idle(self) -> None:
        """Sleep until woken by an event, until a slot frees up (when full), or the poll interval."""
        waits = [asyncio.ensure_future(self._wake.wait())]
        if not self._free():
            waits.append(asyncio.ensure_future(self._slot_freed.wait()))
        try:
            await asyncio.wait(waits, timeout=self.settings.engines.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        self._wake.clear()
        self._slot_freed.clear()

    async def _cancel_running(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _leased(self, record: records.RequestRecord) -> None:
        """Run one step while a heartbeat keeps its lease; a lost lease cancels the step."""
        step = asyncio.create_task(self._guarded(record))
        beat = asyncio.create_task(self._heartbeat(record, step))
        try:
            await asyncio.shield(step)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            if not step.done():
                step.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await step

    async def _heartbeat(self, record: records.RequestRecord, step: asyncio.Task[None]) -> None:
        lease = self.settings.engines.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                await self.repo.extend_lease(record.id, worker=self.worker, lease_seconds=lease)
                metrics.LEASE_EXTENSIONS.inc()
            except errors.Conflict as exc:
                if exc.details.get("lease_owner") == "none":
                    return  # the step has just released it: its outcome is written
                log.warning("lease lost during a step; stopping it", request_id=record.id)
                metrics.RECONCILE_ERRORS.labels("lease_lost").inc()
                step.cancel()
                return
            except errors.DatabaseUnavailable:
                continue  # the lease may lapse; the next write checks it

    def status(self) -> dict[str, Any]:
        return {**self._stats, "running": len(self._running), "slots": self.settings.engines.max_concurrent_steps}

    async def _guarded(self, record: records.RequestRecord) -> None:
        structlog.contextvars.bind_contextvars(request_id=record.id, namespace=record.name)
        try:
            with tracing.continued(record.traceparent, "reconcile", request_id=record.id, namespace=record.name):
                await self.steps.reconcile(record)
            self._stats["steps"] += 1
        except errors.Conflict as exc:
            # The lease was lost or the request changed under us: someone else's view wins.
            log.info("step dropped", reason=exc.message)
        except errors.DatabaseUnavailable as exc:
            # Nothing can be written: the lease lapses and the next claim (here or elsewhere) redoes
            # the step, which is idempotent.
            log.warning("step outcome not written; database unavailable", error=exc.message)
            metrics.RECONCILE_ERRORS.labels("database").inc()
        except Exception as exc:
            self._stats["errors"] += 1
            reason = exc.message if isinstance(exc, errors.NsaasError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, errors.NsaasError):
                log.exception("unexpected reconcile error")
            with contextlib.suppress(errors.Conflict, errors.DatabaseUnavailable):
                await self.outcomes.retry_or_fail(
                    record, reason, permanent=False, unavailable=isinstance(exc, errors.ClusterUnavailable)
                )
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "namespace")
