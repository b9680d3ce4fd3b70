"""One trace from an API call to the provisioning run it causes, with database and Kubernetes spans,
and trace ids in the logs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from nsaas import config, tracing
from nsaas.adapters.auth import dev
from nsaas.adapters.db.ui_sessions import SessionRows
from nsaas.api import app as api_app
from nsaas.ui import app as ui_app
from tests.support.platform import Platform, live_server, unique

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = tracing.configure(config.Settings(auth_mode="dev"), component="test")
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.clear()
    exporter.shutdown()


async def test_a_provisioning_run_continues_the_trace_of_the_request_that_caused_it(
    platform: Platform, spans: InMemorySpanExporter
) -> None:
    name = unique("traced")
    accepted = await platform.call(
        "POST", "/namespaces/request", json=platform.body(name), headers={"traceparent": TRACEPARENT}
    )
    assert accepted.status_code == 202
    record = await platform.rt.repo.get(accepted.json()["data"]["requestId"])
    assert record.traceparent is not None
    assert record.traceparent.split("-")[1] == TRACE_ID
    assert await platform.converge(name) == "ready"
    ours = [s for s in spans.get_finished_spans() if format(s.context.trace_id, "032x") == TRACE_ID]
    names = {s.name for s in ours}
    assert any(n.startswith("POST /api/platform/namespaces/request") for n in names), names
    reconcile = [s for s in ours if s.name == "reconcile"]
    assert reconcile
    assert reconcile[0].attributes["namespace"] == name
    db_spans = [s for s in ours if s.attributes.get("db.system") or s.attributes.get("db.system.name")]
    assert db_spans, "no SQLAlchemy span in the trace"
    kube_calls = [s for s in ours if s.kind == trace.SpanKind.CLIENT and s.name.startswith("kubernetes ")]
    assert kube_calls, "no Kubernetes API span in the trace"
    reconcile_ids = {s.context.span_id for s in reconcile}
    assert any(s.parent.span_id in reconcile_ids for s in kube_calls if s.parent is not None)


def test_log_lines_carry_the_current_trace_and_span_ids(spans: InMemorySpanExporter) -> None:
    with tracing.continued(TRACEPARENT, "work"):
        event = tracing.add_trace_ids(None, "info", {"event": "x"})
        current = trace.get_current_span().get_span_context()
    assert event["trace_id"] == TRACE_ID
    assert event["span_id"] == format(current.span_id, "016x")
    assert "trace_id" not in tracing.add_trace_ids(None, "info", {"event": "outside"})


def test_exporting_is_off_unless_an_endpoint_is_configured() -> None:
    assert config.TracingSettings().otlp_endpoint == ""


async def test_the_ui_propagates_the_trace_to_the_api(platform: Platform, spans: InMemorySpanExporter) -> None:
    api = api_app.create_app(platform.settings, rt=platform.rt)
    async with live_server(api) as api_url, httpx.AsyncClient() as backend:
        ui = ui_app.create_app(
            platform.settings,
            api_url=api_url,
            http_client=backend,
            session_rows=SessionRows.from_settings(platform.settings),
            persona_tokens=dev.persona_tokens(platform.settings),
        )
        async with ui.router.lifespan_context(ui):
            transport = httpx.ASGITransport(app=ui)
            async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as browser:
                page = await browser.get("/login")
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                assert csrf is not None
                form = {"persona": "team-a-developer", "next": "/", "csrf_token": csrf.group(1)}
                assert (await browser.post("/login/dev", data=form)).status_code == 303
                spans.clear()
                listed = await browser.get("/namespaces", headers={"traceparent": TRACEPARENT})
                assert listed.status_code == 200
    ours = [s for s in spans.get_finished_spans() if format(s.context.trace_id, "032x") == TRACE_ID]
    services = {s.resource.attributes.get("service.name") for s in ours}
    assert "nsaas-test" in services
    api_server = [
        s for s in ours if s.kind == trace.SpanKind.SERVER and s.name.startswith("GET /api/platform/namespaces")
    ]
    assert api_server, sorted(s.name for s in ours)
    ui_client = [s for s in ours if s.kind == trace.SpanKind.CLIENT and s.name.startswith("GET")]
    assert any(s.parent is not None and s.parent.span_id in {c.context.span_id for c in ui_client} for s in api_server)
