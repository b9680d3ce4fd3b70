"""The detail view of a namespace: the request, what the cluster has now, quota use, cost, timeline.

Reading the cluster is best effort: when it cannot be reached the view still answers, saying
so, because a portal that fails whenever the API server is slow helps nobody.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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


class Inspector:
    def __init__(
        self,
        *,
        settings: config.Settings,
        repo: ports.Repository,
        cluster: ports.Cluster,
        team_store: ports.TeamStore | None = None,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.cluster = cluster
        self.team_store = team_store

    async def detail(self, record: records.RequestRecord, *, summary: dict[str, Any]) -> dict[str, Any]:
        spec = record.spec_obj
        live = record.status not in lifecycle.TERMINAL and record.status != lifecycle.Status.PENDING_APPROVAL
        cluster_view: dict[str, Any] = {"observed": False}
        quota: list[dict[str, Any]] = []
        if live:
            team = await self.team_store.team(record.team) if self.team_store is not None else None
            bundle = render.render_bundle(
                spec,
                self.settings,
                request_id=record.id,
                requested_by=record.requested_by,
                team_rules=teams.namespace_rules_of(team),
            )
            try:
                seen = await self.cluster.observe(bundle=bundle)
            except errors.ClusterError as exc:
                cluster_view = {"observed": False, "error": exc.message}
            else:
                cluster_view = {
                    "observed": True,
                    "exists": seen.phase is not None,
                    "phase": seen.phase,
                    "matches": seen.matches,
                    "missing": list(seen.missing),
                    "drifted": list(seen.drifted),
                    "appliedDigest": seen.digest,
                    "desiredDigest": bundle.digest,
                    "objects": len(bundle.manifests),
                }
                quota = [
                    {
                        "resource": name,
                        "used": _plain(u.used),
                        "hard": _plain(u.hard),
                        "ratio": None if u.ratio == float("inf") else round(u.ratio, 4),
                    }
                    for name, u in sorted(seen.quota.items())
                ]
        timeline = await self.repo.timeline(record.id)
        return {
            **summary,
            "cluster": cluster_view,
            "quota": quota,
            "networkPolicySummary": NETWORK_SUMMARY[spec.network_policy],
            "featureSummary": {f: FEATURE_SUMMARY[f] for f in spec.features},
            "cost": cost.estimate(spec.tier, prices=self.settings.pricing).to_api(),
            "timeline": timeline,
            "lastError": record.last_error,
            "rbacConfig": spec.to_api().get("rbacConfig"),
        }
