"""The detail view of a namespace: the request, what the cluster has now, quota use, cost, timeline.

Reading the cluster is best effort: when it cannot be reached the view still answers, saying
so, because a portal that fails whenever the API server is slow helps nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from nsaas import config
from nsaas.bundle import render
from nsaas.domain import cost, errors, lifecycle, records, teams
from nsaas.services import ports

NETWORK_SUMMARY = {
    "isolated": "Ingress only from this namespace (default deny otherwise)",
    "team-shared": "Ingress from this namespace and the team's other managed namespaces",
    "open": "No ingress restriction",
}
FEATURE_SUMMARY = {
    "istio-injection": "Istio sidecars, mTLS STRICT, egress limited to this namespace and istio-system",
    "monitoring-enhanced": "ServiceMonitor for services labelled for scraping; quota-pressure alerts",
    "backup-enabled": "Daily Velero backup of this namespace",
    "gpu-access": "GPU quota (requests.nvidia.com/gpu)",
    "database-access": "Egress to the database networks; credentials from the secret store",
    "external-ingress": "Ingress from the ingress gateway",
}


def _plain(value: Decimal) -> str:
    """Quota quantities in base units (cores, bytes, counts) without trailing zeros."""
    return format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class ClusterView:
    """What the cluster holds of a request's bundle; ``observed`` False when it was not read."""

    observed: bool
    error: str | None = None
    exists: bool = False
    phase: str | None = None
    matches: bool = False
    missing: tuple[str, ...] = ()
    drifted: tuple[str, ...] = ()
    applied_digest: str | None = None
    desired_digest: str | None = None
    objects: int = 0


@dataclass(frozen=True, slots=True)
class QuotaLine:
    resource: str
    used: str
    hard: str
    ratio: float | None


@dataclass(frozen=True, slots=True)
class Detail:
    """A request with what the cluster has now, its quota use, cost and timeline."""

    record: records.RequestRecord
    cluster: ClusterView
    quota: tuple[QuotaLine, ...]
    network_policy_summary: str
    feature_summary: Mapping[str, str]
    estimate: cost.Estimate
    timeline: list[records.EventRecord]


class Inspector:
    def __init__(
        self,
        *,
        settings: config.Settings,
        repo: ports.Repository,
        cluster: ports.Cluster,
        team_store: ports.TeamStore | None = None,
        templates: ports.TemplateResolver | None = None,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.cluster = cluster
        self.team_store = team_store
        self.templates = templates

    async def detail(self, record: records.RequestRecord) -> Detail:
        spec = record.spec_obj
        live = record.status not in lifecycle.TERMINAL and record.status != lifecycle.Status.PENDING_APPROVAL
        view, quota = (await self._observe(record)) if live else (ClusterView(observed=False), ())
        return Detail(
            record=record,
            cluster=view,
            quota=quota,
            network_policy_summary=NETWORK_SUMMARY[spec.network_policy],
            feature_summary={f: FEATURE_SUMMARY[f] for f in spec.features},
            estimate=cost.estimate(spec.tier, prices=self.settings.pricing),
            timeline=await self.repo.timeline(record.id),
        )

    async def _observe(self, record: records.RequestRecord) -> tuple[ClusterView, tuple[QuotaLine, ...]]:
        team = await self.team_store.team(record.team) if self.team_store is not None else None
        bundle = render.render_bundle(
            record.spec_obj,
            self.settings,
            request_id=record.id,
            requested_by=record.requested_by,
            team_rules=teams.namespace_rules_of(team),
            template=None if self.templates is None else await self.templates.parameters(record.template),
        )
        try:
            seen = await self.cluster.observe(bundle=bundle)
        except errors.ClusterError as exc:
            return ClusterView(observed=False, error=exc.message), ()
        view = ClusterView(
            observed=True,
            exists=seen.phase is not None,
            phase=seen.phase,
            matches=seen.matches,
            missing=tuple(seen.missing),
            drifted=tuple(seen.drifted),
            applied_digest=seen.digest,
            desired_digest=bundle.digest,
            objects=len(bundle.manifests),
        )
        quota = tuple(
            QuotaLine(
                resource=name,
                used=_plain(u.used),
                hard=_plain(u.hard),
                ratio=None if u.ratio == float("inf") else round(u.ratio, 4),
            )
            for name, u in sorted(seen.quota.items())
        )
        return view, quota
