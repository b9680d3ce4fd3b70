"""Ports: what the services need from the outside world, as Protocols.

Services depend on these, never on an adapter, so a use case can run against an in-memory fake
and the adapters (``nsaas.adapters.db.repository.Repository``, the event buses ...) can be
swapped without touching it. Everything crossing a port is a frozen record of
:mod:`nsaas.domain.records`, never an ORM row. Errors are :mod:`nsaas.domain.errors` types.

The storage port is split by concern so a service can ask for only what it uses;
:class:`Repository` is all of them together.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from nsaas.bundle import model
from nsaas.domain import changes, lifecycle, records, rollouts, teams, templates


class RequestStore(Protocol):
    """Namespace requests: the desired state users asked for."""

    async def create_request(
        self,
        new: records.NewRequest,
        *,
        event: records.NewEvent,
        audit: records.NewAudit,
        idempotency: records.IdempotencyClaim | None = None,
        capacity: teams.CapacityCheck | None = None,
    ) -> records.RequestRecord:
        """One transaction: the request, its first event, its audit record, the idempotency entry.

        Conflict (details ``namespaceName``) when a live request has the name. ``capacity`` is
        called under the team's lock with its registry entry and live tiers; what it raises aborts.
        """
        ...

    async def update(
        self,
        request_id: str,
        *,
        change: changes.Change,
        expected_version: int | None = None,
        expected_generation: int | None = None,
        event: records.NewEvent | None = None,
        audit: records.NewAudit | None = None,
        lease_owner: str | None = None,
        capacity: teams.CapacityCheck | None = None,
    ) -> records.RequestRecord:
        """PreconditionFailed on a stale version or generation (the user's ETag), InvalidTransition
        on an illegal status change, Conflict when ``lease_owner`` is given and does not hold the
        lease, NotFound. ``capacity`` runs under the team's lock (a tier change: the budget)."""
        ...

    async def get(self, request_id: str) -> records.RequestRecord: ...

    async def ended_requests(self, request_ids: Sequence[str]) -> list[records.RequestRecord]:
        """The requests among ``request_ids`` whose status is terminal; unknown ids are left out."""
        ...

    async def find_live_by_name(self, name: str) -> records.RequestRecord | None: ...

    async def get_latest_by_name(self, name: str) -> records.RequestRecord | None: ...

    async def list_requests(
        self,
        *,
        teams: Sequence[str] | None = None,
        team: str | None = None,
        environment: str | None = None,
        status: lifecycle.Status | Sequence[lifecycle.Status] | None = None,
        tier: str | None = None,
        name_contains: str | None = None,
        offset: int = 0,
        limit: int = 50,
        sort: str | None = None,
        cursor: str | None = None,
    ) -> records.RequestPage: ...

    async def team_usage(self, team: str, *, exclude_id: str | None = None) -> list[str]: ...

    async def count_created_by(self, subject: str, *, since: datetime) -> int: ...

    async def expiring(self, *, before: datetime, limit: int = 100) -> list[records.RequestRecord]: ...


class WorkQueue(Protocol):
    """How reconciler replicas share work: leases on requests, taken atomically."""

    async def claim_due(
        self, *, worker: str, now: datetime, limit: int, lease_seconds: float
    ) -> list[records.RequestRecord]: ...

    async def extend_lease(self, request_id: str, *, worker: str, lease_seconds: float) -> records.RequestRecord: ...

    async def release(
        self,
        request_id: str,
        *,
        worker: str,
        change: changes.Change | None = None,
        event: records.NewEvent | None = None,
        audit: records.NewAudit | None = None,
        expected_version: int | None = None,
    ) -> records.RequestRecord:
        """Write the outcome and drop the lease; Conflict if ``worker`` lost the lease,
        PreconditionFailed if the request changed since ``expected_version``."""
        ...

    async def due_count(self, now: datetime) -> int: ...


class EventLog(Protocol):
    """The timeline of every request; ids are the SSE event ids and grow in commit order."""

    async def add_event(self, request_id: str, event: records.NewEvent) -> records.EventRecord: ...

    async def events_after(
        self,
        *,
        after_id: int,
        request_id: str | None = None,
        teams: Sequence[str] | None = None,
        limit: int = 500,
    ) -> list[records.EventRecord]: ...

    async def timeline(self, request_id: str) -> list[records.EventRecord]: ...

    async def recent_events(
        self, *, teams: Sequence[str] | None, kinds: Sequence[str], limit: int = 20
    ) -> list[records.EventRecord]: ...

    async def latest_event_id(self) -> int: ...


class AuditLog(Protocol):
    async def add_audit(self, entry: records.NewAudit) -> records.AuditRecord: ...

    async def list_audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
        team: str | None = None,
    ) -> tuple[list[records.AuditRecord], int]: ...

    async def audit_before(
        self, where: records.AuditQuery, *, before_id: int | None, limit: int
    ) -> list[records.AuditRecord]: ...

    async def audit_facets(self) -> dict[str, list[str]]: ...


class IdempotencyStore(Protocol):
    """Idempotency-Key entries: reserved before a create, completed by it (``create_request``), purged by age."""

    async def idempotency_reserve(self, owner: str, key: str, *, body_hash: str) -> records.IdempotencyRecord | None:
        """Reserve a key; the completed entry to replay, or IdempotencyInUse / IdempotencyMismatch."""
        ...

    async def idempotency_unreserve(self, owner: str, key: str) -> None: ...

    async def idempotency_purge(self) -> int: ...


class AnalyticsStore(Protocol):
    async def counts(self, *, teams: Sequence[str] | None = None) -> records.RequestCounts: ...

    async def created_per_day(self, *, days: int, teams: Sequence[str] | None = None) -> list[records.DailyCount]: ...

    async def provisioning_durations(
        self, *, limit: int | None = None, since: datetime | None = None, teams: Sequence[str] | None = None
    ) -> list[float]: ...

    async def outcomes(
        self, *, since: datetime | None = None, teams: Sequence[str] | None = None
    ) -> records.ProvisioningOutcomes: ...

    async def breakdown(self, *, teams: Sequence[str] | None = None) -> list[records.Allocation]: ...

    async def live_allocation(self, *, teams: Sequence[str] | None = None) -> list[records.Allocation]: ...


class Reachable(Protocol):
    async def ping(self) -> None:
        """Raises when the store cannot be reached."""
        ...


class Repository(RequestStore, WorkQueue, EventLog, AuditLog, IdempotencyStore, AnalyticsStore, Reachable, Protocol):
    """Everything the platform stores."""


class TeamStore(Protocol):
    """The team registry (:mod:`nsaas.domain.teams`)."""

    async def team(self, name: str) -> teams.TeamRecord | None: ...

    async def list_teams(self, *, names: Sequence[str] | None = None) -> list[teams.TeamRecord]: ...

    async def memberships(self, groups: Sequence[str]) -> list[tuple[str, teams.GroupKind]]: ...

    async def create_team(
        self, name: str, settings: teams.TeamSettings, *, actor: str, audit: records.NewAudit
    ) -> teams.TeamRecord:
        """Conflict (details ``name``) when the team is registered already."""
        ...

    async def update_team(
        self,
        name: str,
        settings: teams.TeamSettings,
        *,
        actor: str,
        audit: records.NewAudit,
        expected_version: int | None = None,
    ) -> teams.TeamRecord:
        """NotFound, or PreconditionFailed when ``expected_version`` is stale."""
        ...


class EventBus(Protocol):
    """Wakes SSE streams when events with ids up to N were committed (in process or via NOTIFY)."""

    async def publish(self, event_id: int) -> None: ...

    def subscribe(self) -> contextlib.AbstractAsyncContextManager[asyncio.Queue[int]]: ...

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...


class ResourceUsage(Protocol):
    @property
    def used(self) -> Decimal: ...

    @property
    def hard(self) -> Decimal: ...

    @property
    def ratio(self) -> float: ...


class Observation(Protocol):
    """The live state of one bundle (``nsaas.adapters.kube.results.Observation``)."""

    @property
    def phase(self) -> str | None: ...

    @property
    def digest(self) -> str | None: ...

    @property
    def quota(self) -> Mapping[str, ResourceUsage]: ...

    @property
    def missing(self) -> tuple[str, ...]: ...

    @property
    def drifted(self) -> tuple[str, ...]: ...

    @property
    def matches(self) -> bool: ...


class ApplyResult(Protocol):
    @property
    def applied(self) -> tuple[str, ...]: ...

    @property
    def pruned(self) -> tuple[str, ...]: ...

    @property
    def failed(self) -> Mapping[str, str]: ...

    @property
    def ok(self) -> bool: ...

    @property
    def cluster_unavailable(self) -> bool: ...


class NamespaceInfo(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def phase(self) -> str | None: ...

    @property
    def labels(self) -> Mapping[str, str]: ...

    @property
    def annotations(self) -> Mapping[str, str]: ...


class Cluster(Protocol):
    """The Kubernetes API as the services use it (``nsaas.adapters.kube.cluster.Cluster``)."""

    async def apply(self, *, bundle: model.Bundle, prune: bool = True) -> ApplyResult: ...

    async def observe(self, *, bundle: model.Bundle) -> Observation: ...

    async def delete_by_selector(self, *, bundle: model.Bundle) -> tuple[str, ...]: ...

    async def namespace_info(self, name: str) -> NamespaceInfo | None: ...

    async def list_namespaces(self, *, labels: Mapping[str, str]) -> Sequence[NamespaceInfo]: ...

    async def delete_namespace(
        self, *, name: str, request_id: str, managed_label: tuple[str, str], request_id_label: str
    ) -> bool: ...

    async def apply_object(self, *, manifest: Mapping[str, Any], dry_run: bool = False) -> dict[str, Any]: ...

    async def get_object(
        self, *, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None: ...

    async def create_workflow(self, *, manifest: Mapping[str, Any]) -> dict[str, Any]: ...

    async def get_workflow(self, *, namespace: str, name: str) -> dict[str, Any] | None: ...

    async def missing_api_versions(self, required: Iterable[str]) -> list[str]: ...

    async def ping(self) -> bool: ...

    async def quota_usage(self, *, labels: Mapping[str, str]) -> Mapping[str, Mapping[str, ResourceUsage]]: ...


class NamespaceRequestResources(Protocol):
    """GitOps NamespaceRequest objects in one namespace: read, watched, only their status written."""

    async def list_namespace_requests(self, *, namespace: str) -> list[dict[str, Any]]: ...

    def watch_namespace_requests(self, *, namespace: str) -> AsyncIterator[WatchedObject]: ...

    async def write_namespace_request_status(self, *, namespace: str, name: str, status: Mapping[str, Any]) -> None: ...


class WatchedObject(Protocol):
    @property
    def type(self) -> str: ...

    @property
    def object(self) -> dict[str, Any]: ...


class TemplateStore(Protocol):
    """Stored bundle template versions (:mod:`nsaas.domain.templates`); version 1 is built in, never stored."""

    async def version(self, name: str, version: int) -> templates.TemplateVersion | None: ...

    async def versions(self, name: str) -> list[templates.TemplateVersion]: ...

    async def current(self, name: str) -> int:
        """The newest published version (the built-in one when none is)."""
        ...

    async def create_version(
        self,
        name: str,
        parameters: templates.BundleParameters,
        *,
        version: int | None,
        description: str,
        actor: str,
        audit: records.NewAudit,
    ) -> tuple[templates.TemplateVersion, bool]:
        """(version, created): the same document again is (existing, False); Conflict otherwise."""
        ...

    async def publish(
        self, name: str, version: int, *, actor: str, audit: records.NewAudit
    ) -> templates.TemplateVersion: ...


class TemplateResolver(Protocol):
    """What rendering needs of templates (:class:`nsaas.services.templates.Resolver`)."""

    async def parameters(self, ref: templates.Ref) -> templates.BundleParameters | None:
        """None for the built-in version (the settings)."""
        ...

    async def current(self, name: str = templates.STANDARD) -> int:
        """The version a new namespace gets."""
        ...


class RolloutStore(Protocol):
    """Rollouts and their planned targets (:mod:`nsaas.domain.rollouts`)."""

    async def create(
        self,
        rollout: rollouts.Rollout,
        *,
        plan: Callable[[list[rollouts.Candidate]], list[rollouts.Assignment]],
        audit: records.NewAudit,
    ) -> tuple[rollouts.Rollout, list[rollouts.Target]]:
        """Conflict when another rollout of the template is under way."""
        ...

    async def get(self, rollout_id: str) -> rollouts.Rollout | None: ...

    async def list_rollouts(self, *, limit: int = 50) -> list[rollouts.Rollout]: ...

    async def targets(
        self,
        rollout_id: str,
        *,
        wave: int | None = None,
        states: Sequence[rollouts.TargetState] | None = None,
        limit: int | None = None,
    ) -> list[rollouts.Target]: ...

    async def counts(self, rollout_id: str) -> dict[tuple[int | None, str], int]: ...

    async def count_in(self, states: Sequence[rollouts.State]) -> int: ...

    async def claim(self, *, worker: str, now: datetime, lease_seconds: float) -> rollouts.Rollout | None: ...

    async def save(
        self,
        rollout: rollouts.Rollout,
        *,
        worker: str | None,
        was: rollouts.State | None = None,
        audit: records.NewAudit | None = None,
    ) -> rollouts.Rollout:
        """Conflict when ``worker`` lost the lease or the state is no longer ``was``."""
        ...

    async def set_target(self, target: rollouts.Target) -> None: ...
