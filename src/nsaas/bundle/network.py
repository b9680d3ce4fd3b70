"""NetworkPolicies: the traffic model of each ``networkPolicy`` choice and feature.

The model (all policies select every pod of the namespace, ``podSelector: {}``):

``open``
    No policy at all. Any NetworkPolicy with ``policyTypes: [Ingress]`` or ``[Egress]`` isolates
    the pods it selects in that direction, so even a lone "allow from monitoring" would silently
    turn ``open`` into "monitoring only". Features that open a path (monitoring, ingress gateway,
    databases, DNS) therefore need nothing here: nothing is denied.

``isolated``
    Ingress: default-deny, then allow the same namespace, plus the monitoring namespace with
    ``monitoring-enhanced`` and the ingress-gateway namespace with ``external-ingress``.
    Egress: default-deny, then allow DNS to kube-dns in kube-system (UDP and TCP 53; without it
    nothing resolves), the same namespace, istio-system with ``istio-injection`` (sidecars fetch
    config and certificates from istiod), the configured database CIDRs and ports with
    ``database-access``, and the internet: ``0.0.0.0/0`` except the private, carrier-grade NAT
    and link-local ranges. Excluding those ranges is what stops a tenant reaching other tenants'
    pods and services (pod and service CIDRs are private) and the cloud metadata endpoint
    (169.254.169.254), while apps can still call external APIs. Database CIDRs are usually
    private, hence their explicit rule. A private API server or private endpoints are not
    reachable: that is deliberate and needs a platform change, not a tenant one.

``team-shared``
    As ``isolated``, plus ingress from and egress to namespaces labelled both
    ``<prefix>/team: <team>`` and ``<prefix>/managed: "true"``.

Namespaces are selected only by the immutable ``kubernetes.io/metadata.name`` label or by
labels only the platform writes; a tenant can label its pods but never its namespace. The
policies are additive (Kubernetes ORs all policies selecting a pod), one concern per object with
a fixed ``nsaas-`` name, so a change of features adds or prunes whole objects. IPv4 only.
"""

from __future__ import annotations

from typing import Any

from nsaas.bundle import context, model

ISTIO_NAMESPACE = "istio-system"
KUBE_SYSTEM = "kube-system"
#: Never reachable through the internet rule: RFC 1918, carrier-grade NAT (RFC 6598), link-local.
NON_INTERNET_CIDRS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")


def policies(ctx: context.RenderContext) -> list[model.Manifest]:
    if ctx.spec.network_policy == "open":
        return []
    return [*_ingress(ctx), *_egress(ctx), *_shared(ctx)]


def _ingress(ctx: context.RenderContext) -> list[model.Manifest]:
    found = [_policy(ctx, "nsaas-default-deny-ingress", ["Ingress"])]
    if ctx.spec.has("monitoring-enhanced"):
        peer = {"namespaceSelector": context.namespace_selector(ctx.bundle.monitoring_namespace)}
        found.append(_policy(ctx, "nsaas-allow-monitoring-ingress", ["Ingress"], ingress=[{"from": [peer]}]))
    if ctx.spec.has("external-ingress"):
        peer = {"namespaceSelector": context.namespace_selector(ctx.bundle.ingress_namespace)}
        found.append(_policy(ctx, "nsaas-allow-ingress-gateway", ["Ingress"], ingress=[{"from": [peer]}]))
    return found


def _egress(ctx: context.RenderContext) -> list[model.Manifest]:
    found = [
        _policy(ctx, "nsaas-default-deny-egress", ["Egress"]),
        _policy(ctx, "nsaas-allow-dns-egress", ["Egress"], egress=[_dns_rule()]),
    ]
    if ctx.template.internet_egress:
        found.append(_policy(ctx, "nsaas-allow-internet-egress", ["Egress"], egress=[_internet_rule()]))
    if ctx.spec.has("istio-injection"):
        peer = {"namespaceSelector": context.namespace_selector(ISTIO_NAMESPACE)}
        found.append(_policy(ctx, "nsaas-allow-istio-control-plane-egress", ["Egress"], egress=[{"to": [peer]}]))
    if ctx.spec.has("database-access"):
        found.append(_policy(ctx, "nsaas-allow-database-egress", ["Egress"], egress=[_database_rule(ctx)]))
    return found


def _shared(ctx: context.RenderContext) -> list[model.Manifest]:
    """Same-namespace traffic both ways, and team namespaces both ways for ``team-shared``."""
    same = [{"namespaceSelector": context.namespace_selector(ctx.namespace)}]
    found = [_both_ways(ctx, "nsaas-allow-same-namespace", same)]
    if ctx.spec.network_policy == "team-shared":
        team = {ctx.key("team"): ctx.spec.team, **ctx.ownership.managed_selector}
        found.append(_both_ways(ctx, "nsaas-allow-team-namespaces", [{"namespaceSelector": {"matchLabels": team}}]))
    return found


def _both_ways(ctx: context.RenderContext, name: str, peers: list[dict[str, Any]]) -> model.Manifest:
    return _policy(ctx, name, ["Ingress", "Egress"], ingress=[{"from": peers}], egress=[{"to": peers}])


def _dns_rule() -> dict[str, Any]:
    peer = {
        "namespaceSelector": context.namespace_selector(KUBE_SYSTEM),
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    ports = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    return {"to": [peer], "ports": ports}


def _internet_rule() -> dict[str, Any]:
    return {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NON_INTERNET_CIDRS)}}]}


def _database_rule(ctx: context.RenderContext) -> dict[str, Any]:
    peers = [{"ipBlock": {"cidr": cidr}} for cidr in ctx.bundle.database_cidrs]
    ports = [{"protocol": "TCP", "port": port} for port in ctx.bundle.database_ports]
    return {"to": peers, "ports": ports}


def _policy(
    ctx: context.RenderContext,
    name: str,
    types: list[str],
    *,
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
) -> model.Manifest:
    spec: dict[str, Any] = {"podSelector": {}, "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return ctx.manifest("NetworkPolicy", name, spec=spec)
