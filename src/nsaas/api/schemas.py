"""Public shapes of the API (OpenAPI), kept apart from storage records and domain objects.

The request bodies' models are :mod:`nsaas.services.bodies` (the API, GitOps and the CLI
validate with them; OpenAPI publishes them). The models here describe every response, so
schemathesis can check that the service answers what it documents, and the functions at the end
render records and service results into them: the wire format lives here and nowhere below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from nsaas.bundle import model, render
from nsaas.domain import cost, lifecycle, records, requests, templates
from nsaas.services import access, analytics, bodies, inspect
from nsaas.services import requests as request_service

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    success: bool = True
    data: T
    timestamp: datetime


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data, "timestamp": datetime.now(UTC)}


class ErrorBody(BaseModel):
    success: Literal[False] = False
    error: str
    message: str
    details: dict[str, str] = Field(default_factory=dict)
    requestId: str | None = None
    timestamp: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "Invalid input: every failing field is named in details",
        401: "Missing or invalid credentials",
        403: "Authenticated but not allowed",
        404: "Not found (or not visible to you)",
        409: "Conflicts with the current state",
        412: "If-Match does not match the current generation (the spec changed since it was read)",
        413: "Request body too large",
        422: "Refused by platform policy, or an Idempotency-Key reused with another body",
        429: "Rate limited; see Retry-After",
        503: "The database or the cluster is unavailable for now; see Retry-After",
    }.items()
}


NamespaceRequestIn = bodies.NamespaceRequestIn
NamespacePatchIn = bodies.NamespacePatchIn


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=1000)


class TemplateRef(BaseModel):
    """The bundle template version a namespace runs (``GET /api/platform/templates/{name}``)."""

    name: str
    version: int


class Accepted(BaseModel):
    requestId: str
    namespaceName: str
    status: str
    statusUrl: str
    estimatedSeconds: int
    needsApproval: bool
    #: null only in an answer stored for an Idempotency-Key before templates existed.
    template: TemplateRef | None = None


class NamespaceSummary(BaseModel):
    requestId: str
    name: str
    team: str
    environment: str
    tier: str
    networkPolicy: str
    features: list[str]
    status: str
    statusReason: str
    engine: str
    requestedBy: str
    approvedBy: str | None
    createdAt: datetime
    updatedAt: datetime
    readyAt: datetime | None
    expiresAt: datetime | None
    #: Moves on every stored change, status included.
    version: int
    #: Moves only when the spec (what users edit) changes: the ETag.
    generation: int
    #: Ready, but the newest change is not in the cluster yet (e.g. the cluster was unreachable).
    changePending: bool
    description: str
    costCenter: str
    source: Literal["api", "gitops"]
    sourceRef: str | None
    template: TemplateRef
    #: Pinned namespaces stay on their template version: rollouts skip them.
    templatePinned: bool


class Page(BaseModel):
    items: list[NamespaceSummary]
    #: Matching rows, counted on a first (or offset) page; null on a page read after a cursor.
    total: int | None
    offset: int
    limit: int
    #: The cursor of the following page (pass it as ``cursor``), null on the last page.
    next: str | None = None


class Event(BaseModel):
    id: int
    requestId: str
    namespace: str
    team: str
    at: datetime
    kind: str
    status: str
    step: str | None
    phase: str | None
    message: str
    data: dict[str, Any]


class QuotaLine(BaseModel):
    resource: str
    used: str
    hard: str
    ratio: float | None


class CostOut(BaseModel):
    tier: str
    currency: str
    estimatedMonthly: float
    breakdown: dict[str, float]
    isEstimate: bool
    basis: str


class NamespaceDetail(NamespaceSummary):
    cluster: dict[str, Any]
    quota: list[QuotaLine]
    networkPolicySummary: str
    featureSummary: dict[str, str]
    cost: CostOut
    timeline: list[Event]
    lastError: str | None
    rbacConfig: dict[str, Any] | None
    attempts: int = 0
    maxAttempts: int = 0
    rootCause: str | None = None
    #: The cluster cannot be reached: the request waits and retries without using up its attempts.
    waitingForCluster: bool = False
    allowedActions: list[str] = Field(default_factory=list, description="actions this caller may take now")
    deniedActions: dict[str, str] = Field(
        default_factory=dict, description="actions of this state the caller may not take, with the reason"
    )


class RequestStatus(BaseModel):
    requestId: str
    namespaceName: str
    status: str
    statusReason: str
    lastError: str | None
    attempts: int
    timeline: list[Event]


class Preview(BaseModel):
    allowed: bool
    violations: dict[str, str]
    needsApproval: bool
    cost: CostOut
    bundle: dict[str, Any]
    yaml: str


class AccessCluster(BaseModel):
    name: str
    server: str


class AccessSnippet(BaseModel):
    title: str
    command: str


class AccessRole(BaseModel):
    role: Literal["admin", "edit", "view"]
    subjects: list[str]


class AccessOut(BaseModel):
    """kubectl access to one namespace (the connect panel and ``nsaas ns connect``)."""

    namespace: str
    cluster: AccessCluster
    context: str
    kubeconfig: str
    authentication: Literal["kubelogin", "dev"]
    snippets: list[AccessSnippet]
    roles: list[AccessRole]


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    roles: list[str]
    action: str
    targetType: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    correlationId: str | None
    sourceIp: str | None
    userAgent: str | None
    outcome: str
    detail: str


class AuditPage(BaseModel):
    items: list[AuditEntry]
    total: int
    offset: int
    limit: int


def summary(record: records.RequestRecord) -> dict[str, Any]:
    spec = record.spec
    return {
        "requestId": record.id,
        "name": record.name,
        "team": record.team,
        "environment": record.environment,
        "tier": record.tier,
        "networkPolicy": record.network_policy,
        "features": list(spec.features),
        "status": str(record.status),
        "statusReason": record.status_reason,
        "engine": record.engine,
        "requestedBy": record.requested_by,
        "approvedBy": record.approved_by,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
        "readyAt": record.ready_at,
        "expiresAt": record.expires_at,
        "version": record.version,
        "generation": record.generation,
        "changePending": record.status == lifecycle.Status.READY and record.observed_generation < record.generation,
        "description": spec.description,
        "costCenter": spec.cost_center,
        "source": record.source,
        "sourceRef": record.source_ref,
        "template": template_ref(record.template),
        "templatePinned": record.template_pinned,
    }


def template_ref(ref: templates.Ref) -> dict[str, Any]:
    return {"name": ref.name, "version": ref.version}


def event(record: records.EventRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "requestId": record.request_id,
        "namespace": record.namespace,
        "team": record.team,
        "at": record.at,
        "kind": record.kind,
        "status": str(record.status),
        "step": record.step,
        "phase": record.phase,
        "message": record.message,
        "data": dict(record.data),
    }


def audit(record: records.AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.at,
        "actor": record.actor,
        "roles": list(record.roles),
        "action": record.action,
        "targetType": record.target_type,
        "target": record.target,
        "before": dict(record.before) if record.before is not None else None,
        "after": dict(record.after) if record.after is not None else None,
        "correlationId": record.correlation_id,
        "sourceIp": record.source_ip,
        "userAgent": record.user_agent,
        "outcome": record.outcome,
        "detail": record.detail,
    }


def estimate(value: cost.Estimate) -> dict[str, Any]:
    return {
        "tier": value.tier,
        "currency": value.currency,
        "estimatedMonthly": float(value.monthly),
        "breakdown": {"cpu": float(value.cpu), "memory": float(value.memory), "storage": float(value.storage)},
        "isEstimate": True,
        "basis": value.basis,
    }


def bundle(value: model.Bundle) -> dict[str, Any]:
    return {"digest": value.digest, "manifests": list(value.manifests)}


def preview(value: request_service.Preview) -> dict[str, Any]:
    return {
        "allowed": value.allowed,
        "violations": dict(value.violations),
        "needsApproval": value.needs_approval,
        "cost": estimate(value.estimate),
        "bundle": bundle(value.bundle),
        "yaml": render.to_yaml(value.bundle),
    }


def rbac(spec: requests.NamespaceSpec) -> dict[str, Any] | None:
    return None if spec.rbac is None else bodies.body_of(spec)["rbacConfig"]


def cluster_view(view: inspect.ClusterView) -> dict[str, Any]:
    if not view.observed:
        return {"observed": False} if view.error is None else {"observed": False, "error": view.error}
    return {
        "observed": True,
        "exists": view.exists,
        "phase": view.phase,
        "matches": view.matches,
        "missing": list(view.missing),
        "drifted": list(view.drifted),
        "appliedDigest": view.applied_digest,
        "desiredDigest": view.desired_digest,
        "objects": view.objects,
    }


def detail(value: inspect.Detail, facts: request_service.StateFacts) -> dict[str, Any]:
    record = value.record
    return {
        **summary(record),
        "cluster": cluster_view(value.cluster),
        "quota": [{"resource": q.resource, "used": q.used, "hard": q.hard, "ratio": q.ratio} for q in value.quota],
        "networkPolicySummary": value.network_policy_summary,
        "featureSummary": dict(value.feature_summary),
        "cost": estimate(value.estimate),
        "timeline": [event(e) for e in value.timeline],
        "lastError": record.last_error,
        "rbacConfig": rbac(record.spec_obj),
        "attempts": facts.attempts,
        "maxAttempts": facts.max_attempts,
        "rootCause": facts.root_cause,
        "waitingForCluster": facts.waiting_for_cluster,
        "allowedActions": list(facts.actions.allowed),
        "deniedActions": dict(facts.actions.denied),
    }


def usage(value: analytics.Usage) -> dict[str, Any]:
    counts = value.counts
    return {
        "total": counts.total,
        "byStatus": dict(counts.by_status),
        "byTeam": dict(counts.by_team),
        "byEnvironment": dict(counts.by_environment),
        "byTier": dict(counts.by_tier),
        "createdPerDay": [{"day": d.day.isoformat(), "count": d.count} for d in value.per_day],
        "days": value.days,
    }


def reserved(value: analytics.Reserved | None) -> dict[str, float]:
    if value is None:
        return {}
    return {
        "cpu": float(value.cpu),
        "memoryGi": float(value.memory_gi),
        "storageGi": float(value.storage_gi),
        "namespaces": float(value.namespaces),
    }


def resources(value: analytics.Resources) -> dict[str, Any]:
    return {
        "basis": value.basis,
        "byTeam": {t: reserved(r) for t, r in value.by_team.items()},
        "byEnvironment": {e: reserved(r) for e, r in value.by_environment.items()},
    }


def costs(value: analytics.Costs) -> dict[str, Any]:
    return {
        "isEstimate": True,
        "currency": value.currency,
        "basis": value.basis,
        "totalMonthly": float(value.total),
        "byTeam": {t: float(v) for t, v in value.by_team.items()},
        "byTier": {t: float(v) for t, v in value.by_tier.items()},
    }


def teams(value: analytics.Teams) -> dict[str, Any]:
    return {
        "teams": [
            {
                "team": line.team,
                "requests": line.requests,
                "reserved": reserved(line.reserved),
                "estimatedMonthly": float(line.monthly),
            }
            for line in value.lines
        ],
        "costBasis": value.cost_basis,
    }


def dashboard(value: analytics.Dashboard) -> dict[str, Any]:
    counts, outcomes, durations = value.counts, value.outcomes, value.durations
    return {
        "total": counts.total,
        "byStatus": dict(counts.by_status),
        "pendingApprovals": counts.by_status.get("pending-approval", 0),
        "provisioning": {
            "succeeded": outcomes.succeeded,
            "failed": outcomes.failed,
            "successRate": outcomes.success_rate,
            "samples": len(durations),
            "p50Seconds": value.percentile(50),
            "p95Seconds": value.percentile(95),
            "maxSeconds": round(max(durations), 3) if durations else None,
        },
        "costs": costs(value.costs),
    }


def access_document(value: access.Access) -> dict[str, Any]:
    return {
        "namespace": value.namespace,
        "cluster": {"name": value.cluster_name, "server": value.server},
        "context": value.context,
        "kubeconfig": value.kubeconfig,
        "authentication": value.authentication,
        "snippets": [{"title": s.title, "command": s.command} for s in value.snippets],
        "roles": [{"role": r.role, "subjects": list(r.subjects)} for r in value.roles],
    }
