"""How a step's result is written: released with the lease, backed off, failed, put on the timeline.

Every write here is made while the worker holds the request's lease and only if the request did
not change since the step read it (``expected_version``); otherwise the outcome is dropped and the
request is looked at again at once, so a user's edit always wins over a stale step.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from nsaas import config, metrics
from nsaas.domain import audit as actions
from nsaas.domain import changes, errors, failures, lifecycle, records
from nsaas.reconcile import engines
from nsaas.services import ports

S = lifecycle.Status
ACTOR = "system:reconciler"
#: Requests whose reported steps are remembered in memory (beyond that the timeline is re-read).
REMEMBERED_REQUESTS = 10_000


def audit(
    action: str, record: records.RequestRecord, *, outcome: records.AuditOutcome = "success", detail: str = ""
) -> records.NewAudit:
    """An audit record of something the reconciler did to ``record``."""
    return records.NewAudit(
        actor=ACTOR,
        action=action,
        target_type="namespace",
        target=record.name,
        outcome=outcome,
        detail=detail,
        correlation_id=record.id,
    )


class Outcomes:
    def __init__(
        self,
        *,
        settings: config.EngineSettings,
        repo: ports.Repository,
        bus: ports.EventBus,
        worker: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.bus = bus
        self.worker = worker
        self.clock = clock
        self._reported: dict[str, set[tuple[str, str]]] = {}

    def later(self, seconds: float) -> datetime:
        return self.clock() + timedelta(seconds=seconds)

    async def release(
        self,
        record: records.RequestRecord,
        change: changes.Change,
        *,
        event: records.NewEvent | None = None,
        audit: records.NewAudit | None = None,
    ) -> None:
        """Write the outcome and give the lease back, unless the request changed meanwhile."""
        try:
            await self.repo.release(
                record.id, worker=self.worker, change=change, event=event, audit=audit, expected_version=record.version
            )
        except errors.PreconditionFailed:
            # A user changed the request while we worked: drop this outcome, look again now.
            await self.repo.release(record.id, worker=self.worker, change=changes.Change(next_attempt_at=self.clock()))
            return
        if event is not None or audit is not None:
            await self.bus.publish(await self.repo.latest_event_id())

    async def wait(self, record: records.RequestRecord, message: str, *, workflow: str | None = None) -> None:
        """Look again after the poll interval; the reason is shown unless the namespace is ready."""
        change = changes.Change(next_attempt_at=self.later(self.settings.poll_seconds))
        if workflow and workflow != record.workflow_name:
            change = change.also(changes.Change(workflow_name=workflow))
        if message and message != record.status_reason and record.status != S.READY:
            change = change.also(changes.Change(status_reason=message))
        await self.release(record, change)

    async def failed(self, record: records.RequestRecord, progress: engines.Progress) -> None:
        """An engine's failed step: :meth:`retry_or_fail` with what the engine knows about it."""
        await self.retry_or_fail(
            record,
            progress.message,
            permanent=progress.permanent,
            unavailable=progress.unavailable,
            workflow=progress.workflow,
        )

    async def retry_or_fail(
        self,
        record: records.RequestRecord,
        message: str,
        *,
        permanent: bool,
        unavailable: bool = False,
        workflow: str | None = None,
    ) -> None:
        """Back off and try again; after ``max_attempts`` (or at once if ``permanent``) give up.

        Giving up means ``failed`` for provisioning and updates. Only failures the cluster gives
        for this request use up attempts: while the cluster is ``unavailable`` (429, 5xx, dropped
        connections, the circuit breaker open) the request waits, retried with capped backoff and
        the reason shown, as a Kubernetes controller would; an API server upgrade or outage never
        fails in-flight work. A ready namespace never fails because the cluster was unreachable:
        it stays ready with the change pending. Deletion never gives up; it says why it is stuck.
        """
        attempts = record.attempts + 1
        metrics.RECONCILE_ERRORS.labels("permanent" if permanent else "transient").inc()
        if not permanent and record.status == S.UPDATING and record.applied_digest and record.ready_at:
            await self._keep_ready(record, message, attempts=attempts)
            return
        exhausted = attempts >= self.settings.max_attempts and not unavailable
        if permanent or (exhausted and record.status in (S.PROVISIONING, S.UPDATING, S.FAILED)):
            await self._give_up(record, message, attempts=attempts, permanent=permanent)
            return
        delay = self.backoff(attempts)
        change = changes.Change(attempts=attempts, last_error=message, next_attempt_at=self.later(delay))
        if unavailable and record.status in (S.PROVISIONING, S.UPDATING, S.FAILED):
            change = change.also(changes.Change(status_reason=f"{failures.WAITING_FOR_CLUSTER}: {message}"))
        if workflow:
            change = change.also(changes.Change(workflow_name=workflow))
        # One warning per doubling of attempts: a long outage must not flood the timeline.
        loud = attempts & (attempts - 1) == 0
        event = records.NewEvent(
            kind="warning", message=f"attempt {attempts} failed: {message}; retrying in {delay:.1f}s"
        )
        await self.release(record, change, event=event if loud else None)

    def backoff(self, attempts: int) -> float:
        """Exponential in the attempts, capped at ``backoff_max_seconds``, with jitter."""
        # The exponent stops growing long before the cap: a days-long outage counts thousands of
        # attempts, and 2.0 ** 1024 overflows a float.
        exponent = min(attempts - 1, 62)
        delay: float = min(self.settings.backoff_max_seconds, self.settings.backoff_base_seconds * 2**exponent)
        return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography

    async def _keep_ready(self, record: records.RequestRecord, message: str, *, attempts: int) -> None:
        """A change to a ready namespace that cannot reach the cluster: the namespace is still there
        and still serves, so it stays ``ready`` with the change pending (``changePending`` in the
        API, the reason in ``statusReason``); the ready-state resync applies it, with capped backoff.
        """
        delay = self.backoff(attempts)
        reason = f"ready; change pending: {message}; retrying"
        change = changes.Change(
            status=S.READY,
            status_reason=reason,
            attempts=attempts,
            last_error=message,
            next_attempt_at=self.later(delay),
        )
        event = records.NewEvent(kind="warning", message=f"change not applied yet: {message}; retrying in {delay:.1f}s")
        await self.release(record, change, event=event)

    async def _give_up(self, record: records.RequestRecord, message: str, *, attempts: int, permanent: bool) -> None:
        reason = message if permanent else f"gave up after {attempts} attempts: {message}"
        common = changes.Change(attempts=attempts, last_error=message, status_reason=reason)
        if record.status == S.DECOMMISSIONING:
            change = common.also(changes.Change(next_attempt_at=self.later(self.settings.backoff_max_seconds)))
            event = records.NewEvent(kind="warning", message=reason)
        else:
            change = common.also(changes.Change(status=S.FAILED, next_attempt_at=None))
            event = records.NewEvent(kind="status", message=reason)
            operation = "update" if record.status in (S.UPDATING, S.READY) else "provision"
            metrics.PROVISIONING_RESULTS.labels(record.engine, operation, "failed").inc()
        await self.release(
            record, change, event=event, audit=audit(actions.FAILED, record, outcome="failed", detail=reason)
        )

    async def report(self, record: records.RequestRecord, progress: engines.Progress) -> None:
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
        if len(self._reported) > REMEMBERED_REQUESTS:
            self._reported.clear()
