"""Work no single request claims: TTL warnings and expiry, the orphan sweep, expired idempotency keys.

TTL runs in the loop's tick (one bounded query). The sweep and the purge run once per resync
interval as a task beside the loop, so a sweep over thousands of namespaces never holds up
claiming; the sweep reads the owning requests of all listed namespaces in one batched query.

Each job is safe to run on every replica at once: expiry and warnings are optimistic writes
(a stale version or a lost race is simply skipped and looked at next tick), the sweep deletes
only namespaces that carry the platform's labels and the id of a request that is over, and the
purge deletes only keys past their time to live.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from nsaas import config
from nsaas.bundle import model, ownership
from nsaas.domain import audit as actions
from nsaas.domain import changes, errors, lifecycle, records
from nsaas.reconcile import outcomes
from nsaas.reconcile.engines import direct
from nsaas.services import ports

S = lifecycle.Status
log = structlog.get_logger("nsaas.reconciler")


class Housekeeping:
    def __init__(
        self,
        *,
        settings: config.Settings,
        repo: ports.Repository,
        cluster: ports.Cluster,
        bus: ports.EventBus,
        bundle: Callable[[records.RequestRecord], model.Bundle],
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.cluster = cluster
        self.bus = bus
        self.clock = clock
        self._bundle = bundle
        self.ownership = ownership.Ownership.of(settings.labels)
        self._last_sweep: datetime | None = None
        self._periodic: asyncio.Task[None] | None = None

    async def run(self, now: datetime) -> None:
        """TTL now; the sweep and the purge started in the background once per resync interval."""
        await self.expire(now)
        due = (
            self._last_sweep is None or (now - self._last_sweep).total_seconds() >= self.settings.engines.resync_seconds
        )
        if due and (self._periodic is None or self._periodic.done()):
            self._last_sweep = now
            self._periodic = asyncio.create_task(self._sweep_and_purge(), name="nsaas-housekeeping")

    async def _sweep_and_purge(self) -> None:
        try:
            await self.sweep_orphans()
            await self.repo.idempotency_purge()
        except errors.DatabaseUnavailable as exc:
            log.warning("housekeeping skipped; database unavailable", error=exc.message)
        except Exception as exc:
            log.exception("housekeeping failed", error=str(exc))

    async def settled(self) -> None:
        """Wait for a sweep and purge under way (tests and :meth:`Reconciler.tick` use it)."""
        if self._periodic is not None:
            await asyncio.shield(self._periodic)

    async def aclose(self) -> None:
        """Stop a sweep under way (the next worker to start sweeps again)."""
        if self._periodic is not None:
            self._periodic.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._periodic

    # ---- orphans ---------------------------------------------------------------------------------

    async def sweep_orphans(self) -> int:
        """Delete managed namespaces whose request has ended; returns how many deletions started.

        A cancel or expiry can finish while a slow apply or a running workflow still creates the
        namespace (a lease lost mid-apply, an argo run already under way). Such a namespace carries
        this platform's labels and the id of a request that is over. Only those are removed: a
        namespace whose request id is unknown to this database is left alone (it may belong to
        another installation sharing the cluster).
        """
        try:
            managed = await self.cluster.list_namespaces(labels=self.ownership.managed_selector)
        except errors.ClusterError as exc:
            log.warning("orphan sweep skipped", error=exc.message)
            return 0
        owners = {
            info.name: owner
            for info in managed
            if info.phase != "Terminating" and (owner := self.ownership.owner(info.labels))
        }
        ended = {r.id: r for r in await self.repo.ended_requests(sorted(set(owners.values())))}
        started = 0
        for info in managed:
            record = ended.get(owners.get(info.name, ""))
            if record is None or record.name != info.name:
                continue
            with contextlib.suppress(errors.ClusterError):
                await self.cluster.delete_by_selector(bundle=self._bundle(record))
                await direct.delete_namespace(self.cluster, self.ownership, record=record, name=info.name)
                started += 1
                await self.repo.add_event(
                    record.id,
                    records.NewEvent(
                        kind="drift",
                        message=f"namespace {info.name} reappeared after the request ended; deleting it",
                    ),
                )
                await self.repo.add_audit(outcomes.audit(actions.ORPHAN_DELETED, record))
        return started

    # ---- TTL -------------------------------------------------------------------------------------

    async def expire(self, now: datetime) -> None:
        hours = sorted(self.settings.policy.expiry_warning_hours, reverse=True)
        horizon = now + timedelta(hours=hours[0] if hours else 0)
        for record in await self.repo.expiring(before=horizon, limit=100):
            if record.lease_owner and record.lease_expires_at and record.lease_expires_at > now:
                continue  # being worked on; look again next tick
            assert record.expires_at is not None
            with contextlib.suppress(errors.Conflict, errors.PreconditionFailed):
                if record.expires_at <= now:
                    await self._start_expiry(record)
                else:
                    await self._warn(record, now=now, hours=hours)

    async def _start_expiry(self, record: records.RequestRecord) -> None:
        await self.repo.update(
            record.id,
            expected_version=record.version,
            change=changes.Change(
                status=S.DECOMMISSIONING,
                end_state=S.EXPIRED,
                attempts=0,
                next_attempt_at=self.clock(),
                status_reason="TTL reached; decommissioning",
            ),
            event=records.NewEvent(kind="status", message=f"TTL reached at {record.expires_at:%Y-%m-%d %H:%M} UTC"),
            audit=outcomes.audit(actions.EXPIRE, record),
        )
        await self.bus.publish(await self.repo.latest_event_id())

    async def _warn(self, record: records.RequestRecord, *, now: datetime, hours: list[int]) -> None:
        assert record.expires_at is not None
        left = (record.expires_at - now).total_seconds() / 3600
        due = [h for h in hours if left <= h and h not in record.warnings_sent]
        if not due:
            return
        await self.repo.update(
            record.id,
            expected_version=record.version,
            change=changes.Change(warnings_sent=tuple(sorted({*record.warnings_sent, *due}))),
            event=records.NewEvent(
                kind="warning",
                message=f"expires in {max(left, 0):.1f}h at {record.expires_at:%Y-%m-%d %H:%M} UTC; "
                "extend the TTL to keep it",
                data={"expiresAt": record.expires_at.isoformat(), "hoursLeft": round(left, 2)},
            ),
        )
        await self.bus.publish(await self.repo.latest_event_id())
