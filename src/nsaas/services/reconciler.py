"""The reconciler: drives every request towards its desired state, one safe step at a time.

Level-triggered: each step compares what the database wants with what the cluster has and takes
the next action, so a restart at any point (even a SIGKILL between two API calls) converges
without duplicates or orphans. Work is claimed with a lease (``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL), outcomes are written only while the lease is held and only if the
request did not change meanwhile; otherwise the request is simply looked at again.

What must stay true:

* Ready means the namespace is Active and every bundle object exists with the platform's values
  and the current digest (``Observation.matches`` plus the digest annotation).
* Only namespaces carrying the managed label *and* this request's id are ever deleted.
* A ready namespace is re-checked every resync interval; drift is repaired with a direct
  server-side apply (also under the argo engine: a repair is one idempotent apply, not a run)
  and recorded on the timeline. A namespace deleted out of band is reported and re-created only
  if policy says so.
* Failures back off exponentially with jitter and end in ``failed``, with the reason shown,
  after a bounded number of attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from nsaas import config, metrics
from nsaas.bundle import model, render
from nsaas.domain import audit, errors, lifecycle, records
from nsaas.services import engines, ports

S = lifecycle.Status
log = structlog.get_logger("nsaas.reconciler")
ACTOR = "system:reconciler"


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
        self.cluster = cluster
        self.bus = bus
        self.clock = clock
        self.worker = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.direct = engines.DirectEngine(settings=settings, cluster=cluster)
        self.engines: dict[str, engines.DirectEngine | engines.ArgoEngine] = {
            "direct": self.direct,
            "argo": engines.ArgoEngine(settings=settings, cluster=cluster),
        }
        self._wake = asyncio.Event()
        self._reported: dict[str, set[tuple[str, str]]] = {}
        self._last_sweep: datetime | None = None
        self._stats: dict[str, Any] = {"worker": self.worker, "ticks": 0, "steps": 0, "errors": 0, "lastTick": None}

    # ---- the loop ------------------------------------------------------------------------------

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
        """One pass: TTL expiry, then claim and step due requests concurrently. Returns how many."""
        now = self.clock()
        await self._expire(now)
        if self._last_sweep is None or (now - self._last_sweep).total_seconds() >= self.settings.engines.resync_seconds:
            self._last_sweep = now
            await self._sweep_orphans()
        claimed = await self.repo.claim_due(
            worker=self.worker,
            now=now,
            limit=self.settings.engines.batch_size,
            lease_seconds=self.settings.engines.lease_seconds,
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
            await self.reconcile(record)
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
                await self._retry_or_fail(record, reason, permanent=False)
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "namespace")

    # ---- one step ------------------------------------------------------------------------------

    async def reconcile(self, record: records.RequestRecord) -> None:
        metrics.RECONCILE_RUNS.labels(str(record.status)).inc()
        if record.status == S.DECOMMISSIONING:
            await self._decommission(record)
        elif record.status in (S.PROVISIONING, S.UPDATING, S.READY, S.FAILED):
            await self._converge(record)
        else:
            await self._release(record, {"next_attempt_at": None})

    def _bundle(self, record: records.RequestRecord) -> model.Bundle:
        return render.render_bundle(
            record.spec_obj, self.settings, request_id=record.id, requested_by=record.requested_by
        )

    def _owned(self, info: ports.NamespaceInfo, record: records.RequestRecord) -> str | None:
        """None when the live namespace is this request's; otherwise why it is not."""
        prefix = self.settings.labels.prefix
        if info.labels.get(f"{prefix}/managed") != "true":
            return f"a namespace named {record.name} already exists and is not managed by nsaas; it was not touched"
        owner = info.labels.get(f"{prefix}/request-id")
        if owner != record.id:
            return f"namespace {record.name} belongs to another request ({owner}); it was not touched"
        return None

    async def _converge(self, record: records.RequestRecord) -> None:
        bundle = self._bundle(record)
        info = await self.cluster.namespace_info(record.name)
        if info is not None:
            foreign = self._owned(info, record)
            if foreign:
                await self._retry_or_fail(record, foreign, permanent=True)
                return
            if info.phase == "Terminating":
                await self._wait(record, "waiting for an earlier namespace of this name to finish terminating")
                return
        if record.status == S.READY:
            await self._resync(record, bundle, exists=info is not None)
            return
        engine = engines.for_record(record, self.engines)
        progress = await engine.provision(record=record, bundle=bundle)
        await self._report(record, progress)
        if progress.outcome == "failed":
            await self._retry_or_fail(
                record, progress.message, permanent=progress.permanent, workflow=progress.workflow
            )
        elif progress.outcome == "waiting":
            await self._wait(record, progress.message, workflow=progress.workflow)
        else:
            await self._verify(record, bundle, workflow=progress.workflow, applied=progress.applied)

    async def _verify(
        self, record: records.RequestRecord, bundle: model.Bundle, *, workflow: str | None, applied: bool
    ) -> None:
        """Ready once the namespace is Active and every object holds the platform's values.

        After the platform's own successful forced apply the objects hold them by construction
        and only the namespace phase is read; otherwise (a workflow did the work) every object is.
        """
        if applied:
            info = await self.cluster.namespace_info(record.name)
            pending = None if info is not None and info.phase == "Active" else f"namespace phase {info and info.phase}"
        else:
            seen = await self.cluster.observe(bundle=bundle)
            settled = seen.matches and seen.digest == bundle.digest
            pending = None if settled else ", ".join([*seen.missing, *seen.drifted]) or f"namespace phase {seen.phase}"
            if not settled and seen.phase == "Active":
                # The run finished yet the cluster differs (e.g. an older run wrote last): one
                # direct apply repairs it instead of waiting for a workflow that will not change.
                repair = await self.direct.provision(record=record, bundle=bundle)
                await self._report(record, repair)
        if pending:
            await self._wait(record, f"waiting for the cluster to settle: {pending}", workflow=workflow)
            return
        now = self.clock()
        operation = "update" if record.status == S.UPDATING else "provision"
        started = record.updated_at if operation == "update" else (record.approved_at or record.created_at)
        metrics.PROVISIONING_DURATION.labels(record.engine, operation).observe((now - started).total_seconds())
        metrics.PROVISIONING_RESULTS.labels(record.engine, operation, "ready").inc()
        changes: dict[str, Any] = {
            "status": S.READY,
            "status_reason": "ready",
            "applied_digest": bundle.digest,
            "observed_generation": record.generation,
            "attempts": 0,
            "last_error": None,
            "next_attempt_at": now + timedelta(seconds=self.settings.engines.resync_seconds),
            "last_resync_at": now,
        }
        if workflow:
            changes["workflow_name"] = workflow
        if record.ready_at is None:
            changes["ready_at"] = now
        await self._release(
            record,
            changes,
            event=records.NewEvent(
                kind="status",
                message=f"ready: {len(bundle.manifests)} objects in place",
                data={"digest": bundle.digest},
            ),
            audit=self._audit(audit.READY[operation], record, detail=f"digest {bundle.digest}"),
        )

    async def _resync(self, record: records.RequestRecord, bundle: model.Bundle, *, exists: bool) -> None:
        now = self.clock()
        resync = {
            "next_attempt_at": now + timedelta(seconds=self.settings.engines.resync_seconds),
            "last_resync_at": now,
        }
        if not exists and not self.settings.policy.recreate_deleted_namespaces:
            message = (
                f"namespace {record.name} was deleted outside the platform; decommission the request, "
                "or ask a platform admin to re-create it"
            )
            await self.repo.add_event(record.id, records.NewEvent(kind="drift", message=message))
            await self._release(
                record,
                {"status": S.FAILED, "status_reason": message, "last_error": message, "next_attempt_at": None},
                audit=self._audit(audit.DELETED_OUT_OF_BAND, record, outcome="failed", detail=message),
            )
            return
        seen = await self.cluster.observe(bundle=bundle)
        if seen.matches and seen.digest == bundle.digest:
            recovered = {"attempts": 0, "last_error": None} if record.attempts else {}
            await self._release(record, {**resync, **recovered})
            return
        drift = [*seen.missing, *seen.drifted] or [f"namespace {record.name}"]
        if seen.digest != bundle.digest and seen.phase is not None and not seen.missing and not seen.drifted:
            drift = [f"bundle digest {seen.digest} != {bundle.digest}"]
        for key in drift:
            metrics.DRIFT_CORRECTIONS.labels(key.split("/", 1)[0]).inc()
        await self.repo.add_event(
            record.id,
            records.NewEvent(
                kind="drift",
                message="drift detected: " + ", ".join(drift),
                data={"missing": list(seen.missing), "drifted": list(seen.drifted)},
            ),
        )
        progress = await self.direct.provision(record=record, bundle=bundle)
        if progress.outcome == "failed":
            await self._retry_or_fail(record, progress.message, permanent=False)
            return
        await self._release(
            record,
            {**resync, "attempts": 0, "last_error": None, "applied_digest": bundle.digest},
            event=records.NewEvent(kind="drift", message="drift corrected: re-applied the bundle"),
            audit=self._audit(audit.DRIFT_CORRECTED, record, detail=", ".join(drift)),
        )

    async def _decommission(self, record: records.RequestRecord) -> None:
        bundle = self._bundle(record)
        info = await self.cluster.namespace_info(record.name)
        foreign = self._owned(info, record) if info is not None else None
        if info is None or foreign:
            await self.cluster.delete_by_selector(bundle=bundle)
            await self._finish(record, note=foreign)
            return
        engine = engines.for_record(record, self.engines)
        progress = await engine.decommission(record=record, bundle=bundle)
        await self._report(record, progress)
        if progress.outcome == "failed":
            await self._retry_or_fail(
                record, progress.message, permanent=progress.permanent, workflow=progress.workflow
            )
        else:
            await self._wait(record, progress.message or "deleting", workflow=progress.workflow)

    async def _finish(self, record: records.RequestRecord, *, note: str | None) -> None:
        end = record.end_state or S.DELETED
        now = self.clock()
        reason = {S.DELETED: "deleted", S.EXPIRED: "expired: TTL reached", S.CANCELLED: "cancelled"}.get(end, str(end))
        if note:
            reason = f"{reason} ({note})"
        metrics.PROVISIONING_RESULTS.labels(record.engine, "decommission", str(end)).inc()
        await self._release(
            record,
            {"status": end, "status_reason": reason, "deleted_at": now, "next_attempt_at": None, "last_error": None},
            event=records.NewEvent(kind="status", message=f"namespace {record.name} {reason}"),
            audit=self._audit(audit.ENDED[str(end)], record, detail=reason),
        )

    # ---- outcomes ------------------------------------------------------------------------------

    async def _wait(self, record: records.RequestRecord, message: str, *, workflow: str | None = None) -> None:
        changes: dict[str, Any] = {
            "next_attempt_at": self.clock() + timedelta(seconds=self.settings.engines.poll_seconds)
        }
        if workflow and workflow != record.workflow_name:
            changes["workflow_name"] = workflow
        if message and message != record.status_reason and record.status != S.READY:
            changes["status_reason"] = message
        await self._release(record, changes)

    async def _retry_or_fail(
        self, record: records.RequestRecord, message: str, *, permanent: bool, workflow: str | None = None
    ) -> None:
        """Back off and try again; after ``max_attempts`` (or at once if ``permanent``) give up.

        Giving up means ``failed`` for provisioning and updates. A ready namespace never fails
        because the cluster was unreachable for a while: it stays ready and keeps retrying at the
        maximum backoff. Deletion never gives up either; it says why it is stuck.
        """
        attempts = record.attempts + 1
        engine_settings = self.settings.engines
        metrics.RECONCILE_ERRORS.labels("permanent" if permanent else "transient").inc()
        exhausted = attempts >= engine_settings.max_attempts
        if permanent or (exhausted and record.status in (S.PROVISIONING, S.UPDATING, S.FAILED)):
            reason = message if permanent else f"gave up after {attempts} attempts: {message}"
            operation = "update" if record.status in (S.UPDATING, S.READY) else "provision"
            if record.status == S.DECOMMISSIONING:
                changes: dict[str, Any] = {
                    "attempts": attempts,
                    "last_error": message,
                    "status_reason": reason,
                    "next_attempt_at": self._later(engine_settings.backoff_max_seconds),
                }
                event = records.NewEvent(kind="warning", message=reason)
            else:
                changes = {
                    "status": S.FAILED,
                    "attempts": attempts,
                    "last_error": message,
                    "status_reason": reason,
                    "next_attempt_at": None,
                }
                event = records.NewEvent(kind="status", message=reason)
                metrics.PROVISIONING_RESULTS.labels(record.engine, operation, "failed").inc()
            await self._release(
                record,
                changes,
                event=event,
                audit=self._audit(audit.FAILED, record, outcome="failed", detail=reason),
            )
            return
        delay = min(engine_settings.backoff_max_seconds, engine_settings.backoff_base_seconds * 2 ** (attempts - 1))
        delay *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography
        changes = {"attempts": attempts, "last_error": message, "next_attempt_at": self._later(delay)}
        if workflow:
            changes["workflow_name"] = workflow
        # One warning per doubling of attempts: a long outage must not flood the timeline.
        loud = attempts & (attempts - 1) == 0
        event = records.NewEvent(
            kind="warning", message=f"attempt {attempts} failed: {message}; retrying in {delay:.1f}s"
        )
        await self._release(record, changes, event=event if loud else None)

    def _later(self, seconds: float) -> datetime:
        return self.clock() + timedelta(seconds=seconds)

    async def _release(
        self,
        record: records.RequestRecord,
        changes: Mapping[str, Any],
        *,
        event: records.NewEvent | None = None,
        audit: records.NewAudit | None = None,
    ) -> None:
        """Write the outcome and give the lease back, unless the request changed meanwhile."""
        try:
            await self.repo.release(
                record.id,
                worker=self.worker,
                changes=changes,
                event=event,
                audit=audit,
                expected_version=record.version,
            )
        except errors.PreconditionFailed:
            # A user changed the request while we worked: drop this outcome, look again now.
            await self.repo.release(record.id, worker=self.worker, changes={"next_attempt_at": self.clock()})
            return
        if event is not None or audit is not None:
            await self.bus.publish(await self.repo.latest_event_id())

    async def _report(self, record: records.RequestRecord, progress: engines.Progress) -> None:
        """Put steps on the timeline once each (deduplicated across restarts via the timeline)."""
        if not progress.steps:
            return
        seen = self._reported.get(record.id)
        if seen is None:
            seen = {(e.step or "", e.phase or "") for e in await self.repo.timeline(record.id) if e.kind == "step"}
            self._reported[record.id] = seen
        added = False
        for step in progress.steps:
            workflow = str(step.data.get("workflow", ""))
            key = (f"{workflow}:{step.name}" if workflow else step.name, step.phase)
            if key in seen:
                continue
            seen.add(key)
            await self.repo.add_event(
                record.id,
                records.NewEvent(
                    kind="step",
                    message=step.message or f"{step.name}: {step.phase}",
                    step=key[0],
                    phase=step.phase,
                    data=dict(step.data),
                ),
            )
            added = True
        if added:
            await self.bus.publish(await self.repo.latest_event_id())
        if len(self._reported) > 10_000:
            self._reported.clear()

    def _audit(
        self, action: str, record: records.RequestRecord, *, outcome: records.AuditOutcome = "success", detail: str = ""
    ) -> records.NewAudit:
        return records.NewAudit(
            actor=ACTOR,
            action=action,
            target_type="namespace",
            target=record.name,
            outcome=outcome,
            detail=detail,
            correlation_id=record.id,
        )

    # ---- orphans ---------------------------------------------------------------------------------

    async def _sweep_orphans(self) -> int:
        """Delete managed namespaces whose request has ended; returns how many deletions started.

        A cancel or expiry can finish while a slow apply or a running workflow still creates the
        namespace (a lease lost mid-apply, an argo run already under way). Such a namespace carries
        this platform's labels and the id of a request that is over. Only those are removed: a
        namespace whose request id is unknown to this database is left alone (it may belong to
        another installation sharing the cluster).
        """
        prefix = self.settings.labels.prefix
        try:
            managed = await self.cluster.list_namespaces(labels={f"{prefix}/managed": "true"})
        except errors.ClusterError as exc:
            log.warning("orphan sweep skipped", error=exc.message)
            return 0
        started = 0
        for info in managed:
            request_id = info.labels.get(f"{prefix}/request-id")
            if not request_id or info.phase == "Terminating":
                continue
            try:
                record = await self.repo.get(request_id)
            except errors.NotFound:
                continue
            if record.status not in lifecycle.TERMINAL or record.name != info.name:
                continue
            with contextlib.suppress(errors.ClusterError):
                await self.cluster.delete_by_selector(bundle=self._bundle(record))
                await self.cluster.delete_namespace(
                    name=info.name,
                    request_id=record.id,
                    managed_label=(f"{prefix}/managed", "true"),
                    request_id_label=f"{prefix}/request-id",
                )
                started += 1
                await self.repo.add_event(
                    record.id,
                    records.NewEvent(
                        kind="drift",
                        message=f"namespace {info.name} reappeared after the request ended; deleting it",
                    ),
                )
                await self.repo.add_audit(self._audit(audit.ORPHAN_DELETED, record))
        return started

    # ---- TTL -------------------------------------------------------------------------------------

    async def _expire(self, now: datetime) -> None:
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
            changes={
                "status": S.DECOMMISSIONING,
                "end_state": S.EXPIRED,
                "attempts": 0,
                "next_attempt_at": self.clock(),
                "status_reason": "TTL reached; decommissioning",
            },
            event=records.NewEvent(kind="status", message=f"TTL reached at {record.expires_at:%Y-%m-%d %H:%M} UTC"),
            audit=self._audit(audit.EXPIRE, record),
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
            changes={"warnings_sent": tuple(sorted({*record.warnings_sent, *due}))},
            event=records.NewEvent(
                kind="warning",
                message=f"expires in {max(left, 0):.1f}h at {record.expires_at:%Y-%m-%d %H:%M} UTC; "
                "extend the TTL to keep it",
                data={"expiresAt": record.expires_at.isoformat(), "hoursLeft": round(left, 2)},
            ),
        )
        await self.bus.publish(await self.repo.latest_event_id())
