"""GitOps: ``NamespaceRequest`` resources feed the same pipeline as API requests.

Flux writes NamespaceRequests (``platform.io/v1alpha1``) from a Git repository into one namespace
(``NSAAS_GITOPS__NAMESPACE``, default ``nsaas-requests``). This watcher turns each into the same
use cases the API calls (:class:`~nsaas.services.requests.RequestService`), so validation,
policy, bundle, timeline and audit are exactly those of an API request, and writes the outcome
back to the resource's status (``observedGeneration`` and the conditions ``Accepted``, ``Ready``
and ``Failed`` with reasons).

Decisions that must stay true:

* **One source.** The request it creates is marked ``source=gitops`` with the resource as its
  ``source_ref``; the API refuses to change it, and a NamespaceRequest for a namespace the API
  owns is refused (``Accepted=False``, reason ``OwnedElsewhere``). See :mod:`nsaas.domain.sources`.
* **The merge is the approval of record.** Where policy needs approval (production by default),
  the resource must carry the merged pull request (``<prefix>/pull-request``) or commit
  (``<prefix>/commit``) annotation; the request is then approved by ``git-merge:<reference>``
  and that reference is the audit detail of every write made for this resource. Without one it
  is refused (reason ``ApprovalReferenceMissing``): a GitOps request cannot wait for a portal
  approval, because the portal may not write it.
* **Deletion decommissions**, except where production is protected: then the namespace stays,
  the request is handed over to the API (so a platform admin can decommission it there) and the
  refusal is recorded in the timeline and the audit log.
* **Level-triggered.** A full re-list every ``resync_seconds`` (and at start) converges whatever
  a missed watch event or a restart left behind, including resources deleted while the worker
  was down. A re-submit after a request ended (expired, rejected, decommissioned) happens only
  when the resource's spec changed since (a new ``metadata.generation``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import structlog

from nsaas import config
from nsaas.domain import audit, changes, errors, identity, lifecycle, policy, records, sources
from nsaas.services import bodies, ports
from nsaas.services import requests as request_service

log = structlog.get_logger("nsaas.gitops")
S = lifecycle.Status
#: Request fields the resource may not change once the request exists (the API refuses them too).
FIXED_FIELDS = ("team", "environment", "networkPolicy", "costCenter", "rbacConfig")
FIXED_MESSAGE = "cannot change after the request; delete the NamespaceRequest and create a new one"
REASONS: tuple[tuple[type[errors.NsaasError], str], ...] = (
    (errors.ValidationFailed, "InvalidSpec"),
    (errors.PolicyViolation, "PolicyViolation"),
    (sources.SourceConflict, "OwnedElsewhere"),
    (errors.Conflict, "Conflict"),
    (errors.PermissionDenied, "NotAllowed"),
    (errors.RateLimited, "RateLimited"),
    (errors.NotFound, "NotFound"),
)


class ApprovalReferenceMissing(errors.PermissionDenied):
    code = "approval_reference_missing"


class GitOpsSync:
    """Watches NamespaceRequests in one namespace and drives them through the request use cases."""

    def __init__(
        self,
        *,
        settings: config.Settings,
        requests: request_service.RequestService,
        repo: ports.Repository,
        resources: ports.NamespaceRequestResources,
        bus: ports.EventBus,
    ) -> None:
        self.settings = settings
        self.requests = requests
        self.repo = repo
        self.resources = resources
        self.bus = bus
        self.namespace = settings.gitops.namespace
        self._prefix = settings.labels.prefix
        self._cache: dict[str, dict[str, Any]] = {}
        self._by_target: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    # ---- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Forever: list, then watch and follow the timeline; start over after a cluster failure."""
        while True:
            try:
                await self.resync()
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._watch())
                    group.create_task(self._follow_timeline())
                    group.create_task(self._periodic())
            except* errors.ClusterNotFound:
                log.warning("gitops.crd_missing", namespace=self.namespace, hint="install deploy/gitops")
                await asyncio.sleep(self.settings.gitops.resync_seconds)
            except* Exception as failures:  # a cluster outage, a database hiccup or a bug: log, back off, go on
                log.warning("gitops.restart", error=repr(failures.exceptions[0]))
                await asyncio.sleep(min(5.0, self.settings.gitops.resync_seconds))

    async def resync(self) -> None:
        """Re-list every NamespaceRequest, converge each, and decommission the ones that are gone."""
        listed = await self.resources.list_namespace_requests(namespace=self.namespace)
        self._cache = {obj["metadata"]["name"]: obj for obj in listed}
        for name in sorted(self._cache):
            await self.sync(name)
        for record in await self._live_gitops_records():
            owner = (record.source_ref or "").removeprefix(f"{self.namespace}/")
            if owner not in self._cache:
                await self.sync(owner)

    async def _watch(self) -> None:
        async for event in self.resources.watch_namespace_requests(namespace=self.namespace):
            name = event.object["metadata"]["name"]
            if event.type == "DELETED":
                self._cache.pop(name, None)
            else:
                self._cache[name] = event.object
            await self.sync(name)

    async def _follow_timeline(self) -> None:
        """Status follows the request: any new event of a GitOps namespace rewrites that resource's status."""
        last = await self.repo.latest_event_id()
        async with self.bus.subscribe() as wakeups:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakeups.get(), timeout=self.settings.gitops.resync_seconds)
                for event in await self.repo.events_after(after_id=last, limit=500):
                    last = event.id
                    owner = self._by_target.get(event.namespace)
                    if owner is not None:
                        await self.sync(owner)

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(self.settings.gitops.resync_seconds)
            await self.resync()

    # ---- one resource ------------------------------------------------------------------------

    async def sync(self, name: str) -> None:
        """Converge one NamespaceRequest (or its absence) and write its status; never two at once."""
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            obj = self._cache.get(name)
            if obj is None or obj["metadata"].get("deletionTimestamp"):
                await self._gone(name)
                return
            status = await self._converge(obj)
            await self._write_status(obj, status)

    async def _converge(self, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        body = {"namespaceName": meta["name"], **(obj.get("spec") or {})}
        target = str(body["namespaceName"])
        self._by_target[target] = meta["name"]
        record: records.RequestRecord | None = None
        try:
            spec = bodies.parse_spec(body)
            caller = self._caller(obj, team=spec.team)
            record = await self.repo.find_live_by_name(target)
            if record is None:
                record = await self._ended(obj) or await self._submit(body, obj, caller)
            else:
                caller.check_owns(record)
                record = await self._update(record, body, obj, caller)
        except errors.ClusterError:
            raise
        except errors.NsaasError as exc:
            return self._refused(obj, exc, record)
        return self._status(obj, record)

    async def _ended(self, obj: dict[str, Any]) -> records.RequestRecord | None:
        """The request this resource already led to, if it ended and the spec has not changed since."""
        status = obj.get("status") or {}
        if not status.get("requestId") or status.get("observedGeneration") != obj["metadata"].get("generation"):
            return None
        try:
            record = await self.repo.get(str(status["requestId"]))
        except errors.NotFound:
            return None
        return None if record.live else record

    async def _submit(
        self, body: dict[str, Any], obj: dict[str, Any], caller: request_service.Caller
    ) -> records.RequestRecord:
        spec = bodies.parse_spec(body)
        approval = policy.needs_approval(spec, rules=self.settings.policy)
        if approval and not caller.reference:
            raise ApprovalReferenceMissing(
                f"{spec.environment} namespaces need approval: the merge of a reviewed pull request is that "
                "approval, so the NamespaceRequest must name it",
                details={
                    f"metadata.annotations.{self._prefix}/pull-request": "the merged pull request (URL or number)",
                    f"metadata.annotations.{self._prefix}/commit": "or the merge commit",
                },
            )
        submitted = await self.requests.submit(body, caller, respond=lambda record: {"requestId": record.id})
        record = submitted.record
        assert record is not None  # no Idempotency-Key, so never a replay
        if record.status == S.PENDING_APPROVAL:
            record = await self.requests.approve(
                record.name, self._approver(caller), reason=f"merged in Git: {caller.reference}"
            )
        return record

    async def _update(
        self, record: records.RequestRecord, body: dict[str, Any], obj: dict[str, Any], caller: request_service.Caller
    ) -> records.RequestRecord:
        wanted = bodies.body_of(bodies.parse_spec(body))
        current = bodies.body_of(record.spec)
        moved = {f"spec.{key}": FIXED_MESSAGE for key in FIXED_FIELDS if wanted.get(key) != current.get(key)}
        if moved:
            raise errors.ValidationFailed(f"{len(moved)} field(s) of {record.name} cannot change", details=moved)
        patch = {key: wanted.get(key) for key in bodies.MUTABLE_FIELDS if wanted.get(key) != current.get(key)}
        writer = self._approver(caller) if caller.reference else caller
        if patch:
            return await self.requests.update(record.name, patch, writer, expected_generation=None)
        generation = obj["metadata"].get("generation")
        if record.status == S.FAILED and (obj.get("status") or {}).get("observedGeneration") != generation:
            return await self.requests.retry(record.name, writer)
        return record

    async def _gone(self, name: str) -> None:
        """The resource was deleted: decommission its namespace (production: hand it to the API instead)."""
        ref = f"{self.namespace}/{name}"
        for record in await self._live_gitops_records():
            if record.source_ref != ref or record.status == S.DECOMMISSIONING:
                continue
            caller = self._caller({"metadata": {"name": name, "annotations": {}}}, team=record.team)
            if record.environment == identity.PRODUCTION and self.settings.policy.protect_production:
                await self._hand_over(record, caller)
            else:
                await self.requests.decommission(record.name, caller, reason=f"NamespaceRequest {ref} was deleted")

    async def _hand_over(self, record: records.RequestRecord, caller: request_service.Caller) -> None:
        message = (
            f"NamespaceRequest {record.source_ref} was deleted, but production namespaces are protected: "
            f"{record.name} stays and is now managed through the API, where a platform admin or engineer "
            "can decommission it"
        )
        await self.repo.update(
            record.id,
            expected_version=None,
            change=changes.Change(source=sources.API, source_ref=None),
            event=records.NewEvent(kind="warning", message=message),
            audit=caller.audit(audit.DECOMMISSION, record.name, outcome="denied", detail=message),
        )
        await self.bus.publish(await self.repo.latest_event_id())

    async def _live_gitops_records(self) -> list[records.RequestRecord]:
        found: list[records.RequestRecord] = []
        offset = 0
        while True:
            page, total = await self.repo.list_requests(status=sorted(lifecycle.LIVE), offset=offset, limit=200)
            # Only this namespace's requests: moving NSAAS_GITOPS__NAMESPACE must not read as mass deletion.
            found += [r for r in page if r.source == sources.GITOPS and self._owns_ref(r.source_ref)]
            offset += len(page)
            if not page or offset >= total:
                return found

    def _owns_ref(self, ref: str | None) -> bool:
        return bool(ref) and str(ref).startswith(f"{self.namespace}/")

    # ---- who acts ----------------------------------------------------------------------------

    def _caller(self, obj: dict[str, Any], *, team: str) -> request_service.Caller:
        """The resource acting for its team, with the merge reference from its annotations."""
        meta = obj["metadata"]
        annotations = meta.get("annotations") or {}
        ref = f"{self.namespace}/{meta['name']}"
        reference = " ".join(
            f"{key}={annotations[f'{self._prefix}/{key}']}"
            for key in ("pull-request", "commit")
            if annotations.get(f"{self._prefix}/{key}")
        )
        roles = [identity.team_role(team, "admin")]
        requested_by = annotations.get(f"{self._prefix}/requested-by")
        principal = identity.Principal(
            subject=f"gitops:{ref}",
            name=f"NamespaceRequest {ref}" + (f" (by {requested_by})" if requested_by else ""),
            roles=frozenset(roles),
            source="platform-token",
        )
        return request_service.Caller(
            principal=principal,
            source=sources.GITOPS,
            source_ref=ref,
            reference=reference,
            user_agent="nsaas-gitops",
        )

    def _approver(self, caller: request_service.Caller) -> request_service.Caller:
        """The merge of the pull request, as the approver of record (never a person's token)."""
        principal = identity.Principal(
            subject=f"git-merge:{caller.reference}",
            name=f"merge of {caller.reference}",
            roles=frozenset({identity.PLATFORM_ENGINEER}),
            source="platform-token",
        )
        return request_service.Caller(
            principal=principal,
            source=caller.source,
            source_ref=caller.source_ref,
            reference=caller.reference,
            user_agent=caller.user_agent,
        )

    # ---- status ------------------------------------------------------------------------------

    def _status(self, obj: dict[str, Any], record: records.RequestRecord) -> dict[str, Any]:
        status = record.status
        pending = status == S.PENDING_APPROVAL
        accepted = _condition("Accepted", True, "PendingApproval" if pending else "Accepted", _accepted(record))
        ready = _condition("Ready", status == S.READY, _camel(status), record.status_reason)
        failed_now = status in (S.FAILED, S.REJECTED)
        failure = record.last_error or record.status_reason if failed_now else ""
        failed = _condition("Failed", failed_now, _camel(status) if failed_now else "AsExpected", failure)
        return _document(obj, record, [accepted, ready, failed])

    def _refused(
        self, obj: dict[str, Any], exc: errors.NsaasError, record: records.RequestRecord | None
    ) -> dict[str, Any]:
        reason = next((name for cls, name in REASONS if isinstance(exc, cls)), "Refused")
        if isinstance(exc, ApprovalReferenceMissing):
            reason = "ApprovalReferenceMissing"
        message = exc.message + "".join(f"; {field}: {text}" for field, text in exc.details.items())
        ours = record is not None and record.source == sources.GITOPS
        ready = (
            _condition("Ready", record.status == S.READY, _camel(record.status), record.status_reason)
            if record is not None and ours
            else _condition("Ready", False, "NotAccepted", "the request was not accepted")
        )
        conditions = [
            _condition("Accepted", False, reason, message),
            ready,
            _condition("Failed", True, reason, message),
        ]
        return _document(obj, record if ours else None, conditions)

    async def _write_status(self, obj: dict[str, Any], status: dict[str, Any]) -> None:
        previous = obj.get("status") or {}
        before = {c.get("type"): c for c in previous.get("conditions") or []}
        for condition in status["conditions"]:
            old = before.get(condition["type"])
            if old is not None and old.get("status") == condition["status"]:
                condition["lastTransitionTime"] = old.get("lastTransitionTime") or condition["lastTransitionTime"]
        if _same(previous, status):
            return
        try:
            await self.resources.write_namespace_request_status(
                namespace=self.namespace, name=obj["metadata"]["name"], status=status
            )
        except errors.ClusterNotFound:
            return  # deleted meanwhile: the watch brings the deletion next
        obj["status"] = status


def _document(
    obj: dict[str, Any], record: records.RequestRecord | None, conditions: list[dict[str, Any]]
) -> dict[str, Any]:
    generation = obj["metadata"].get("generation")
    for condition in conditions:
        condition["observedGeneration"] = generation
    previous = obj.get("status") or {}
    return {
        "observedGeneration": generation,
        "requestId": record.id if record is not None else previous.get("requestId"),
        "namespace": record.name if record is not None else previous.get("namespace"),
        "phase": str(record.status) if record is not None else "Refused",
        "conditions": conditions,
    }


def _condition(kind: str, true: bool, reason: str, message: str) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if true else "False",
        "reason": reason,
        "message": message[:1000],
        "lastTransitionTime": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }


def _accepted(record: records.RequestRecord) -> str:
    text = f"request {record.id}"
    if record.approved_by:
        text += f", approved by {record.approved_by}"
    return text


def _camel(status: str) -> str:
    return "".join(part.capitalize() for part in str(status).split("-"))


def _same(previous: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
    def key(doc: Mapping[str, Any]) -> Any:
        conditions = sorted(
            (c.get("type"), c.get("status"), c.get("reason"), c.get("message")) for c in doc.get("conditions") or []
        )
        return (doc.get("observedGeneration"), doc.get("requestId"), doc.get("phase"), conditions)

    return bool(key(previous) == key(status))
