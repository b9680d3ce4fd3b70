"""In-memory fakes of the service ports: the services and the reconciler run on these in milliseconds.

:class:`Store` keeps requests, events, audit records and idempotency keys in dicts and applies
writes with the domain's own rules (:meth:`nsaas.domain.changes.Change.apply`), exactly as the
database adapter does, so what a service test proves about a use case holds for the real store.
:class:`Cluster` is a small namespace-and-bundle model: an apply makes the namespace Active with
the bundle's labels and digest; a delete removes it at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from nsaas.adapters.kube import results
from nsaas.bundle import model
from nsaas.domain import changes, errors, lifecycle, records, teams


class Clock:
    """Real time plus an offset tests move forward (the services read the wall clock themselves)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def _stored(new: records.NewRequest, *, now: datetime) -> records.RequestRecord:
    spec = new.spec
    return records.RequestRecord(
        id=new.id,
        name=spec.name,
        team=spec.team,
        environment=spec.environment,
        tier=spec.tier,
        network_policy=spec.network_policy,
        spec=spec,
        status=new.status,
        status_reason=new.status_reason,
        end_state=None,
        version=1,
        generation=1,
        observed_generation=0,
        applied_digest=None,
        engine=new.engine,
        requested_by=new.requested_by,
        approved_by=new.approved_by,
        approved_at=new.approved_at,
        rejection_reason=None,
        created_at=now,
        updated_at=now,
        ready_at=None,
        expires_at=new.expires_at,
        deleted_at=None,
        attempts=0,
        next_attempt_at=new.next_attempt_at,
        lease_owner=None,
        lease_expires_at=None,
        last_error=None,
        last_resync_at=None,
        warnings_sent=(),
        workflow_name=None,
        source=new.source,
        source_ref=new.source_ref,
    )


class Store:
    """Every storage port (``ports.Repository``) in memory."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.requests: dict[str, records.RequestRecord] = {}
        self.events: list[records.EventRecord] = []
        self.audits: list[records.AuditRecord] = []
        self.keys: dict[tuple[str, str], records.IdempotencyRecord] = {}
        self.purges = 0

    # -- requests ---------------------------------------------------------------------------

    async def create_request(
        self,
        new: records.NewRequest,
        *,
        event: records.NewEvent,
        audit: records.NewAudit,
        idempotency: records.IdempotencyClaim | None = None,
        capacity: teams.CapacityCheck | None = None,
    ) -> records.RequestRecord:
        if await self.find_live_by_name(new.spec.name) is not None:
            raise errors.Conflict("taken", details={"namespaceName": "taken"})
        if capacity is not None:  # no registry here: every team lives under the defaults
            capacity(None, await self.team_usage(new.spec.team))
        record = _stored(new, now=self.clock())
        self.requests[record.id] = record
        await self.add_event(record.id, event)
        await self.add_audit(audit)
        if idempotency is not None:
            claim = idempotency
            self.keys[(claim.owner, claim.key)] = records.IdempotencyRecord(
                claim.owner, claim.key, claim.body_hash, claim.status_code, dict(claim.response), self.clock()
            )
        return record

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
        current = await self.get(request_id)
        if capacity is not None:
            capacity(None, await self.team_usage(current.team, exclude_id=request_id))
        if lease_owner is not None and current.lease_owner != lease_owner:
            raise errors.Conflict("lease lost")
        if expected_version is not None and current.version != expected_version:
            raise errors.PreconditionFailed("stale version", details={"If-Match": "stale"})
        if expected_generation is not None and current.generation != expected_generation:
            raise errors.PreconditionFailed("stale generation", details={"If-Match": "stale"})
        after = change.apply(current, now=self.clock())
        return await self._store(current, after, change=change, event=event, audit=audit)

    async def _store(
        self,
        before: records.RequestRecord,
        after: records.RequestRecord,
        *,
        change: changes.Change,
        event: records.NewEvent | None,
        audit: records.NewAudit | None,
    ) -> records.RequestRecord:
        self.requests[after.id] = after
        if before.status != after.status and (event is None or event.kind != "status"):
            await self.add_event(after.id, records.NewEvent(kind="status", message=after.status_reason))
        if event is not None:
            await self.add_event(after.id, event)
        if audit is not None:
            if audit.before is None and audit.after is None:
                old, new = change.audit_diff(before)
                audit = dataclasses.replace(audit, before=old, after=new)
            await self.add_audit(audit)
        return after

    async def get(self, request_id: str) -> records.RequestRecord:
        try:
            return self.requests[request_id]
        except KeyError:
            raise errors.NotFound(f"no request {request_id}") from None

    async def ended_requests(self, request_ids: Sequence[str]) -> list[records.RequestRecord]:
        wanted = set(request_ids)
        return [r for r in self.requests.values() if r.id in wanted and r.status in lifecycle.TERMINAL]

    async def find_live_by_name(self, name: str) -> records.RequestRecord | None:
        return next((r for r in self.requests.values() if r.name == name and r.live), None)

    async def get_latest_by_name(self, name: str) -> records.RequestRecord | None:
        found = [r for r in self.requests.values() if r.name == name]
        return max(found, key=lambda r: r.created_at) if found else None

    async def list_requests(self, **filters: Any) -> records.RequestPage:
        picked = [r for r in self.requests.values() if filters.get("team") in (None, r.team)]
        return records.RequestPage(items=picked, total=len(picked))

    async def team_usage(self, team: str, *, exclude_id: str | None = None) -> list[str]:
        live = lifecycle.LIVE - {lifecycle.Status.PENDING_APPROVAL}
        return [r.tier for r in self.requests.values() if r.team == team and r.status in live and r.id != exclude_id]

    async def count_created_by(self, subject: str, *, since: datetime) -> int:
        return sum(1 for r in self.requests.values() if r.requested_by == subject and r.created_at >= since)

    async def expiring(self, *, before: datetime, limit: int = 100) -> list[records.RequestRecord]:
        due = [
            r
            for r in self.requests.values()
            if r.live and r.status != lifecycle.Status.DECOMMISSIONING and r.expires_at and r.expires_at <= before
        ]
        return due[:limit]

    # -- work queue -------------------------------------------------------------------------

    async def claim_due(
        self, *, worker: str, now: datetime, limit: int, lease_seconds: float
    ) -> list[records.RequestRecord]:
        claimed = []
        for record in list(self.requests.values()):
            free = record.lease_owner is None or (record.lease_expires_at or now) <= now
            due = record.next_attempt_at is not None and record.next_attempt_at <= now
            if record.status in lifecycle.ACTIVE and free and due and len(claimed) < limit:
                leased = dataclasses.replace(
                    record, lease_owner=worker, lease_expires_at=now + timedelta(seconds=lease_seconds)
                )
                self.requests[record.id] = leased
                claimed.append(leased)
        return claimed

    async def extend_lease(self, request_id: str, *, worker: str, lease_seconds: float) -> records.RequestRecord:
        expires = self.clock() + timedelta(seconds=lease_seconds)
        return await self.update(request_id, change=changes.Change(lease_expires_at=expires), lease_owner=worker)

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
        current = await self.get(request_id)
        if current.lease_owner != worker:
            raise errors.Conflict("lease lost")
        if expected_version is not None and current.version != expected_version:
            raise errors.PreconditionFailed("stale version")
        change = change or changes.Change()
        after = dataclasses.replace(change.apply(current, now=self.clock()), lease_owner=None, lease_expires_at=None)
        return await self._store(current, after, change=change, event=event, audit=audit)

    async def due_count(self, now: datetime) -> int:
        return sum(1 for r in self.requests.values() if r.next_attempt_at is not None and r.next_attempt_at <= now)

    # -- journal ----------------------------------------------------------------------------

    async def add_event(self, request_id: str, event: records.NewEvent) -> records.EventRecord:
        request = await self.get(request_id)
        stored = records.EventRecord(
            id=len(self.events) + 1,
            request_id=request.id,
            namespace=request.name,
            team=request.team,
            at=self.clock(),
            kind=event.kind,
            status=event.status or request.status,
            step=event.step,
            phase=event.phase,
            message=event.message,
            data=dict(event.data),
        )
        self.events.append(stored)
        return stored

    async def events_after(
        self, *, after_id: int, request_id: str | None = None, teams: Sequence[str] | None = None, limit: int = 500
    ) -> list[records.EventRecord]:
        return [e for e in self.events if e.id > after_id and request_id in (None, e.request_id)][:limit]

    async def timeline(self, request_id: str) -> list[records.EventRecord]:
        return [e for e in self.events if e.request_id == request_id]

    async def latest_event_id(self) -> int:
        return len(self.events)

    async def add_audit(self, entry: records.NewAudit) -> records.AuditRecord:
        stored = records.AuditRecord(
            id=len(self.audits) + 1,
            at=self.clock(),
            actor=entry.actor,
            roles=tuple(entry.roles),
            action=entry.action,
            target_type=entry.target_type,
            target=entry.target,
            before=entry.before,
            after=entry.after,
            correlation_id=entry.correlation_id,
            source_ip=entry.source_ip,
            user_agent=entry.user_agent,
            outcome=entry.outcome,
            detail=entry.detail,
        )
        self.audits.append(stored)
        return stored

    async def list_audit(self, **filters: Any) -> tuple[list[records.AuditRecord], int]:
        picked = [a for a in self.audits if filters.get("action") in (None, a.action)]
        return picked, len(picked)

    async def audit_before(
        self, where: records.AuditQuery, *, before_id: int | None, limit: int
    ) -> list[records.AuditRecord]:
        newest_first = sorted(self.audits, key=lambda a: a.id, reverse=True)
        picked = [
            a for a in newest_first if where.action in (None, a.action) and (before_id is None or a.id < before_id)
        ]
        return picked[:limit]

    # -- idempotency ------------------------------------------------------------------------

    async def idempotency_reserve(self, owner: str, key: str, *, body_hash: str) -> records.IdempotencyRecord | None:
        stored = self.keys.get((owner, key))
        if stored is None:
            self.keys[(owner, key)] = records.IdempotencyRecord(owner, key, body_hash, 0, {}, self.clock())
            return None
        if stored.body_hash != body_hash:
            raise errors.IdempotencyMismatch("key reused", details={"Idempotency-Key": key})
        if stored.status_code == 0:
            raise errors.IdempotencyInUse("in progress", details={"Idempotency-Key": key})
        return stored

    async def idempotency_unreserve(self, owner: str, key: str) -> None:
        stored = self.keys.get((owner, key))
        if stored is not None and stored.status_code == 0:
            del self.keys[(owner, key)]

    async def idempotency_purge(self) -> int:
        self.purges += 1
        return 0

    async def ping(self) -> None:
        return None


@dataclass
class Namespace:
    name: str
    labels: dict[str, str]
    phase: str = "Active"
    annotations: dict[str, str] = field(default_factory=dict)
    digest: str | None = None


class Cluster:
    """The cluster port for the direct engine: namespaces with labels, and the digest last applied."""

    def __init__(self) -> None:
        self.namespaces: dict[str, Namespace] = {}
        self.applies = 0
        self.deleted: list[str] = []
        self.down = False
        #: Set to a message: every apply is refused for this bundle (a 4xx, not an outage).
        self.refusal: str | None = None

    def _check(self) -> None:
        if self.down:
            raise errors.ClusterUnavailable("the cluster is down (fake)")

    async def apply(self, *, bundle: model.Bundle, prune: bool = True) -> results.ApplyResult:
        self._check()
        self.applies += 1
        if self.refusal is not None:
            return results.ApplyResult(failed={f"Namespace/{bundle.namespace}": self.refusal})
        meta = next(m for m in bundle.manifests if m["kind"] == "Namespace")["metadata"]
        self.namespaces[bundle.namespace] = Namespace(bundle.namespace, dict(meta["labels"]), digest=bundle.digest)
        return results.ApplyResult(applied=tuple(f"{m['kind']}/{m['metadata']['name']}" for m in bundle.manifests))

    async def observe(self, *, bundle: model.Bundle) -> results.Observation:
        """Every object is as applied while the namespace exists (drift is the adapter tier's business)."""
        self._check()
        found = self.namespaces.get(bundle.namespace)
        if found is None:
            missing = results.ObjectState(key=f"Namespace/{bundle.namespace}", exists=False)
            return results.Observation(namespace=bundle.namespace, phase=None, objects=(missing,))
        return results.Observation(namespace=bundle.namespace, phase=found.phase, digest=found.digest)

    async def delete_by_selector(self, *, bundle: model.Bundle) -> tuple[str, ...]:
        self._check()
        return ()

    async def namespace_info(self, name: str) -> Namespace | None:
        self._check()
        return self.namespaces.get(name)

    async def list_namespaces(self, *, labels: Mapping[str, str]) -> list[Namespace]:
        self._check()
        return [n for n in self.namespaces.values() if all(n.labels.get(k) == v for k, v in labels.items())]

    async def delete_namespace(
        self, *, name: str, request_id: str, managed_label: tuple[str, str], request_id_label: str
    ) -> bool:
        self._check()
        found = self.namespaces.get(name)
        key, value = managed_label
        if found is None or found.labels.get(key) != value or found.labels.get(request_id_label) != request_id:
            return False
        del self.namespaces[name]
        self.deleted.append(name)
        return True

    async def apply_object(self, *, manifest: Mapping[str, Any], dry_run: bool = False) -> dict[str, Any]:
        return dict(manifest)

    async def get_object(
        self, *, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        return None

    async def create_workflow(self, *, manifest: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError("the fake cluster has no Argo; argo is covered by tests/engine")

    async def get_workflow(self, *, namespace: str, name: str) -> dict[str, Any] | None:
        raise NotImplementedError("the fake cluster has no Argo; argo is covered by tests/engine")

    async def ping(self) -> bool:
        return not self.down
