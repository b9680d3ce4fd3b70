"""Every Prometheus metric nsaas exports, defined in one place.

The alert rules and Grafana dashboards under ``deploy/monitoring`` may only use these names (or
names of the well-known exporters listed in ``deploy/monitoring/external-metrics.txt``); a test
cross-checks them against a live ``/metrics``. Rename a metric here and that test tells you
which alert or panel to change.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PROVISION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

BUILD_INFO = Gauge(
    "nsaas_build_info", "Build information; value is always 1", ["version", "component"], registry=REGISTRY
)

HTTP_REQUESTS = Counter(
    "nsaas_http_requests_total", "HTTP requests served", ["component", "method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "nsaas_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["component", "method", "route"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
NAMESPACES = Gauge(
    "nsaas_namespaces",
    "Namespace requests by lifecycle status",
    ["status", "team", "tier", "environment"],
    registry=REGISTRY,
)
PROVISIONING_DURATION = Histogram(
    "nsaas_provisioning_duration_seconds",
    "Time from accepted request (or approval) to ready",
    ["engine", "operation"],
    buckets=_PROVISION_BUCKETS,
    registry=REGISTRY,
)
PROVISIONING_RESULTS = Counter(
    "nsaas_provisioning_results_total",
    "Provisioning operations by outcome",
    ["engine", "operation", "outcome"],
    registry=REGISTRY,
)
RECONCILE_RUNS = Counter("nsaas_reconcile_runs_total", "Reconcile steps taken", ["action"], registry=REGISTRY)
RECONCILE_ERRORS = Counter("nsaas_reconcile_errors_total", "Reconcile steps that failed", ["reason"], registry=REGISTRY)
RECONCILE_BACKLOG = Gauge("nsaas_reconcile_backlog", "Requests waiting for the reconciler (due now)", registry=REGISTRY)
DRIFT_CORRECTIONS = Counter(
    "nsaas_drift_corrections_total", "Objects re-applied because they drifted", ["kind"], registry=REGISTRY
)
WORKFLOW_RESULTS = Counter(
    "nsaas_workflow_results_total",
    "Argo workflows by template and final phase",
    ["template", "phase"],
    registry=REGISTRY,
)
KUBE_REQUESTS = Counter(
    "nsaas_kube_requests_total", "Kubernetes API calls by verb and result", ["verb", "result"], registry=REGISTRY
)
KUBE_CIRCUIT_OPEN = Gauge(
    "nsaas_kube_circuit_open", "1 while the Kubernetes API circuit breaker is open", registry=REGISTRY
)
AUTH_FAILURES = Counter("nsaas_auth_failures_total", "Rejected credentials by reason", ["reason"], registry=REGISTRY)
AUTHZ_DENIALS = Counter("nsaas_authz_denials_total", "Requests refused by authorization", ["action"], registry=REGISTRY)
POLICY_VIOLATIONS = Counter(
    "nsaas_policy_violations_total", "Requests refused by platform policy, by field", ["field"], registry=REGISTRY
)
RATE_LIMITED = Counter("nsaas_rate_limited_total", "Requests refused by rate limits", ["scope"], registry=REGISTRY)
QUOTA_USAGE_RATIO = Gauge(
    "nsaas_quota_usage_ratio",
    "Used / hard of each managed namespace's ResourceQuota, by resource",
    ["namespace", "team", "resource"],
    registry=REGISTRY,
)
EVENT_SUBSCRIBERS = Gauge("nsaas_event_subscribers", "Open SSE streams", registry=REGISTRY)
AUDIT_DENIALS_SUPPRESSED = Counter(
    "nsaas_audit_denials_suppressed_total",
    "Authorization refusals not written to the audit log because the per-process cap was reached",
    registry=REGISTRY,
)
CLUSTER_REACHABLE = Gauge(
    "nsaas_cluster_reachable",
    "1 when the last check reached the Kubernetes API, 0 when it did not (not a readiness condition)",
    registry=REGISTRY,
)
UI_LOGINS = Counter(
    "nsaas_ui_logins_total",
    "UI sign-in attempts by method (oidc, dev) and outcome",
    ["method", "outcome"],
    registry=REGISTRY,
)
UI_API_ERRORS = Counter(
    "nsaas_ui_api_errors_total",
    "Platform API calls from the UI that failed, by HTTP status (503 when the API was unreachable)",
    ["status"],
    registry=REGISTRY,
)
EVENT_LISTENER_CONNECTED = Gauge(
    "nsaas_event_listener_connected",
    "1 while this process's LISTEN connection for cross-replica events is up (always 1 on SQLite)",
    registry=REGISTRY,
)
DATABASE_UP = Gauge("nsaas_database_up", "1 when the last background check reached the database", registry=REGISTRY)
GAUGES_AGE = Gauge(
    "nsaas_gauges_age_seconds",
    "Seconds since the database-derived gauges (namespaces, backlog) were last refreshed",
    registry=REGISTRY,
)
EVENT_STREAMS_DROPPED = Counter(
    "nsaas_event_streams_dropped_total", "SSE streams closed because the client stopped reading", registry=REGISTRY
)
LEASE_EXTENSIONS = Counter(
    "nsaas_lease_extensions_total", "Lease heartbeats written while a reconcile step ran", registry=REGISTRY
)
RECONCILER_LAST_PASS = Gauge(
    "nsaas_reconciler_last_pass_timestamp_seconds",
    "Unix time of this worker's last claiming pass (it stops moving when the worker is stuck)",
    registry=REGISTRY,
)
ROLLOUT_TARGETS = Counter(
    "nsaas_rollout_targets_total",
    "Namespaces a template rollout moved, by result (applied, failed, skipped, rolled-back)",
    ["result"],
    registry=REGISTRY,
)
ROLLOUTS_HALTED = Gauge(
    "nsaas_rollouts_halted",
    "Template rollouts halted because a wave's failure rate exceeded its threshold (as the worker last saw)",
    registry=REGISTRY,
)
