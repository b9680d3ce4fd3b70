"""Use cases of template rollouts: start one, read its progress, roll it back.

Platform admins start and roll back rollouts; platform roles read them (they name namespaces of
every team). The plan is fixed when the rollout starts (``nsaas.domain.rollouts.plan``); the
worker does the moving (``nsaas.reconcile.rollouts``).
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from nsaas import metrics
from nsaas.domain import audit, errors, rollouts
from nsaas.services import ports
from nsaas.services.requests import Caller
from nsaas.services.templates import TemplateService, require_admin


@dataclass(frozen=True, slots=True)
class Progress:
    rollout: rollouts.Rollout
    #: Targets per (wave, state); wave None: skipped when planned.
    counts: dict[tuple[int | None, str], int]
    #: Targets that failed or were skipped, with why.
    problems: list[rollouts.Target]


class RolloutService:
    def __init__(self, *, store: ports.RolloutStore, templates: TemplateService) -> None:
        self.store = store
        self.templates = templates

    async def create(
        self,
        template: str,
        version: int,
        waves: Sequence[rollouts.Wave],
        caller: Caller,
        *,
        pause_seconds: float,
        max_failure_rate: float,
    ) -> Progress:
        """Plan and store a rollout of a published version; the worker starts it at once."""
        require_admin(caller, f"roll out template {template}", area="rollout")
        found = await self.templates.show(template, version)
        if found.state != "published":
            raise errors.Conflict(
                f"{template} version {version} is a draft; publish it first", details={"version": "not published"}
            )
        now = datetime.now(UTC)
        rollout = rollouts.Rollout(
            id=str(uuid.uuid4()),
            template=template,
            version=version,
            waves=tuple(waves),
            state="running",
            current_wave=0,
            pause_seconds=pause_seconds,
            max_failure_rate=max_failure_rate,
            next_at=now,
            created_at=now,
            created_by=caller.principal.subject,
            updated_at=now,
            reason="wave 1 starting",
        )
        stored, _ = await self.store.create(
            rollout,
            plan=functools.partial(rollouts.plan, waves=tuple(waves)),
            audit=caller.audit(
                audit.ROLLOUT_CREATE,
                rollout.id,
                target_type="rollout",
                detail=f"{template} version {version} in {len(waves)} wave(s)",
            ),
        )
        return await self._progress(stored)

    async def show(self, rollout_id: str, caller: Caller) -> Progress:
        _require_platform_reader(caller)
        return await self._progress(await self._get(rollout_id))

    async def list(self, caller: Caller) -> list[Progress]:
        _require_platform_reader(caller)
        return [await self._progress(r) for r in await self.store.list_rollouts()]

    async def rollback(self, rollout_id: str, caller: Caller) -> Progress:
        """Move every namespace the rollout moved back to the version it ran before."""
        require_admin(caller, "roll back a rollout", area="rollout")
        current = await self._get(rollout_id)
        if current.state in ("rolling-back", "rolled-back"):
            return await self._progress(current)
        now = datetime.now(UTC)
        wanted = dataclasses.replace(
            current,
            state="rolling-back",
            reason=f"rollback requested by {caller.principal.subject}",
            next_at=now,
            updated_at=now,
        )
        saved = await self.store.save(
            wanted,
            worker=None,
            was=current.state,
            audit=caller.audit(
                audit.ROLLOUT_ROLLBACK, rollout_id, target_type="rollout", detail=f"was {current.state}"
            ),
        )
        return await self._progress(saved)

    async def _get(self, rollout_id: str) -> rollouts.Rollout:
        found = await self.store.get(rollout_id)
        if found is None:
            raise errors.NotFound(f"no rollout {rollout_id}", details={"id": "not found"})
        return found

    async def _progress(self, rollout: rollouts.Rollout) -> Progress:
        problems = await self.store.targets(rollout.id, states=("failed", "skipped"), limit=200)
        return Progress(rollout=rollout, counts=await self.store.counts(rollout.id), problems=problems)


def _require_platform_reader(caller: Caller) -> None:
    if not caller.principal.can_see_all:
        metrics.AUTHZ_DENIALS.labels("rollout").inc()
        raise errors.PermissionDenied("only platform roles may read rollouts", details={"role": "platform role"})
