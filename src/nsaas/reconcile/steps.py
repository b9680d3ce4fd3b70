"""One reconcile step of one claimed request: converge, verify, resync or decommission.

What must stay true:

* Ready means the namespace is Active and every bundle object exists with the platform's values
  and the current digest (``Observation.matches`` plus the digest annotation).
* Only namespaces carrying the managed label *and* this request's id are ever deleted
  (:class:`nsaas.bundle.ownership.Ownership`).
* A ready namespace is re-checked every resync interval; drift is repaired with a direct
  server-side apply (also under the argo engine: a repair is one idempotent apply, not a run)
  and recorded on the timeline. A namespace deleted out of band is reported and re-created only
  if policy says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from nsaas import config, metrics
from nsaas.bundle import model, ownership, render
from nsaas.domain import audit as actions
from nsaas.domain import changes, lifecycle, records, teams, templates
from nsaas.reconcile import engines, outcomes
from nsaas.services import ports

S = lifecycle.Status
END_REASONS = {S.DELETED: "deleted", S.EXPIRED: "expired: TTL reached", S.CANCELLED: "cancelled"}


class Steps:
    def __init__(
        self,
        *,
        settings: config.Settings,
        cluster: ports.Cluster,
        engines_by_name: dict[records.EngineName, engines.Engine],
        outcomes: outcomes.Outcomes,
        clock: Callable[[], datetime],
        team_store: ports.TeamStore | None = None,
        templates: ports.TemplateResolver | None = None,
    ) -> None:
        self.settings = settings
        self.team_store = team_store
        self.templates = templates
        self.cluster = cluster
        self.engines = engines_by_name
        self.direct = engines_by_name["direct"]
        self.out = outcomes
        self.clock = clock
        self.ownership = ownership.Ownership.of(settings.labels)

    def bundle(
        self,
        record: records.RequestRecord,
        team_rules: teams.NamespaceRules = teams.UNRESTRICTED,
        template: templates.BundleParameters | None = None,
    ) -> model.Bundle:
        return render.render_bundle(
            record.spec_obj,
            self.settings,
            request_id=record.id,
            requested_by=record.requested_by,
            team_rules=team_rules,
            template=template,
        )

    async def wanted(self, record: records.RequestRecord) -> model.Bundle:
        """The bundle to converge to: the team's allow-lists as the registry has them now, and the
        bundle template version the namespace runs."""
        rules = teams.UNRESTRICTED
        if self.team_store is not None:
            rules = teams.namespace_rules_of(await self.team_store.team(record.team))
        template = None if self.templates is None else await self.templates.parameters(record.template)
        return self.bundle(record, rules, template)

    def _resync_at(self, now: datetime) -> changes.Change:
        return changes.Change(
            next_attempt_at=now + timedelta(seconds=self.settings.engines.resync_seconds), last_resync_at=now
        )

    async def reconcile(self, record: records.RequestRecord) -> None:
        metrics.RECONCILE_RUNS.labels(str(record.status)).inc()
        if record.status == S.DECOMMISSIONING:
            await self._decommission(record)
        elif record.status in (S.PROVISIONING, S.UPDATING, S.READY, S.FAILED):
            await self._converge(record)
        else:
            await self.out.release(record, changes.Change(next_attempt_at=None))

    async def _converge(self, record: records.RequestRecord) -> None:
        bundle = await self.wanted(record)
        info = await self.cluster.namespace_info(record.name)
        if info is not None:
            foreign = self.ownership.refusal(info.labels, name=record.name, request_id=record.id)
            if foreign:
                await self.out.retry_or_fail(record, foreign, permanent=True)
                return
            if info.phase == "Terminating":
                await self.out.wait(record, "waiting for an earlier namespace of this name to finish terminating")
                return
        if record.status == S.READY:
            await self._resync(record, bundle, exists=info is not None)
            return
        progress = await engines.for_record(record, self.engines).provision(record=record, bundle=bundle)
        await self.out.report(record, progress)
        if progress.outcome == "failed":
            await self.out.failed(record, progress)
        elif progress.outcome == "waiting":
            await self.out.wait(record, progress.message, workflow=progress.workflow)
        else:
            await self._verify(record, bundle, workflow=progress.workflow, applied=progress.applied)

    async def _pending(self, record: records.RequestRecord, bundle: model.Bundle, *, applied: bool) -> str | None:
        """What the cluster still lacks (None once settled).

        After the platform's own successful forced apply the objects hold its values by
        construction and only the namespace phase is read; otherwise (a workflow did the work)
        every object is.
        """
        if applied:
            info = await self.cluster.namespace_info(record.name)
            return None if info is not None and info.phase == "Active" else f"namespace phase {info and info.phase}"
        seen = await self.cluster.observe(bundle=bundle)
        if seen.matches and seen.digest == bundle.digest:
            return None
        if seen.phase == "Active":
            # The run finished yet the cluster differs (e.g. an older run wrote last): one
            # direct apply repairs it instead of waiting for a workflow that will not change.
            await self.out.report(record, await self.direct.provision(record=record, bundle=bundle))
        return ", ".join([*seen.missing, *seen.drifted]) or f"namespace phase {seen.phase}"

    async def _verify(
        self, record: records.RequestRecord, bundle: model.Bundle, *, workflow: str | None, applied: bool
    ) -> None:
        """Ready once the namespace is Active and every object holds the platform's values."""
        pending = await self._pending(record, bundle, applied=applied)
        if pending:
            await self.out.wait(record, f"waiting for the cluster to settle: {pending}", workflow=workflow)
            return
        now = self.clock()
        operation = "update" if record.status == S.UPDATING else "provision"
        started = record.updated_at if operation == "update" else (record.approved_at or record.created_at)
        metrics.PROVISIONING_DURATION.labels(record.engine, operation).observe((now - started).total_seconds())
        metrics.PROVISIONING_RESULTS.labels(record.engine, operation, "ready").inc()
        change = changes.Change(
            status=S.READY,
            status_reason="ready",
            applied_digest=bundle.digest,
            observed_generation=record.generation,
            attempts=0,
            last_error=None,
        ).also(self._resync_at(now))
        if workflow:
            change = change.also(changes.Change(workflow_name=workflow))
        if record.ready_at is None:
            change = change.also(changes.Change(ready_at=now))
        await self.out.release(
            record,
            change,
            event=records.NewEvent(
                kind="status",
                message=f"ready: {len(bundle.manifests)} objects in place",
                data={"digest": bundle.digest},
            ),
            audit=outcomes.audit(actions.READY[operation], record, detail=f"digest {bundle.digest}"),
        )

    async def _resync(self, record: records.RequestRecord, bundle: model.Bundle, *, exists: bool) -> None:
        resync = self._resync_at(self.clock())
        if not exists and not self.settings.policy.recreate_deleted_namespaces:
            await self._deleted_out_of_band(record)
            return
        seen = await self.cluster.observe(bundle=bundle)
        caught_up = self._caught_up(record)
        if seen.matches and seen.digest == bundle.digest:
            recovered = changes.Change(attempts=0, last_error=None) if record.attempts else changes.Change()
            await self.out.release(record, resync.also(recovered).also(caught_up))
            return
        drift = [*seen.missing, *seen.drifted] or [f"namespace {record.name}"]
        if seen.digest != bundle.digest and seen.phase is not None and not seen.missing and not seen.drifted:
            drift = [f"bundle digest {seen.digest} != {bundle.digest}"]
        for key in drift:
            metrics.DRIFT_CORRECTIONS.labels(key.split("/", 1)[0]).inc()
        await self.out.repo.add_event(
            record.id,
            records.NewEvent(
                kind="drift",
                message="drift detected: " + ", ".join(drift),
                data={"missing": list(seen.missing), "drifted": list(seen.drifted)},
            ),
        )
        progress = await self.direct.provision(record=record, bundle=bundle)
        if progress.outcome == "failed":
            await self.out.failed(record, progress)
            return
        applied = changes.Change(attempts=0, last_error=None, applied_digest=bundle.digest)
        pending = record.observed_generation < record.generation
        await self.out.release(
            record,
            resync.also(applied).also(caught_up),
            event=records.NewEvent(
                kind="drift" if not pending else "status",
                message="drift corrected: re-applied the bundle" if not pending else "the pending change is applied",
            ),
            audit=outcomes.audit(actions.DRIFT_CORRECTED, record, detail=", ".join(drift)),
        )

    @staticmethod
    def _caught_up(record: records.RequestRecord) -> changes.Change:
        """Once the bundle holds, a change that was pending while ready counts as applied."""
        if record.observed_generation >= record.generation:
            return changes.Change()
        return changes.Change(observed_generation=record.generation, status_reason="ready")

    async def _deleted_out_of_band(self, record: records.RequestRecord) -> None:
        message = (
            f"namespace {record.name} was deleted outside the platform; decommission the request, "
            "or ask a platform admin to re-create it"
        )
        await self.out.repo.add_event(record.id, records.NewEvent(kind="drift", message=message))
        await self.out.release(
            record,
            changes.Change(status=S.FAILED, status_reason=message, last_error=message, next_attempt_at=None),
            audit=outcomes.audit(actions.DELETED_OUT_OF_BAND, record, outcome="failed", detail=message),
        )

    async def _decommission(self, record: records.RequestRecord) -> None:
        bundle = self.bundle(record)
        info = await self.cluster.namespace_info(record.name)
        foreign = (
            self.ownership.refusal(info.labels, name=record.name, request_id=record.id) if info is not None else None
        )
        if info is None or foreign:
            await self.cluster.delete_by_selector(bundle=bundle)
            await self._finish(record, note=foreign)
            return
        progress = await engines.for_record(record, self.engines).decommission(record=record, bundle=bundle)
        await self.out.report(record, progress)
        if progress.outcome == "failed":
            await self.out.failed(record, progress)
        else:
            await self.out.wait(record, progress.message or "deleting", workflow=progress.workflow)

    async def _finish(self, record: records.RequestRecord, *, note: str | None) -> None:
        end = record.end_state or S.DELETED
        reason = END_REASONS.get(end, str(end))
        if note:
            reason = f"{reason} ({note})"
        metrics.PROVISIONING_RESULTS.labels(record.engine, "decommission", str(end)).inc()
        await self.out.release(
            record,
            changes.Change(
                status=end, status_reason=reason, deleted_at=self.clock(), next_attempt_at=None, last_error=None
            ),
            event=records.NewEvent(kind="status", message=f"namespace {record.name} {reason}"),
            audit=outcomes.audit(actions.ENDED[str(end)], record, detail=reason),
        )
