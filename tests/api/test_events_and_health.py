"""Live events over SSE, health probes, metrics and OpenAPI/docs served without a CDN."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from unittest.mock import ANY

import httpx
import pytest

from nsaas.adapters.kube import quantity
from nsaas.api import app as api_app
from nsaas.domain import tiers
from nsaas.sim import server
from tests.support.platform import Platform, live_server, unique


async def _collect(url: str, headers: dict[str, str], *, until: str, limit: float = 20) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=limit) as client, client.stream("GET", url, headers=headers) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if events[-1]["status"] == until and events[-1]["kind"] == "status":
                    return events
    return events


async def test_the_timeline_streams_live_until_ready(platform: Platform) -> None:
    name = unique("sse")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    app = api_app.create_app(platform.settings, rt=platform.rt)
    async with live_server(app) as base:
        reader = asyncio.create_task(
            _collect(f"{base}/api/platform/namespaces/{name}/events", platform.auth("team-a-developer"), until="ready")
        )
        await platform.converge(name)
        events = await asyncio.wait_for(reader, timeout=20)
    kinds = [(e["kind"], e["status"]) for e in events]
    assert kinds[0] == ("status", "provisioning")
    assert ("status", "ready") in kinds
    assert any(e["kind"] == "step" for e in events)
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


async def test_the_global_stream_resumes_from_last_event_id_and_hides_other_teams(platform: Platform) -> None:
    mine, theirs = unique("mine"), unique("theirs")
    await platform.call("POST", "/namespaces/request", json=platform.body(mine))
    await platform.call(
        "POST", "/namespaces/request", persona="team-b-developer", json={**platform.body(theirs), "team": "team-b"}
    )
    await platform.converge(mine)
    await platform.converge(theirs)
    app = api_app.create_app(platform.settings, rt=platform.rt)
    async with live_server(app) as base:
        headers = {**platform.auth("team-a-developer"), "Last-Event-ID": "0"}
        events = await _collect(f"{base}/api/platform/events", headers, until="ready")
    assert {e["namespace"] for e in events} == {mine}


async def test_a_foreign_namespace_stream_is_a_plain_404(platform: Platform) -> None:
    name = unique("foreignsse")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    answer = await platform.call("GET", f"/namespaces/{name}/events", persona="team-b-developer")
    assert answer.status_code == 404


async def test_health_probes_report_database_and_cluster(platform: Platform) -> None:
    live = await platform.client.get("/health/live")
    assert live.json()["status"] == "ok"
    ready = await platform.client.get("/health/ready")
    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == {"database"}
    detailed = (await platform.client.get("/health/detailed")).json()
    assert set(detailed["checks"]) == {"database", "cluster"}
    assert detailed["engine"] == "direct"
    assert detailed["reconciler"]["worker"]


async def test_a_lost_event_listener_degrades_health_but_not_readiness(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    lost = {**platform.rt.bus.status(), "listening": False}
    monkeypatch.setattr(platform.rt.bus, "status", lambda: lost)
    assert (await platform.client.get("/health/ready")).status_code == 200
    detailed = await platform.client.get("/health/detailed")
    assert detailed.status_code == 200
    assert detailed.json()["status"] == "degraded"
    assert detailed.json()["eventListener"]["listening"] is False


async def test_an_unreachable_cluster_degrades_health_but_not_readiness(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down() -> bool:
        return False

    monkeypatch.setattr(platform.rt.cluster, "ping", down)
    ready = await platform.client.get("/health/ready")
    assert ready.status_code == 200
    detailed = await platform.client.get("/health/detailed")
    assert detailed.status_code == 200
    assert detailed.json()["status"] == "degraded"
    assert detailed.json()["checks"]["cluster"]["ok"] is False
    platform.rt.operations.expire_caches()
    exposition = (await platform.client.get("/metrics")).text
    assert "nsaas_cluster_reachable 0.0" in exposition
    listed = await platform.call("GET", "/namespaces")
    assert listed.status_code == 200


async def test_readiness_fails_when_the_database_is_unreachable(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken() -> None:
        raise ConnectionRefusedError

    monkeypatch.setattr(platform.rt.repo, "ping", broken)
    ready = await platform.client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == {"ok": False, "error": "ConnectionRefusedError", "ms": ANY}


async def test_metrics_expose_requests_namespaces_and_provisioning(platform: Platform) -> None:
    name = unique("metrics")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    await platform.converge(name)
    platform.rt.operations.expire_caches()
    await platform.rt.operations.refresh_gauges()  # what the background refresher does every few seconds
    text = (await platform.client.get("/metrics")).text
    assert 'nsaas_http_requests_total{component="api",method="POST",route="/api/platform/namespaces/request"' in text
    assert 'nsaas_namespaces{environment="development",status="ready",team="team-a",tier="small"}' in text
    assert "nsaas_provisioning_duration_seconds_bucket" in text


async def test_openapi_and_swagger_ui_are_served_with_local_assets(platform: Platform) -> None:
    spec = (await platform.client.get("/api/openapi.json")).json()
    assert "/api/platform/namespaces/request" in spec["paths"]
    docs = (await platform.client.get("/api/docs")).text
    assert "/api/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
    bundle = await platform.client.get("/api/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200


async def test_analytics_are_computed_from_stored_requests(platform: Platform) -> None:
    for tier in ("small", "large"):
        name = unique(f"an-{tier}")
        await platform.call("POST", "/namespaces/request", json=platform.body(name, resourceTier=tier))
        await platform.converge(name)
    raw = await platform.call("GET", "/analytics/dashboard")
    assert raw.status_code == 200, raw.text
    dashboard = raw.json()["data"]
    assert dashboard["total"] == 2
    assert dashboard["provisioning"]["succeeded"] == 2
    assert dashboard["provisioning"]["samples"] == 2
    costs = (await platform.call("GET", "/analytics/costs")).json()["data"]
    assert costs["isEstimate"] is True
    assert costs["byTeam"]["team-a"] == pytest.approx(costs["byTier"]["small"] + costs["byTier"]["large"])
    resources = (await platform.call("GET", "/analytics/resources")).json()["data"]
    assert resources["byTeam"]["team-a"]["cpu"] == 10.0
    usage = (await platform.call("GET", "/analytics/usage?days=7")).json()["data"]
    assert sum(d["count"] for d in usage["createdPerDay"]) == 2
    foreign = (await platform.call("GET", "/analytics/usage", persona="team-b-developer")).json()["data"]
    assert foreign["total"] == 0


async def test_audit_records_who_did_what_from_where(platform: Platform) -> None:
    name = unique("audit")
    await platform.call("POST", "/namespaces/request", json=platform.body(name), headers={"User-Agent": "pytest-ua"})
    entries = (await platform.call("GET", f"/audit?target={name}", persona="platform-admin")).json()["data"]["items"]
    entry = next(e for e in entries if e["action"] == "namespace.request")
    assert entry["actor"] == "dev:team-a-developer"
    assert entry["roles"] == ["team:team-a:developer"]
    assert entry["sourceIp"] == "203.0.113.7"
    assert entry["userAgent"] == "pytest-ua"
    assert entry["outcome"] == "success"
    assert entry["after"]["namespaceName"] == name


async def test_the_public_api_health_path_answers_without_a_token(platform: Platform) -> None:
    answer = await platform.client.get("/api/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


async def test_quota_usage_ratio_comes_from_the_live_quota_status(
    platform: Platform, simulator: server.Simulator
) -> None:
    name = unique("quotaratio")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    assert await platform.converge(name) == "ready"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "worker", "namespace": name},
        "spec": {
            "containers": [
                {"name": "app", "image": "busybox", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}
            ]
        },
    }
    headers = {"Authorization": f"Bearer {simulator.token}"}
    async with httpx.AsyncClient(
        base_url=simulator.url, headers=headers, verify=simulator.client_ssl_context()
    ) as kube:
        created = await kube.post(f"/api/v1/namespaces/{name}/pods", json=pod)
        assert created.status_code == 201, created.text
    hard = tiers.get("small").quota_hard(gpu=False)
    expected_cpu = 0.5 / float(quantity.parse(hard["requests.cpu"]))
    line = ""
    for _ in range(50):  # the quota controller counts asynchronously
        platform.rt.operations.expire_caches()
        await platform.rt.operations.refresh_gauges()  # the background refresh; a scrape only reads
        exposition = (await platform.client.get("/metrics")).text
        wanted = f'nsaas_quota_usage_ratio{{namespace="{name}",resource="requests.cpu",team="team-a"}}'
        line = next((row for row in exposition.splitlines() if row.startswith(wanted)), "")
        if line and float(line.split()[-1]) > 0:
            break
        await asyncio.sleep(0.1)
    assert line, "no quota sample for the namespace"
    assert float(line.split()[-1]) == pytest.approx(expected_cpu)
