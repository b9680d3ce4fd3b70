"""Every metric an alert or dashboard panel uses is one a live Platform API really exports."""

from __future__ import annotations

from pathlib import Path

from scripts.deploycheck import alerts, manifests, metricnames

from tests.support.platform import Platform, unique

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


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
    assert "nsaas_reconcile_backlog" in known
    assert "nsaas_http_request_duration_seconds_bucket" in known
