"""The worker side of template rollouts: move a wave's namespaces, judge the wave, halt or go on.

Each pass leases one due rollout (:meth:`ports.RolloutStore.claim`), moves at most ``batch``
of its targets, and saves the rollout (giving the lease back). Moving a namespace is: render its
bundle from the target version (team rules as the registry has them now), server-side apply it
with prune, then record the new version on the request (with a timeline event) and the target's
outcome. Every step is idempotent, so a worker killed anywhere in between leaves at worst a target
still ``pending`` whose apply is repeated by the next worker once the lease lapses; a namespace
whose apply half-failed is still recorded on its old version, and the reconciler's resync puts
its old bundle back.

Only ready namespaces are applied here; a namespace still being provisioned, changed or waiting
for approval only has its version recorded (the reconciler renders it when it converges).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from nsaas import config, metrics
from nsaas.domain import audit as actions
from nsaas.domain import changes, errors, lifecycle, records, rollouts
from nsaas.reconcile import steps as steps_mod
from nsaas.services import ports

log = structlog.get_logger("nsaas.rollouts")
#: Targets one pass moves: small, so a pass ends well inside the lease.
BATCH = 10
#: Wait after a rollback pass in which some namespace could not be moved back.
ROLLBACK_RETRY_SECONDS = 5.0
#: How often an idle worker looks for a rollout to run (rollouts pause between waves anyway).
IDLE_SECONDS = 1.0


class RolloutRunner:
    def __init__(
        self,
        *,
        settings: config.Settings,
        store: ports.RolloutStore,
        repo: ports.Repository,
        cluster: ports.Cluster,
        steps: steps_mod.Steps,
        worker: str,
        clock: Callable[[], datetime],
        batch: int = BATCH,
    ) -> None:
        self.settings = settings
        self.store = store
        self.repo = repo
        self.cluster = cluster
        self.steps = steps
        self.worker = worker
        self.clock = clock
        self.batch = batch

    async def run(self) -> None:
        while True:
            try:
                busy = await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database or cluster outage: try again next poll
                log.exception("rollout pass failed")
                busy = False
            if not busy:
                await asyncio.sleep(max(self.settings.engines.poll_seconds, IDLE_SECONDS))

    async def tick(self) -> bool:
        """One pass; True when it worked on a rollout."""
        now = self.clock()
        rollout = await self.store.claim(worker=self.worker, now=now, lease_seconds=self.settings.engines.lease_seconds)
        if rollout is not None:
            was = rollout.state
            if was == "running":
                rollout = await self._advance(rollout)
            else:
                rollout = await self._roll_back(rollout)
            try:
                await self.store.save(rollout, worker=self.worker, was=was)
            except errors.Conflict:
                # The lease lapsed, or a rollback was asked for meanwhile: the stored state wins and
                # this worker (still the lease holder) takes it up on its next pass.
                log.info("rollout changed during a pass", rollout=rollout.id)
        metrics.ROLLOUTS_HALTED.set(await self.store.count_in(("halted",)))
        return rollout is not None

    async def _advance(self, rollout: rollouts.Rollout) -> rollouts.Rollout:
        wave = rollout.current_wave
        pending = await self.store.targets(rollout.id, wave=wave, states=("pending",), limit=self.batch)
        for target in pending:
            await self._move(rollout, target, version=rollout.version, done="applied")
        now = self.clock()
        if len(pending) == self.batch:
            return dataclasses.replace(rollout, updated_at=now, next_at=now)
        rate = rollouts.failure_rate(await self.store.targets(rollout.id, wave=wave))
        if rate > rollout.max_failure_rate:
            reason = (
                f"halted at wave {wave + 1}: {rate:.0%} of its namespaces failed "
                f"(threshold {rollout.max_failure_rate:.0%})"
            )
            log.warning("rollout halted", rollout=rollout.id, wave=wave + 1, failure_rate=rate)
            return dataclasses.replace(rollout, state="halted", reason=reason, updated_at=now, next_at=None)
        if wave + 1 < len(rollout.waves):
            pause = timedelta(seconds=rollout.pause_seconds)
            reason = f"wave {wave + 1} done; wave {wave + 2} starts after a {rollout.pause_seconds:g} s pause"
            return dataclasses.replace(
                rollout, current_wave=wave + 1, reason=reason, updated_at=now, next_at=now + pause
            )
        return dataclasses.replace(
            rollout, state="completed", reason=f"all {len(rollout.waves)} waves done", updated_at=now, next_at=None
        )

    async def _roll_back(self, rollout: rollouts.Rollout) -> rollouts.Rollout:
        moved = await self.store.targets(rollout.id, states=("applied",), limit=self.batch)
        failed = 0
        for target in moved:
            if not await self._move(rollout, target, version=target.from_version, done="rolled-back"):
                failed += 1
        now = self.clock()
        if len(moved) == self.batch or failed:
            wait = timedelta(seconds=ROLLBACK_RETRY_SECONDS if failed else 0)
            return dataclasses.replace(rollout, updated_at=now, next_at=now + wait)
        return dataclasses.replace(
            rollout, state="rolled-back", reason="every moved namespace is back on its version", updated_at=now
        )

    async def _move(
        self, rollout: rollouts.Rollout, target: rollouts.Target, *, version: int, done: rollouts.TargetState
    ) -> bool:
        """Move one namespace to ``version``; the target ends ``done``, failed or skipped. True when moved."""
        record = await self.repo.get(target.request_id)
        what = f"rollout {rollout.id[:8]} (wave {(target.wave or 0) + 1})" if done == "applied" else "rollback"
        if record.status in lifecycle.TERMINAL or record.status == lifecycle.Status.DECOMMISSIONING:
            return await self._settle(target, "skipped", f"namespace is {record.status}")
        if record.template_pinned and done == "applied":
            return await self._settle(target, "skipped", "pinned")
        if record.template_version == version:
            # Moved by a worker that died before it recorded the target: the move (apply, then the
            # request's write with its event) is complete, only the target's outcome is missing.
            return await self._settle(target, done, "")
        moved = dataclasses.replace(record, template_version=version)
        change = changes.Change(template_version=version)
        if record.status == lifecycle.Status.READY:
            try:
                bundle = await self.steps.wanted(moved)
                result = await self.cluster.apply(bundle=bundle, prune=True)
                problem = None if result.ok else "; ".join(f"{k}: {v}" for k, v in sorted(result.failed.items()))
            except (errors.NsaasError, ValueError) as error:
                problem = str(error)
            if problem is not None:
                message = f"{what}: could not apply bundle template {record.template_name} version {version}"
                await self.repo.add_event(
                    record.id, records.NewEvent(kind="warning", message=f"{message}: {problem}"[:2000])
                )
                if done == "applied":
                    return await self._settle(target, "failed", problem or "objects were skipped")
                await self.store.set_target(dataclasses.replace(target, error=problem or "objects were skipped"))
                return False
            change = changes.Change(template_version=version, applied_digest=bundle.digest)
        await self.repo.update(
            record.id,
            change=change,
            event=records.NewEvent(
                kind="info",
                message=f"{what}: now on bundle template {record.template_name} version {version}",
                data={"rollout": rollout.id, "from": record.template_version, "to": version},
            ),
            audit=records.NewAudit(
                actor=rollout.created_by,
                action=actions.TEMPLATE_MOVE,
                target_type="namespace",
                target=record.name,
                before={"template_version": record.template_version},
                after={"template_version": version},
                detail=f"rollout {rollout.id}",
            ),
        )
        return await self._settle(target, done, "")

    async def _settle(self, target: rollouts.Target, state: rollouts.TargetState, error: str) -> bool:
        await self.store.set_target(dataclasses.replace(target, state=state, error=error))
        metrics.ROLLOUT_TARGETS.labels(state).inc()
        return state in ("applied", "rolled-back")
