"""Istio objects for ``istio-injection``: strict mTLS, a scoped Sidecar, and who may call in.

* PeerAuthentication ``default`` with ``STRICT``: sidecars accept only mutual TLS, so every
  caller has a verifiable workload identity (plain-text from outside the mesh is refused).
* Sidecar ``default``: the proxies only learn the services they may reach. For ``isolated``
  that is this namespace and ``istio-system``, mirroring the NetworkPolicies and keeping proxy
  memory flat as the mesh grows. For ``team-shared`` and ``open`` it is every namespace
  (``*/*``): the team's namespaces are chosen by label and Istio hosts cannot be, and a call to
  a service the proxy does not know leaves as plain TCP, which the callee's STRICT mTLS refuses,
  so a narrower list would break the traffic those modes promise. NetworkPolicies remain the
  enforcement; the Sidecar only scopes configuration.
* AuthorizationPolicy ``nsaas-allow-callers``: ALLOW from this namespace, plus the ingress
  gateway's namespace with ``external-ingress`` and the monitoring namespace with
  ``monitoring-enhanced``. For ``team-shared`` and ``open`` it allows any authenticated mesh
  identity (``principals: ["*"]``): Istio matches source namespaces by name only, the team's
  namespaces change over time, and the renderer is pure, so the network layer decides.

Known limit: with STRICT mTLS, Prometheus scrapes of application ports need Istio's metrics
merging or Prometheus with mesh certificates; this is the cluster's monitoring setup, not the
tenant's.
"""

from __future__ import annotations

from typing import Any

from nsaas.bundle import context, model

ISTIO_NAMESPACE = "istio-system"


def objects(ctx: context.RenderContext) -> list[model.Manifest]:
    if not ctx.spec.has("istio-injection"):
        return []
    return [peer_authentication(ctx), sidecar(ctx), authorization_policy(ctx)]


def peer_authentication(ctx: context.RenderContext) -> model.Manifest:
    return ctx.manifest("PeerAuthentication", "default", spec={"mtls": {"mode": "STRICT"}})


def sidecar(ctx: context.RenderContext) -> model.Manifest:
    hosts = ["./*", f"{ISTIO_NAMESPACE}/*"] if ctx.spec.network_policy == "isolated" else ["*/*"]
    return ctx.manifest("Sidecar", "default", spec={"egress": [{"hosts": hosts}]})


def authorization_policy(ctx: context.RenderContext) -> model.Manifest:
    isolated = ctx.spec.network_policy == "isolated"
    source: dict[str, Any] = {"namespaces": _caller_namespaces(ctx)} if isolated else {"principals": ["*"]}
    spec = {"action": "ALLOW", "rules": [{"from": [{"source": source}]}]}
    return ctx.manifest("AuthorizationPolicy", "nsaas-allow-callers", spec=spec)


def _caller_namespaces(ctx: context.RenderContext) -> list[str]:
    names = [ctx.namespace]
    if ctx.spec.has("external-ingress"):
        names.append(ctx.bundle.ingress_namespace)
    if ctx.spec.has("monitoring-enhanced"):
        names.append(ctx.bundle.monitoring_namespace)
    return names
