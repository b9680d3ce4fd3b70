"""Provisioning engines: how a rendered bundle reaches the cluster, and how a namespace goes away.

Every engine satisfies :class:`Engine` and is driven by the level-triggered reconciler, so it
must be safe to call again after a crash at any point. It reports :class:`Progress` and never
writes to the database itself. :func:`build` is the registry: the one place that maps the engine
names of :data:`nsaas.domain.records.ENGINE_NAMES` to implementations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from nsaas import config
from nsaas.bundle import model
from nsaas.domain import errors, records
from nsaas.services import ports

Outcome = Literal["done", "waiting", "failed"]


@dataclass(frozen=True, slots=True)
class Step:
    """One step for the timeline: a workflow node or a phase of a direct apply."""

    name: str
    phase: str
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Progress:
    outcome: Outcome
    message: str = ""
    steps: tuple[Step, ...] = ()
    #: A failure that another attempt cannot fix (e.g. the namespace belongs to someone else).
    permanent: bool = False
    #: A failure only because the cluster was unreachable: retried without using up the attempts.
    unavailable: bool = False
    workflow: str | None = None
    #: The platform itself just server-side applied every object successfully (with force), so
    #: each holds the platform's values: only the namespace phase is left to verify.
    applied: bool = False

    @classmethod
    def done(cls, message: str = "", *steps: Step, workflow: str | None = None, applied: bool = False) -> Progress:
        return cls("done", message, steps, workflow=workflow, applied=applied)

    @classmethod
    def waiting(cls, message: str = "", *steps: Step, workflow: str | None = None) -> Progress:
        return cls("waiting", message, steps, workflow=workflow)

    @classmethod
    def failed(
        cls,
        message: str,
        *steps: Step,
        permanent: bool = False,
        unavailable: bool = False,
        workflow: str | None = None,
    ) -> Progress:
        return cls("failed", message, steps, permanent=permanent, unavailable=unavailable, workflow=workflow)


class Engine(Protocol):
    """What the reconciler asks of an engine; both calls are idempotent."""

    @property
    def name(self) -> records.EngineName: ...

    async def provision(self, *, record: records.RequestRecord, bundle: model.Bundle) -> Progress: ...

    async def decommission(self, *, record: records.RequestRecord, bundle: model.Bundle) -> Progress: ...


def build(*, settings: config.Settings, cluster: ports.Cluster) -> dict[records.EngineName, Engine]:
    """Every engine, by name (the registry)."""
    from nsaas.reconcile.engines import argo, direct  # the implementations import this module

    built: list[Engine] = [
        direct.DirectEngine(settings=settings, cluster=cluster),
        argo.ArgoEngine(settings=settings, cluster=cluster),
    ]
    engines = {engine.name: engine for engine in built}
    assert set(engines) == set(records.ENGINE_NAMES), "every engine name has exactly one implementation"
    return engines


def for_record(record: records.RequestRecord, engines: Mapping[records.EngineName, Engine]) -> Engine:
    """The engine a request was stored with (it keeps it for life, whatever the default becomes)."""
    for name, engine in engines.items():
        if name == record.engine:
            return engine
    raise errors.ConfigurationError(f"unknown engine {record.engine!r}")
