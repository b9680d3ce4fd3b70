"""Use cases of a namespace request: submit, preview, change, approve, reject, cancel, decommission.

Each use case validates, checks authorization and policy, then writes the new desired state,
its timeline event and its audit record in one transaction; the reconciler does the cluster
work afterwards. Nothing here talks to the cluster except the read-only check that a name is
not an existing unmanaged namespace (best effort: the reconciler checks again before applying).

Authorization is object level: a caller who may not see a team's namespace gets NotFound,
exactly as if it did not exist, so names of other teams' namespaces do not leak.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nsaas import config, metrics, tracing
from nsaas.bundle import model, ownership, render
from nsaas.domain import (
    actions,
    audit,
    cost,
    errors,
    failures,
    identity,
    lifecycle,
    policy,
    records,
    requests,
    sources,
    teams,
    templates,
    transitions,
)
from nsaas.services import bodies, ports

S = lifecycle.Status


@dataclass(frozen=True, slots=True)
class Caller:
    """Who acts, and the HTTP facts the audit record keeps."""

    principal: identity.Principal
    correlation_id: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    #: Which side writes (:mod:`nsaas.domain.sources`); a GitOps caller names its NamespaceRequest.
    source: sources.Source = sources.API
    source_ref: str | None = None
    #: Recorded as the audit detail when a use case gives none (GitOps: the commit / pull request).
    reference: str = ""

    def audit(
        self,
        action: str,
        target: str,
        *,
        outcome: records.AuditOutcome = "success",
        detail: str = "",
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        target_type: str = "namespace",
    ) -> records.NewAudit:
        return records.NewAudit(
            actor=self.principal.subject,
            action=action,
            target_type=target_type,
            target=target,
            outcome=outcome,
            roles=tuple(sorted(self.principal.roles)),
            before=before,
            after=after,
            correlation_id=self.correlation_id,
            source_ip=self.source_ip,
            user_agent=self.user_agent,
            detail=detail or self.reference,
        )

    def check_owns(self, record: records.RequestRecord) -> None:
        """Conflict unless this caller's side (API or this NamespaceRequest) owns ``record``."""
        sources.check_writer(
            name=record.name,
            owner=record.source,
            owner_ref=record.source_ref,
            writer=self.source,
            writer_ref=self.source_ref,
        )


#: Renders the answer to a submit from the request about to be stored (the wire format is the API's).
Respond = Callable[[records.NewRequest], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Submitted:
    """A new request (``record``), or the stored ``response`` of an Idempotency-Key replay."""

    record: records.RequestRecord | None
    response: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StateFacts:
    """What a client needs to present a request's state to this caller."""

    attempts: int
    max_attempts: int
    root_cause: str | None
    actions: actions.Allowed
    #: The cluster is unreachable: the request waits and retries however long that lasts.
    waiting_for_cluster: bool = False


@dataclass(frozen=True, slots=True)
class Preview:
    """What a draft request would get: the policy verdict, approval, cost and bundle."""

    violations: Mapping[str, str]
    needs_approval: bool
    estimate: cost.Estimate
    bundle: model.Bundle

    @property
    def allowed(self) -> bool:
        return not self.violations


#: How often a decision (approve, reject, cancel) is taken when the request keeps changing under it.
DECISION_ATTEMPTS = 3


async def _decided_again(decide: Callable[[], Awaitable[records.RequestRecord]]) -> records.RequestRecord:
    """Run ``decide``; when the request changed between its read and its write, decide again on
    the new state (an approval that lost to a cancel then says "cancelled, not waiting"). A
    stale client ETag stays stale, so it still ends in 412.
    """
    for _ in range(DECISION_ATTEMPTS - 1):
        with contextlib.suppress(errors.PreconditionFailed):
            return await decide()
    return await decide()


def body_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class RequestService:
    def __init__(
        self,
        *,
        settings: config.Settings,
        repo: ports.Repository,
        cluster: ports.Cluster | None,
        bus: ports.EventBus,
        team_store: ports.TeamStore | None = None,
        templates: ports.TemplateResolver | None = None,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.cluster = cluster
        self.bus = bus
        #: The team registry; without one every team lives under the configured defaults.
        self.team_store = team_store
        #: Bundle template versions; without them every namespace runs the built-in version 1.
        self.templates = templates

    # ---- reads -------------------------------------------------------------------------------

    async def visible(self, name: str, caller: Caller) -> records.RequestRecord:
        """The newest request for ``name`` the caller may see, or NotFound."""
        record = await self.repo.find_live_by_name(name) or await self.repo.get_latest_by_name(name)
        if record is None or not caller.principal.can_see(record.team):
            raise errors.NotFound(f"no namespace named {name}", details={"name": "not found"})
        return record

    async def visible_by_id(self, request_id: str, caller: Caller) -> records.RequestRecord:
        try:
            record = await self.repo.get(request_id)
        except errors.NotFound:
            record = None
        if record is None or not caller.principal.can_see(record.team):
            raise errors.NotFound(f"no request {request_id}", details={"id": "not found"})
        return record

    async def status(self, request_id: str, caller: Caller) -> tuple[records.RequestRecord, list[records.EventRecord]]:
        """A request the caller may see, with its whole timeline."""
        record = await self.visible_by_id(request_id, caller)
        return record, await self.repo.timeline(record.id)

    async def page(
        self,
        caller: Caller,
        *,
        team: str | None = None,
        environment: str | None = None,
        status: str | None = None,
        tier: str | None = None,
        name_contains: str | None = None,
        include_ended: bool = False,
        offset: int = 0,
        limit: int = 50,
        sort: str | None = None,
        cursor: str | None = None,
    ) -> records.RequestPage:
        """Requests the caller may see, newest first; live ones only unless ``include_ended`` or a status."""
        if status is not None and status not in {s.value for s in lifecycle.Status}:
            raise errors.ValidationFailed("unknown status", details={"status": f"one of {', '.join(lifecycle.Status)}"})
        statuses: lifecycle.Status | list[lifecycle.Status] | None = None
        if status is not None:
            statuses = lifecycle.Status(status)
        elif not include_ended:
            statuses = sorted(lifecycle.LIVE)
        return await self.repo.list_requests(
            teams=self.visible_teams(caller),
            team=team,
            environment=environment,
            status=statuses,
            tier=tier,
            name_contains=name_contains,
            offset=offset,
            limit=limit,
            sort=sort,
            cursor=cursor,
        )

    def state_facts(self, record: records.RequestRecord, caller: Caller) -> StateFacts:
        """What a client needs to present the state: attempts, the root cause, and the caller's actions."""
        subject = actions.Subject(
            team=record.team,
            environment=record.environment,
            status=record.status,
            requested_by=record.requested_by,
            attempts=record.attempts,
        )
        found = actions.for_caller(
            caller.principal, subject, protect_production=self.settings.policy.protect_production
        )
        return StateFacts(
            attempts=record.attempts,
            max_attempts=self.settings.engines.max_attempts,
            root_cause=failures.root_cause(record.last_error),
            actions=found,
            waiting_for_cluster=record.status in (S.PROVISIONING, S.UPDATING)
            and record.status_reason.startswith(failures.WAITING_FOR_CLUSTER),
        )

    async def bundle(self, name: str, caller: Caller) -> model.Bundle:
        """The bundle a visible request wants in the cluster."""
        return await self.bundle_of(await self.visible(name, caller))

    async def bundle_of(self, record: records.RequestRecord, *, template: templates.Ref | None = None) -> model.Bundle:
        """``record``'s bundle with its team's registry rules, from its template version (or ``template``)."""
        return render.render_bundle(
            record.spec_obj,
            self.settings,
            request_id=record.id,
            requested_by=record.requested_by,
            team_rules=teams.namespace_rules_of(await self._team(record.team)),
            template=await self._parameters(template or record.template),
        )

    async def _parameters(self, ref: templates.Ref) -> templates.BundleParameters | None:
        return None if self.templates is None else await self.templates.parameters(ref)

    async def _current_template(self) -> int:
        """The bundle template version a new namespace gets (read on every create: a publish applies at once)."""
        return templates.BUILTIN_VERSION if self.templates is None else await self.templates.current()

    async def cost(self, name: str, caller: Caller) -> cost.Estimate:
        record = await self.visible(name, caller)
        return cost.estimate(record.tier, prices=self.settings.pricing)

    def visible_teams(self, caller: Caller) -> list[str] | None:
        """None means every team (platform roles); otherwise the caller's teams."""
        return None if caller.principal.can_see_all else sorted(caller.principal.teams)

    # ---- submit and preview ------------------------------------------------------------------

    async def preview(self, body: Mapping[str, Any], caller: Caller) -> Preview:
        """Bundle, policy verdict and cost of a draft; nothing is stored."""
        spec = bodies.parse_spec(body)
        entry = await self._team(spec.team)
        violations = policy.evaluate(spec, rules=self.settings.policy, context=await self._context(spec, entry))
        return Preview(
            violations=violations,
            needs_approval=policy.needs_approval(spec, rules=self.settings.policy),
            estimate=cost.estimate(spec.tier, prices=self.settings.pricing),
            bundle=render.render_bundle(
                spec,
                self.settings,
                request_id="preview",
                requested_by=caller.principal.subject,
                team_rules=teams.namespace_rules_of(entry),
                template=await self._parameters(templates.Ref(version=await self._current_template())),
            ),
        )

    async def submit(
        self,
        body: Mapping[str, Any],
        caller: Caller,
        *,
        respond: Respond,
        idempotency_key: str | None = None,
        engine: str | None = None,
    ) -> Submitted:
        """Store a new request; ``respond`` (the API layer's) renders the answer, kept for Idempotency-Key replays.

        With a key (IETF Idempotency-Key draft): a completed request with the same key and body
        gets its stored answer, one still being processed gets IdempotencyInUse (409 with
        Retry-After), another body gets IdempotencyMismatch. A request that fails frees its key.
        """
        digest = body_hash(body)
        if not idempotency_key:
            return await self._create(body, caller, respond=respond, key=None, digest=digest, engine=engine)
        subject = caller.principal.subject
        earlier = await self.repo.idempotency_reserve(subject, idempotency_key, body_hash=digest)
        if earlier is not None:
            return Submitted(record=None, response=earlier.response)
        try:
            return await self._create(body, caller, respond=respond, key=idempotency_key, digest=digest, engine=engine)
        except BaseException:
            with contextlib.suppress(Exception):
                await self.repo.idempotency_unreserve(subject, idempotency_key)
            raise

    async def _create(
        self,
        body: Mapping[str, Any],
        caller: Caller,
        *,
        respond: Respond,
        key: str | None,
        digest: str,
        engine: str | None,
    ) -> Submitted:
        principal = caller.principal
        idempotency_key = key
        spec, entry = await self._validated(body, caller, engine=engine)
        spec = _team_defaults(spec, entry)
        now = datetime.now(UTC)
        approval = policy.needs_approval(spec, rules=self.settings.policy)
        status = S.PENDING_APPROVAL if approval else S.PROVISIONING
        new = records.NewRequest(
            spec=spec,
            status=status,
            engine="argo" if (engine or self.settings.engine) == "argo" else "direct",
            requested_by=principal.subject,
            status_reason="waiting for approval" if approval else "queued for provisioning",
            # The TTL runs from when the namespace may exist: now, or at approval.
            expires_at=now + timedelta(hours=spec.ttl_hours) if spec.ttl_hours and not approval else None,
            next_attempt_at=None if approval else now,
            traceparent=tracing.current_traceparent(),
            source=caller.source,
            source_ref=caller.source_ref,
            template_version=await self._current_template(),
        )
        message = (
            f"requested by {principal.subject}; {'waiting for approval' if approval else 'queued for provisioning'}"
        )
        response = respond(new)
        claim = (
            records.IdempotencyClaim(
                owner=principal.subject, key=idempotency_key, body_hash=digest, status_code=202, response=response
            )
            if idempotency_key
            else None
        )
        record = await self.repo.create_request(
            new,
            event=records.NewEvent(kind="status", message=message),
            audit=caller.audit(audit.REQUEST, spec.name, after=bodies.body_of(spec)),
            idempotency=claim,
            capacity=self._capacity(spec),
        )
        await self._announce(record)
        # Rendered once, before the write: the stored replay and the first reply are identical.
        return Submitted(record=record, response=response)

    async def _validated(
        self, body: Mapping[str, Any], caller: Caller, *, engine: str | None
    ) -> tuple[requests.NamespaceSpec, teams.TeamRecord | None]:
        """The spec and its team's registry entry, or one error naming every bad field: shape and
        policy problems together.

        400 when any field is malformed (its details include the policy problems of the sound
        fields), 422 when the request is well formed but breaks policy. Who may ask comes first:
        a caller outside the team learns nothing about that team's namespaces or budget.
        """
        principal = caller.principal
        parsed = bodies.parse(body)
        team = parsed.draft.team
        if team is not None and not principal.can_create(team):
            if parsed.problems:
                raise _malformed(parsed.problems)
            metrics.AUTHZ_DENIALS.labels("create").inc()
            raise errors.PermissionDenied(
                f"you are not a member of team {team}", details={"team": "you may only request for your teams"}
            )
        if not parsed.problems:
            if engine is not None and engine != self.settings.engine and not principal.is_platform_admin:
                raise errors.PermissionDenied("only platform admins may choose the engine", details={"engine": "admin"})
            await self._check_creation_rate(principal.subject)
        entry = await self._team(team)
        context = await self._context(parsed.draft, entry)
        if not parsed.problems and context.name_taken and not context.exists_unmanaged:
            # The same answer the create's own check gives when two requests race for a name.
            name = parsed.draft.name
            if name is not None and not policy.is_reserved(name, rules=self.settings.policy):
                raise errors.NameTaken(
                    f"namespace {name!r} is already requested or in use",
                    details={"namespaceName": f"{name} is already requested or in use"},
                )
        found = policy.evaluate(parsed.draft, rules=self.settings.policy, context=context)
        for field in found:
            metrics.POLICY_VIOLATIONS.labels(field).inc()
        if parsed.problems:
            raise _malformed({**found, **parsed.problems})
        if found:
            raise errors.PolicyViolation(f"the request breaks {len(found)} platform rule(s)", details=found)
        assert parsed.spec is not None
        return parsed.spec, entry

    # ---- changes -----------------------------------------------------------------------------

    async def update(
        self, name: str, patch: Mapping[str, Any], caller: Caller, *, expected_generation: int | None
    ) -> records.RequestRecord:
        """Change the spec; ``expected_generation`` is the caller's ETag (status moves never make it stale)."""
        record = await self._manageable(name, caller, action="update")
        transitions.check_changeable(record)
        old = record.spec_obj
        spec = bodies.apply_patch(old, patch)
        self._check_approval_scope(record, old, spec, caller)
        usage = policy.TeamUsage.of(await self.repo.team_usage(spec.team, exclude_id=record.id))
        limits = teams.keeping(
            teams.limits(await self._team(spec.team), self.settings.policy),
            environment=old.environment,
            tier=old.tier,
            features=old.features,
        )
        context = policy.Context(usage=usage, is_update=True, limits=limits)
        policy.enforce(spec, rules=self.settings.policy, context=context)
        # A spec change bumps the generation (a domain rule); every change reaches the bundle
        # (labels, annotations, quota), so a live namespace is re-applied and shows "updating".
        change = transitions.change_spec(record, spec, ttl_given="ttl" in patch, now=datetime.now(UTC))
        message = "changed " + ", ".join(sorted(patch))
        updated = await self.repo.update(
            record.id,
            expected_generation=expected_generation,
            change=change,
            event=records.NewEvent(kind="status" if change.moves_status else "info", message=message),
            audit=caller.audit(audit.UPDATE, name, before=bodies.body_of(old), after=bodies.body_of(spec)),
            capacity=self._capacity(spec, new_namespace=False) if spec.tier != old.tier else None,
        )
        await self._announce(updated)
        return updated

    async def approve(
        self, name: str, caller: Caller, *, reason: str, expected_generation: int | None = None
    ) -> records.RequestRecord:
        """Approve what the approver saw: with ``expected_generation`` (their ETag) a later edit gets 412.

        A request cancelled or rejected while the approval was under way answers 409 "cancelled,
        not waiting for approval", never a bare invalid transition.
        """
        return await _decided_again(
            lambda: self._approve(name, caller, reason=reason, expected_generation=expected_generation)
        )

    async def _approve(
        self, name: str, caller: Caller, *, reason: str, expected_generation: int | None
    ) -> records.RequestRecord:
        record = await self._pending(name, caller)
        if record.requested_by == caller.principal.subject:
            metrics.AUTHZ_DENIALS.labels("approve").inc()
            raise errors.PermissionDenied(
                "a request needs a second person's approval", details={"approver": "you requested it yourself"}
            )
        change = transitions.approve(record, approver=caller.principal.subject, now=datetime.now(UTC))
        updated = await self.repo.update(
            record.id,
            expected_generation=expected_generation,
            expected_version=record.version,
            change=change,
            event=records.NewEvent(kind="status", message=f"approved by {caller.principal.subject}: {reason}".strip()),
            audit=caller.audit(audit.APPROVE, name, detail=reason),
        )
        await self._announce(updated)
        return updated

    async def reject(self, name: str, caller: Caller, *, reason: str) -> records.RequestRecord:
        if not reason.strip():
            raise errors.ValidationFailed("a rejection needs a reason", details={"reason": "is required"})
        return await _decided_again(lambda: self._reject(name, caller, reason=reason))

    async def _reject(self, name: str, caller: Caller, *, reason: str) -> records.RequestRecord:
        record = await self._pending(name, caller)
        updated = await self.repo.update(
            record.id,
            expected_version=record.version,
            change=transitions.reject(reason),
            event=records.NewEvent(kind="status", message=f"rejected by {caller.principal.subject}: {reason}"),
            audit=caller.audit(audit.REJECT, name, detail=reason),
        )
        await self._announce(updated)
        return updated

    async def retry(self, name: str, caller: Caller) -> records.RequestRecord:
        """Try a failed request again now (or nudge a stuck deletion), with a fresh attempt budget."""
        record = await self._manageable(name, caller, action="retry")
        change = transitions.retry(record, now=datetime.now(UTC))
        updated = await self.repo.update(
            record.id,
            change=change,
            event=records.NewEvent(
                kind="status" if change.moves_status else "info",
                message=f"retry requested by {caller.principal.subject}",
            ),
            audit=caller.audit(audit.RETRY, name),
        )
        await self._announce(updated)
        return updated

    async def cancel(self, request_id: str, caller: Caller) -> records.RequestRecord:
        """Cancel a pending or provisioning request; one approved meanwhile is cancelled as provisioning."""
        return await _decided_again(lambda: self._cancel(request_id, caller))

    async def _cancel(self, request_id: str, caller: Caller) -> records.RequestRecord:
        record = await self.visible_by_id(request_id, caller)
        self._require_manage(record, caller, "cancel")
        caller.check_owns(record)
        change = transitions.cancel(record, now=datetime.now(UTC))
        updated = await self.repo.update(
            record.id,
            expected_version=record.version,
            change=change,
            event=records.NewEvent(kind="status", message=f"cancelled by {caller.principal.subject}"),
            audit=caller.audit(audit.CANCEL, record.name),
        )
        await self._announce(updated)
        return updated

    async def decommission(self, name: str, caller: Caller, *, reason: str = "") -> records.RequestRecord:
        record = await self.repo.find_live_by_name(name)
        if record is None or not caller.principal.can_see(record.team):
            # Never touch what the platform does not manage: unknown names are simply not found.
            raise errors.NotFound(f"no managed namespace named {name}", details={"name": "not managed by nsaas"})
        self._require_manage(record, caller, "decommission")
        caller.check_owns(record)
        if record.status == S.DECOMMISSIONING:
            return record
        if record.status == S.PENDING_APPROVAL:
            return await self.cancel(record.id, caller)
        if (
            record.environment == "production"
            and self.settings.policy.protect_production
            and not caller.principal.has_any(frozenset({identity.PLATFORM_ADMIN, identity.PLATFORM_ENGINEER}))
        ):
            metrics.AUTHZ_DENIALS.labels("decommission").inc()
            raise errors.PermissionDenied(
                "production namespaces are protected: a platform admin or engineer must decommission them",
                details={"environment": "deletion protection is on for production"},
            )
        grace = timedelta(seconds=self.settings.policy.decommission_grace_seconds)
        updated = await self.repo.update(
            record.id,
            change=transitions.decommission(starts_at=datetime.now(UTC) + grace, reason=reason),
            event=records.NewEvent(kind="status", message=f"decommission requested by {caller.principal.subject}"),
            audit=caller.audit(audit.DECOMMISSION, name, detail=reason),
        )
        await self._announce(updated)
        return updated

    # ---- helpers -----------------------------------------------------------------------------

    async def _manageable(self, name: str, caller: Caller, *, action: str) -> records.RequestRecord:
        record = await self.repo.find_live_by_name(name)
        if record is None or not caller.principal.can_see(record.team):
            raise errors.NotFound(f"no namespace named {name}", details={"name": "not found"})
        self._require_manage(record, caller, action)
        caller.check_owns(record)
        return record

    def _check_approval_scope(
        self, record: records.RequestRecord, old: requests.NamespaceSpec, new: requests.NamespaceSpec, caller: Caller
    ) -> None:
        """Where requests need approval, growing what was approved needs an approver too.

        Otherwise a team could have a small production namespace approved and then raise its tier
        or add ingress and GPUs unseen. Description and TTL stay the team's to change.
        """
        if not policy.needs_approval(old, rules=self.settings.policy):
            return
        if (new.tier, new.features) == (old.tier, old.features):
            return
        if not caller.principal.can_approve(team=record.team, environment=record.environment):
            metrics.AUTHZ_DENIALS.labels("update").inc()
            raise errors.PermissionDenied(
                f"{record.environment} namespaces were approved as requested; a change of tier or features "
                "needs a platform engineer",
                details={"resourceTier": "needs an approver", "features": "needs an approver"},
            )

    def _require_manage(self, record: records.RequestRecord, caller: Caller, action: str) -> None:
        if not caller.principal.can_manage(record.team):
            metrics.AUTHZ_DENIALS.labels(action).inc()
            raise errors.PermissionDenied(
                f"you may view but not {action} namespaces of team {record.team}", details={"team": "read only"}
            )

    async def _pending(self, name: str, caller: Caller) -> records.RequestRecord:
        # An ended request is found too: "cancelled, not waiting for approval" beats "not found".
        record = await self.visible(name, caller)
        if not caller.principal.can_approve(team=record.team, environment=record.environment):
            metrics.AUTHZ_DENIALS.labels("approve").inc()
            raise errors.PermissionDenied("you may not approve this request", details={"role": "approver needed"})
        if record.status != S.PENDING_APPROVAL:
            raise errors.Conflict(f"{name} is {record.status}, not waiting for approval", details={"status": "state"})
        caller.check_owns(record)
        return record

    async def _check_creation_rate(self, subject: str) -> None:
        window = self.settings.auth.create_window_seconds
        since = datetime.now(UTC) - timedelta(seconds=window)
        created = await self.repo.count_created_by(subject, since=since)
        if created >= self.settings.auth.create_limit:
            metrics.RATE_LIMITED.labels("create").inc()
            raise errors.RateLimited(
                f"at most {self.settings.auth.create_limit} namespace requests per {window // 60} minutes",
                retry_after=max(1, window // 10),
            )

    async def _team(self, team: str | None) -> teams.TeamRecord | None:
        """``team``'s registry entry (None: unregistered, or no registry), read once per use case and
        never cached: a registry change applies with the next request."""
        if team is None or self.team_store is None:
            return None
        return await self.team_store.team(team)

    def _capacity(self, spec: requests.NamespaceSpec, *, new_namespace: bool = True) -> teams.CapacityCheck:
        """The cap and budget check a create (or a tier change) runs in its transaction, under the team's lock."""

        def check(team: teams.TeamRecord | None, held: Sequence[str]) -> None:
            limits = teams.limits(team, self.settings.policy)
            usage = policy.TeamUsage.of(held)
            found = policy.capacity(spec.team, spec.tier, limits=limits, usage=usage, new_namespace=new_namespace)
            for field in found:
                metrics.POLICY_VIOLATIONS.labels(field).inc()
            if found:
                what = "this namespace" if new_namespace else "this change"
                raise errors.PolicyViolation(f"team {spec.team} has no room for {what}", details=found)

        return check

    async def _context(
        self, spec: requests.NamespaceSpec | requests.Draft, entry: teams.TeamRecord | None
    ) -> policy.Context:
        """Facts policy needs about the team (``entry``: its registry entry) and the name (those that are known)."""
        usage = policy.TeamUsage.of(await self.repo.team_usage(spec.team)) if spec.team else policy.TeamUsage()
        limits = teams.limits(entry, self.settings.policy)
        if spec.name is None:
            return policy.Context(usage=usage, limits=limits)
        taken = await self.repo.find_live_by_name(spec.name) is not None
        exists_unmanaged = False
        if self.cluster is not None and not taken:
            try:
                info = await self.cluster.namespace_info(spec.name)
            except errors.ClusterError:
                info = None  # best effort; the reconciler checks again before it applies anything
            if info is not None:
                managed = ownership.Ownership.of(self.settings.labels).is_managed(info.labels)
                exists_unmanaged = not managed
                taken = taken or managed
        return policy.Context(usage=usage, name_taken=taken, exists_unmanaged=exists_unmanaged, limits=limits)

    async def _announce(self, record: records.RequestRecord) -> None:
        latest = await self.repo.latest_event_id()
        await self.bus.publish(latest)


def _team_defaults(spec: requests.NamespaceSpec, entry: teams.TeamRecord | None) -> requests.NamespaceSpec:
    """A request that names no cost center gets its team's (from the registry ``entry``)."""
    if spec.cost_center or entry is None or not entry.settings.cost_center:
        return spec
    return dataclasses.replace(spec, cost_center=entry.settings.cost_center)


def _malformed(problems: Mapping[str, str]) -> errors.ValidationFailed:
    return errors.ValidationFailed(
        f"the namespace request has {len(problems)} invalid field(s)", details=dict(problems)
    )
