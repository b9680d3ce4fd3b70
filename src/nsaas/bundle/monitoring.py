"""Monitoring objects for ``monitoring-enhanced``: what to scrape, and when to warn about quota.

* ServiceMonitor ``nsaas-services``: scrapes the ``metrics`` port of services in this namespace
  labelled ``<prefix>/scrape: "true"``. Opt-in by label, so a team decides what is scraped and a
  service without metrics produces no failing targets.
* PrometheusRule ``nsaas-quota-pressure``: alerts when any quota resource of this namespace is
  above 80% (warning) or 95% (critical) of its hard limit, from kube-state-metrics'
  ``kube_resourcequota``. The namespace is fixed in the expression, so each bundle alerts about
  its own namespace only. Pods and volumes are refused with ``exceeded quota`` at 100%, which is
  why the warning comes well before. The ``team`` label lets Alertmanager route to the team.
"""

from __future__ import annotations

from typing import Any

from nsaas.bundle import context, model

RUNBOOK_URL = "docs/runbooks/namespace-quota-pressure.md"
#: (alert name, threshold, for, severity)
QUOTA_ALERTS = (
    ("NamespaceQuotaPressure", "0.8", "15m", "warning"),
    ("NamespaceQuotaNearlyExhausted", "0.95", "5m", "critical"),
)


def objects(ctx: context.RenderContext) -> list[model.Manifest]:
    if not ctx.spec.has("monitoring-enhanced"):
        return []
    return [service_monitor(ctx), prometheus_rule(ctx)]


def service_monitor(ctx: context.RenderContext) -> model.Manifest:
    spec = {
        "selector": {"matchLabels": {ctx.key("scrape"): "true"}},
        "namespaceSelector": {"matchNames": [ctx.namespace]},
        "endpoints": [{"port": "metrics", "interval": "30s", "path": "/metrics"}],
    }
    return ctx.manifest("ServiceMonitor", "nsaas-services", spec=spec)


def prometheus_rule(ctx: context.RenderContext) -> model.Manifest:
    rules = [_alert(ctx, *alert) for alert in QUOTA_ALERTS]
    group = {"name": f"nsaas-quota-pressure-{ctx.namespace}", "rules": rules}
    return ctx.manifest("PrometheusRule", "nsaas-quota-pressure", spec={"groups": [group]})


def quota_ratio_expr(namespace: str) -> str:
    """Used/hard per quota resource for one namespace (hard of 0 is excluded: no division)."""
    used = f'kube_resourcequota{{namespace="{namespace}", type="used"}}'
    hard = f'kube_resourcequota{{namespace="{namespace}", type="hard"}}'
    return (
        f"max by (namespace, resource) ({used})\n"
        f"  / on (namespace, resource)\n"
        f"max by (namespace, resource) ({hard} > 0)"
    )


def _alert(ctx: context.RenderContext, name: str, threshold: str, duration: str, severity: str) -> dict[str, Any]:
    percent = f"{float(threshold) * 100:g}%"
    return {
        "alert": name,
        "expr": f"{quota_ratio_expr(ctx.namespace)}\n  > {threshold}",
        "for": duration,
        "labels": {"severity": severity, "namespace": ctx.namespace, "team": ctx.spec.team},
        "annotations": {
            "summary": f"Namespace {ctx.namespace} uses over {percent} of its {{{{ $labels.resource }}}} quota",
            "description": (
                f"{{{{ $labels.resource }}}} in {ctx.namespace} is at {{{{ $value | humanizePercentage }}}} "
                "of the ResourceQuota; new pods or volumes will be refused at 100%. "
                "Free resources or move to a larger tier."
            ),
            "runbook_url": RUNBOOK_URL,
        },
    }
