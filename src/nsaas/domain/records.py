"""Stored facts as plain frozen dataclasses: what the repository returns and accepts.

Services and entrypoints never see database rows or ORM objects: the persistence adapter turns
rows into these records, so a service can be tested with an in-memory fake of the ports in
:mod:`nsaas.services.ports` and the storage engine can change without touching use cases.
Every datetime here is timezone-aware UTC.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args

from nsaas.domain import lifecycle, requests, templates

EventKind = Literal["status", "step", "drift", "warning", "info"]
AuditOutcome = Literal["success", "denied", "failed"]
EngineName = Literal["direct", "argo"]
ENGINE_NAMES: tuple[EngineName, ...] = get_args(EngineName)

#: Columns that only schedule or guard the reconciler's work. Writes that touch nothing else do
#: not bump ``version`` (the ETag users hold), so a claim never makes a user's edit fail with 412.
BOOKKEEPING_FIELDS = frozenset({"lease_owner", "lease_expires_at", "next_attempt_at", "last_resync_at"})


def new_request_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One namespace request as stored: the desired spec plus everything the platform tracks."""

    id: str
    name: str
    team: str
    environment: str
    tier: str
    network_policy: str
    #: The desired spec; how it is stored is the database adapter's business.
    spec: requests.NamespaceSpec
    status: lifecycle.Status
    status_reason: str
    #: The terminal state decommissioning ends in (deleted, expired, cancelled); None otherwise.
    end_state: lifecycle.Status | None
    #: Optimistic-concurrency counter (the ETag); bumps on every user-visible write.
    version: int
    #: Bumps whenever the desired spec changes; the argo engine names workflows after it.
    generation: int
    observed_generation: int
    applied_digest: str | None
    engine: str
    requested_by: str
    approved_by: str | None
    approved_at: datetime | None
    rejection_reason: str | None
    created_at: datetime
    updated_at: datetime
    ready_at: datetime | None
    expires_at: datetime | None
    deleted_at: datetime | None
    #: Failed attempts in a row (reset by the reconciler on success).
    attempts: int
    #: When the reconciler should look next; None means not due.
    next_attempt_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_error: str | None
    last_resync_at: datetime | None
    #: TTL warnings already sent, as hours before expiry.
    warnings_sent: tuple[int, ...]
    workflow_name: str | None
    #: W3C traceparent of the call that created the request (tracing links the runs to it).
    traceparent: str | None = None
    #: Who owns the desired state: ``api`` or ``gitops`` (:mod:`nsaas.domain.sources`).
    source: str = "api"
    #: The owning NamespaceRequest (``<namespace>/<name>``) of a GitOps request.
    source_ref: str | None = None
    #: The bundle template version the namespace runs (:mod:`nsaas.domain.templates`).
    template_name: str = templates.STANDARD
    template_version: int = 1
    #: A pinned namespace stays on its version: rollouts skip it.
    template_pinned: bool = False

    @property
    def template(self) -> templates.Ref:
        return templates.Ref(self.template_name, self.template_version)

    @property
    def spec_obj(self) -> requests.NamespaceSpec:
        """The spec (kept for callers written when ``spec`` was the API-shaped mapping)."""
        return self.spec

    @property
    def live(self) -> bool:
        return self.status in lifecycle.LIVE


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A request about to be stored; the name, team, tier ... columns are taken from ``spec``."""

    spec: requests.NamespaceSpec
    status: lifecycle.Status
    engine: EngineName
    requested_by: str
    id: str = field(default_factory=new_request_id)
    status_reason: str = ""
    approved_by: str | None = None
    approved_at: datetime | None = None
    expires_at: datetime | None = None
    next_attempt_at: datetime | None = None
    traceparent: str | None = None
    source: str = "api"
    source_ref: str | None = None
    template_version: int = 1


@dataclass(frozen=True, slots=True)
class NewEvent:
    """Something that happened to a request; the repository adds the request, time and id.

    ``status`` defaults to the request's status after the write that records the event.
    """

    kind: EventKind
    message: str
    status: lifecycle.Status | None = None
    step: str | None = None
    phase: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventRecord:
    #: Strictly increasing in commit order: usable as the SSE event id / Last-Event-ID.
    id: int
    request_id: str
    namespace: str
    team: str
    at: datetime
    kind: EventKind
    status: lifecycle.Status
    step: str | None
    phase: str | None
    message: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NewAudit:
    """Who did what to which object, and how it ended.

    When ``before`` and ``after`` are both None on a request write, the repository fills them
    with the old and new values of the changed fields.
    """

    actor: str
    action: str
    target_type: str
    target: str
    outcome: AuditOutcome = "success"
    roles: Sequence[str] = ()
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    correlation_id: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which audit records to read: every field that is set must match (times are inclusive bounds)."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    roles: tuple[str, ...]
    action: str
    target_type: str
    target: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    correlation_id: str | None
    source_ip: str | None
    user_agent: str | None
    outcome: AuditOutcome
    detail: str


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """Store the response of a create under ``(owner, key)`` in the create's own transaction."""

    owner: str
    key: str
    body_hash: str
    status_code: int = 201
    #: The answer a replay of the key gets (rendered by the API layer before the write).
    response: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    owner: str
    key: str
    body_hash: str
    status_code: int
    response: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RequestCounts:
    """Requests grouped by each dimension, counted by the database."""

    total: int
    by_status: Mapping[str, int]
    by_team: Mapping[str, int]
    by_environment: Mapping[str, int]
    by_tier: Mapping[str, int]

    @classmethod
    def tally(cls, rows: Iterable[Allocation]) -> RequestCounts:
        """The per-dimension counts of grouped rows (one GROUP BY query instead of one per dimension)."""
        dimensions: dict[str, dict[str, int]] = {"status": {}, "team": {}, "environment": {}, "tier": {}}
        for row in rows:
            for name, counted in dimensions.items():
                key = getattr(row, name)
                counted[key] = counted.get(key, 0) + row.count
        return cls(
            total=sum(dimensions["status"].values()),
            by_status=dimensions["status"],
            by_team=dimensions["team"],
            by_environment=dimensions["environment"],
            by_tier=dimensions["tier"],
        )


@dataclass(frozen=True, slots=True)
class RequestPage:
    """One page of a request list: the total is None on pages read after a cursor (not counted)."""

    items: list[RequestRecord]
    total: int | None
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class DailyCount:
    day: date
    count: int


@dataclass(frozen=True, slots=True)
class ProvisioningOutcomes:
    """Requests that reached ready at least once vs. requests that failed without ever being ready."""

    succeeded: int
    failed: int

    @property
    def success_rate(self) -> float | None:
        total = self.succeeded + self.failed
        return None if total == 0 else self.succeeded / total


@dataclass(frozen=True, slots=True)
class Allocation:
    """How many requests share one (status, team, environment, tier)."""

    status: str
    team: str
    environment: str
    tier: str
    count: int
