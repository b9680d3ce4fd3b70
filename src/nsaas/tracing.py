"""Distributed tracing with OpenTelemetry: one trace from the browser's request to the provisioning run.

* :func:`configure` installs a tracer provider for the process (``service.name`` nsaas-api,
  nsaas-ui, nsaas-worker ...) and instruments every httpx client, which covers the UI's calls to
  the API (lightkube speaks httpx2, which that instrumentation does not see: each Kubernetes API
  call gets a :func:`client_span` in ``adapters/kube/resilience.py``). Spans are exported over
  OTLP/HTTP only when ``NSAAS_TRACING__OTLP_ENDPOINT`` is set (off by default); without it spans
  still exist, so the W3C ``traceparent`` is propagated and trace ids appear in the logs.
* :func:`instrument_app` (FastAPI: the API and the UI) continues an incoming ``traceparent``;
  :func:`instrument_engine` adds SQLAlchemy spans.
* The API stores the submitting request's ``traceparent`` with the namespace request; the
  reconciler works on it inside :func:`continued`, so the provisioning run is part of the same
  trace even when a worker process picks it up minutes later.
* :func:`add_trace_ids` puts ``trace_id`` / ``span_id`` on every structlog line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics as otel_metrics
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.ext.asyncio import AsyncEngine

import nsaas
from nsaas import config

TRACER = "nsaas"
#: Probes and scrapes are not worth a span each.
EXCLUDED_URLS = "healthz,health/live,health/ready,metrics"
_PROPAGATOR = TraceContextTextMapPropagator()
_configured: list[TracerProvider] = []


def configure(settings: config.Settings, *, component: str, processor: SpanProcessor | None = None) -> TracerProvider:
    """The process's tracer provider (installed once; later calls return it). ``processor`` lets
    tests collect spans; otherwise spans go to the OTLP endpoint when one is configured."""
    if _configured:
        return _configured[0]
    tracing = settings.tracing
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"nsaas-{component}", "service.version": nsaas.VERSION}),
        sampler=ParentBased(TraceIdRatioBased(tracing.sample_ratio)),
    )
    if processor is not None:
        provider.add_span_processor(processor)
    elif tracing.otlp_endpoint:
        provider.add_span_processor(BatchSpanProcessor(_otlp(tracing.otlp_endpoint)))
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _configured.append(provider)
    return provider


def _otlp(endpoint: str) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")


def instrument_app(app: Any) -> None:
    FastAPIInstrumentor.instrument_app(app, excluded_urls=EXCLUDED_URLS)


def instrument_engine(engine: AsyncEngine) -> None:
    """SQL statement spans on ``engine`` (pool usage goes to OpenTelemetry's no-op meter: Prometheus
    metrics stay the project's own)."""
    usage = otel_metrics.get_meter(TRACER).create_up_down_counter("db.client.connections.usage", unit="connections")
    EngineTracer(trace.get_tracer(TRACER), engine.sync_engine, connections_usage=usage)  # type: ignore[no-untyped-call]


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, to store or forward; None outside a trace."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


@contextlib.contextmanager
def continued(traceparent: str | None, name: str, **attributes: str) -> Iterator[None]:
    """A span that continues the trace ``traceparent`` names (a new trace when it is None)."""
    parent = _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else otel_context.Context()
    with trace.get_tracer(TRACER).start_as_current_span(name, context=parent, attributes=attributes):
        yield


@contextlib.contextmanager
def client_span(name: str, **attributes: str) -> Iterator[None]:
    """A client span around an outgoing call no instrumentation library sees (the Kubernetes API)."""
    with trace.get_tracer(TRACER).start_as_current_span(name, kind=trace.SpanKind.CLIENT, attributes=attributes):
        yield


def add_trace_ids(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the current trace and span ids, when there is a recording span."""
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        event.setdefault("trace_id", format(span.trace_id, "032x"))
        event.setdefault("span_id", format(span.span_id, "016x"))
    return event
