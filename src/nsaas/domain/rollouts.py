"""Rollouts: moving existing namespaces to a bundle template version in waves. Pure: no I/O.

A rollout is planned once, when it is created: every live namespace on another version of the
template gets a wave (or is skipped because it is pinned). Each wave names environments and a
*cumulative* percentage of the namespaces in them: ``[{development 100}, {production 25},
{production 100}]`` moves every development namespace, then a quarter of production, then the
rest. Within an environment the order is the namespace name, so a plan is reproducible.

The worker then moves one wave at a time (``nsaas.reconcile.rollouts``). After each wave it
compares the wave's failure rate with ``max_failure_rate``: above it the rollout halts; otherwise
it waits ``pause_seconds`` and starts the next wave. A rollback moves every namespace the
rollout moved back to the version it ran before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

State = Literal["running", "halted", "completed", "rolling-back", "rolled-back"]
#: States the worker acts on.
ACTIVE: tuple[State, ...] = ("running", "rolling-back")
TargetState = Literal["pending", "applied", "failed", "skipped", "rolled-back"]
TARGET_STATES: tuple[TargetState, ...] = ("pending", "applied", "failed", "skipped", "rolled-back")
MAX_WAVES = 20


@dataclass(frozen=True, slots=True)
class Wave:
    environments: tuple[str, ...]
    #: Cumulative share (1-100) of the namespaces in ``environments`` moved once this wave is done.
    percent: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """A live namespace on another version of the template, as the plan sees it."""

    request_id: str
    name: str
    environment: str
    version: int
    pinned: bool


@dataclass(frozen=True, slots=True)
class Assignment:
    request_id: str
    name: str
    #: 0-based wave; None when the namespace is skipped.
    wave: int | None
    from_version: int
    state: TargetState
    note: str = ""


@dataclass(frozen=True, slots=True)
class Rollout:
    id: str
    template: str
    version: int
    waves: tuple[Wave, ...]
    state: State
    current_wave: int
    pause_seconds: float
    max_failure_rate: float
    next_at: datetime | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    rollout_id: str
    request_id: str
    namespace: str
    wave: int | None
    from_version: int
    state: TargetState
    error: str = ""


def plan(candidates: Sequence[Candidate], waves: Sequence[Wave]) -> list[Assignment]:
    """Each candidate's wave (cumulative percentages per environment), pinned ones skipped."""
    found: list[Assignment] = []
    taken: set[str] = set()
    for candidate in candidates:
        if candidate.pinned:
            found.append(Assignment(candidate.request_id, candidate.name, None, candidate.version, "skipped", "pinned"))
            taken.add(candidate.request_id)
    for index, wave in enumerate(waves):
        for environment in wave.environments:
            pool = sorted(
                (c for c in candidates if c.environment == environment and not c.pinned), key=lambda c: c.name
            )
            upto = math.ceil(len(pool) * wave.percent / 100)
            for candidate in pool[:upto]:
                if candidate.request_id not in taken:
                    taken.add(candidate.request_id)
                    found.append(Assignment(candidate.request_id, candidate.name, index, candidate.version, "pending"))
    return found


def failure_rate(targets: Sequence[Target]) -> float:
    """Failed over settled (applied or failed) targets; 0 when none settled."""
    settled = [t for t in targets if t.state in ("applied", "failed", "rolled-back")]
    if not settled:
        return 0.0
    return sum(1 for t in settled if t.state == "failed") / len(settled)
