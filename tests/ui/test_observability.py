"""The UI serves /metrics (requests, latency, sign-ins, failed API calls), logs JSON access lines and
forwards its correlation id to the API."""

from __future__ import annotations

import json

import httpx
import pytest

from nsaas import logs
from tests.ui import fake_api
from tests.ui.conftest import SignIn


def _sample(exposition: str, prefix: str) -> float:
    rows = [row for row in exposition.splitlines() if row.startswith(prefix)]
    assert rows, f"no sample starting with {prefix}"
    return sum(float(row.split()[-1]) for row in rows)


async def test_the_ui_exports_request_login_and_api_error_metrics(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    before = (await ui.get("/metrics")).text
    logins = 'nsaas_ui_logins_total{method="dev",outcome="success"}'
    start = _sample(before, logins) if logins in before else 0.0
    await sign_in("team-a-developer")
    assert (await ui.get("/namespaces")).status_code == 200
    api.down = True
    await ui.get("/namespaces")
    api.down = False
    exposition = (await ui.get("/metrics")).text
    assert _sample(exposition, logins) == start + 1
    assert _sample(exposition, 'nsaas_http_requests_total{component="ui",method="GET",route="/namespaces"') >= 2
    assert 'nsaas_http_request_duration_seconds_bucket{component="ui"' in exposition
    assert _sample(exposition, 'nsaas_ui_api_errors_total{status="503"}') >= 1
    assert 'nsaas_build_info{component="ui"' in exposition


async def test_the_ui_forwards_its_correlation_id_to_the_api(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    await sign_in("team-a-developer")
    answer = await ui.get("/namespaces", headers={"X-Correlation-ID": "journey-42"})
    assert answer.headers["x-correlation-id"] == "journey-42"
    forwarded = {r.headers.get("X-Correlation-ID") for r in api.calls("GET", "/namespaces")}
    assert "journey-42" in forwarded


async def test_the_ui_logs_json_access_lines_with_ids(
    ui: httpx.AsyncClient, sign_in: SignIn, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure(json=True)
    try:
        await sign_in("team-a-developer")
        capsys.readouterr()
        await ui.get("/namespaces", headers={"X-Correlation-ID": "journey-43"})
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    finally:
        logs.configure(json=False)
    access = [line for line in lines if line.get("event") == "http" and line.get("route") == "/namespaces"]
    assert access
    assert access[-1]["correlation_id"] == "journey-43"
    assert access[-1]["status"] == 200
    assert {"request_id", "timestamp", "level"} <= set(access[-1])
