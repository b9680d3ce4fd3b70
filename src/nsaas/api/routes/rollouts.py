"""Rollout routes: platform admins start and roll back rollouts of a template version; platform roles read them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field

from nsaas.api import schemas
from nsaas.api.deps import CallerDep, RuntimeDep
from nsaas.domain import requests, rollouts, templates
from nsaas.services.rollouts import Progress

router = APIRouter(prefix="/api/platform/rollouts", tags=["rollouts"], responses=schemas.ERRORS)
RolloutId = Annotated[str, Path(max_length=36)]


class WaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    environments: Annotated[list[requests.Environment], Field(min_length=1, max_length=3)]
    #: Cumulative share of the namespaces in these environments moved once the wave is done.
    percent: Annotated[int, Field(ge=1, le=100)] = 100


class RolloutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: Annotated[str, Field(max_length=32)] = templates.STANDARD
    version: Annotated[int, Field(ge=1, le=templates.MAX_VERSION)]
    waves: Annotated[list[WaveIn], Field(min_length=1, max_length=rollouts.MAX_WAVES)]
    #: Wait between the end of one wave and the start of the next.
    pauseSeconds: Annotated[float, Field(ge=0, le=7 * 86400)] = 300
    #: A wave whose failed share exceeds this halts the rollout.
    maxFailureRate: Annotated[float, Field(ge=0, le=1)] = 0.1


class WaveOut(BaseModel):
    number: int
    environments: list[str]
    percent: int
    pending: int
    applied: int
    failed: int
    skipped: int
    rolledBack: int


class ProblemOut(BaseModel):
    namespace: str
    wave: int | None
    state: str
    error: str


class RolloutOut(BaseModel):
    id: str
    template: schemas.TemplateRef
    state: rollouts.State
    reason: str
    #: 1-based wave the rollout is at (or stopped at).
    currentWave: int
    waves: list[WaveOut]
    #: Namespaces skipped when the rollout was planned (pinned).
    skipped: int
    pauseSeconds: float
    maxFailureRate: float
    nextAt: datetime | None
    createdAt: datetime
    createdBy: str
    updatedAt: datetime
    problems: list[ProblemOut]


def rollout_out(progress: Progress) -> dict[str, Any]:
    rollout, counts = progress.rollout, progress.counts

    def count(wave: int | None, state: str) -> int:
        return counts.get((wave, state), 0)

    return {
        "id": rollout.id,
        "template": schemas.template_ref(templates.Ref(rollout.template, rollout.version)),
        "state": rollout.state,
        "reason": rollout.reason,
        "currentWave": rollout.current_wave + 1,
        "waves": [
            {
                "number": index + 1,
                "environments": list(wave.environments),
                "percent": wave.percent,
                "pending": count(index, "pending"),
                "applied": count(index, "applied"),
                "failed": count(index, "failed"),
                "skipped": count(index, "skipped"),
                "rolledBack": count(index, "rolled-back"),
            }
            for index, wave in enumerate(rollout.waves)
        ],
        "skipped": count(None, "skipped"),
        "pauseSeconds": rollout.pause_seconds,
        "maxFailureRate": rollout.max_failure_rate,
        "nextAt": rollout.next_at,
        "createdAt": rollout.created_at,
        "createdBy": rollout.created_by,
        "updatedAt": rollout.updated_at,
        "problems": [
            {
                "namespace": t.namespace,
                "wave": None if t.wave is None else t.wave + 1,
                "state": t.state,
                "error": t.error,
            }
            for t in progress.problems
        ],
    }


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=schemas.Envelope[RolloutOut])
async def create_rollout(rt: RuntimeDep, who: CallerDep, body: RolloutIn) -> dict[str, Any]:
    """Move the template's namespaces to a published version in waves (platform admins); the worker runs it."""
    waves = [rollouts.Wave(tuple(dict.fromkeys(w.environments)), w.percent) for w in body.waves]
    progress = await rt.rollouts.create(
        body.template,
        body.version,
        waves,
        who,
        pause_seconds=body.pauseSeconds,
        max_failure_rate=body.maxFailureRate,
    )
    return schemas.ok(rollout_out(progress))


@router.get("", response_model=schemas.Envelope[list[RolloutOut]])
async def list_rollouts(rt: RuntimeDep, who: CallerDep) -> dict[str, Any]:
    """The newest rollouts first (platform roles)."""
    return schemas.ok([rollout_out(p) for p in await rt.rollouts.list(who)])


@router.get("/{rollout_id}", response_model=schemas.Envelope[RolloutOut])
async def show_rollout(rt: RuntimeDep, who: CallerDep, rollout_id: RolloutId) -> dict[str, Any]:
    return schemas.ok(rollout_out(await rt.rollouts.show(rollout_id, who)))


@router.post(
    "/{rollout_id}/rollback", status_code=status.HTTP_202_ACCEPTED, response_model=schemas.Envelope[RolloutOut]
)
async def rollback(rt: RuntimeDep, who: CallerDep, rollout_id: RolloutId) -> dict[str, Any]:
    """Move every namespace this rollout moved back to the version it ran before (platform admins)."""
    return schemas.ok(rollout_out(await rt.rollouts.rollback(rollout_id, who)))
