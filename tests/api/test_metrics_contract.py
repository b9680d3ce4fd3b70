"""Every nsaas metric an alert or dashboard panel uses is emitted with a sample by a scripted journey.

A name that is merely declared (a ``# TYPE`` line with no sample) is what made
``nsaas_quota_usage_ratio``'s alert and panel dead: this test fails on such a metric. The journey
provokes each path a metric reports on (provisioning with both engines, drift, a reconcile error,
auth failures, denials, policy violations, rate limits, quota usage) and a metric counts as
emitted only if the journey itself moved it: a counter or histogram increased, a gauge has a
sample after the journey (samples left over by earlier tests in this process do not count).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from scripts.deploycheck import alerts, manifests, metricnames

from nsaas.domain import changes
from nsaas.sim import faults, server
from tests.support.platform import Platform, unique

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _samples(exposition: str) -> tuple[dict[str, float], dict[str, str]]:
    """sample name -> sum of its values, and sample name -> its family's type."""
    totals: dict[str, float] = {}
    kinds: dict[str, str] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
            kinds[sample.name] = family.type
    return totals, kinds


def used_nsaas_metrics() -> set[str]:
    objects = manifests.build(DEPLOY, "overlays/production").objects
    rules = alerts.rules_of([o for o in objects if o.get("kind") == "PrometheusRule"])
    exprs = [r["expr"] for r in rules if "expr" in r]
    exprs += [q for board in alerts.dashboards_of(objects).values() for q in metricnames.dashboard_queries(board)]
    return {name for expr in exprs for name in metricnames.names_in(expr) if name.startswith("nsaas_")}


async def _resync_now(platform: Platform, name: str) -> None:
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    await platform.rt.repo.update(
        record.id, expected_version=None, change=changes.Change(next_attempt_at=datetime.now(UTC))
    )


async def _journey(platform: Platform, simulator: server.Simulator, sim_faults: faults.Faults) -> None:
    platform.settings.auth.create_limit = 1000
    # Provisioning with the direct engine, a reconcile error on the way (NetworkPolicies refused once).
    sim_faults.set([{"verb": "patch", "resource": "networkpolicies", "error": "403"}])
    direct = unique("journey")
    assert (await platform.call("POST", "/namespaces/request", json=platform.body(direct))).status_code == 202
    await platform.rt.reconciler.tick()
    sim_faults.clear()
    assert await platform.converge(direct) == "ready"
    # ... and with the argo engine (a platform admin may choose it).
    via_argo = unique("journeyargo")
    body = {**platform.body(via_argo), "team": "team-a"}
    created = await platform.call("POST", "/namespaces/request?engine=argo", persona="platform-admin", json=body)
    assert created.status_code == 202, created.text
    assert await platform.converge(via_argo) == "ready"
    # Drift: a tenant deletes the deny-all NetworkPolicy; the resync puts it back.
    headers = {"Authorization": f"Bearer {simulator.token}"}
    async with httpx.AsyncClient(
        base_url=simulator.url, headers=headers, verify=simulator.client_ssl_context()
    ) as kube:
        policies = (await kube.get(f"/apis/networking.k8s.io/v1/namespaces/{direct}/networkpolicies")).json()["items"]
        await kube.delete(
            f"/apis/networking.k8s.io/v1/namespaces/{direct}/networkpolicies/{policies[0]['metadata']['name']}"
        )
        container = {"name": "app", "image": "busybox", "resources": {"requests": {"cpu": "100m"}}}
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app"}, "spec": {"containers": [container]}}
        assert (await kube.post(f"/api/v1/namespaces/{direct}/pods", json=pod)).status_code == 201
    await _resync_now(platform, direct)
    await platform.rt.reconciler.tick()
    # Refusals of every kind.
    assert (
        await platform.client.get("/api/platform/namespaces", headers={"Authorization": "Bearer forged"})
    ).status_code == 401
    assert (await platform.call("GET", "/api/platform/audit", persona="viewer")).status_code == 403
    production = platform.body(unique("journeyprod"), environment="production", resourceTier="micro")
    assert (await platform.call("POST", "/namespaces/request", json=production)).status_code == 422
    platform.settings.auth.create_limit = 0
    assert (
        await platform.call("POST", "/namespaces/request", json=platform.body(unique("journeylimit")))
    ).status_code == 429
    # The background gauge refresh (quota usage read from the cluster), then the scrape, which only
    # reads: without this the gauges were set only by whichever earlier test refreshed them.
    platform.rt.operations.expire_caches()
    await platform.rt.operations.refresh_gauges()


async def test_every_metric_an_alert_or_panel_uses_is_emitted_by_the_journey(
    platform: Platform, simulator: server.Simulator, sim_faults: faults.Faults
) -> None:
    used = used_nsaas_metrics()
    assert {"nsaas_quota_usage_ratio", "nsaas_cluster_reachable", "nsaas_reconcile_backlog"} <= used
    before, _ = _samples((await platform.client.get("/metrics")).text)
    await _journey(platform, simulator, sim_faults)
    after, kinds = _samples((await platform.client.get("/metrics")).text)
    silent = set()
    for name in sorted(used):
        if name not in after:
            silent.add(name)
        elif kinds[name] in ("counter", "histogram") and after[name] <= before.get(name, 0.0):
            silent.add(f"{name} (not moved by the journey)")
    assert silent == set(), f"declared but silent during the journey: {sorted(silent)}"


async def test_alerts_and_dashboards_use_only_metrics_the_running_api_exports(platform: Platform) -> None:
    name = unique("metricscontract")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    await platform.converge(name)
    await platform.rt.operations.refresh_gauges()
    exposition = (await platform.client.get("/metrics")).text
    known = metricnames.exported_names(exposition)
    known |= metricnames.external_names(DEPLOY / "monitoring" / "external-metrics.txt")
    objects = manifests.build(DEPLOY, "overlays/production").objects
    rules = alerts.rules_of([o for o in objects if o.get("kind") == "PrometheusRule"])
    problems = alerts.check_metrics(rules, alerts.dashboards_of(objects), known=known)
    assert problems == []
