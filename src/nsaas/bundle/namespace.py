"""The Namespace object: ownership and tenancy labels, Pod Security Admission, annotations.

Labels here are security boundaries: NetworkPolicies of other namespaces select on
``<prefix>/team`` and ``<prefix>/managed``, and Pod Security Admission reads the
``pod-security.kubernetes.io/*`` labels. They are written only by the platform (tenants get
namespaced roles, which cannot update a Namespace), and the reconciler re-applies them.

Per-team allow-lists (StorageClasses, IngressClasses, image registries) from the team registry are
``<prefix>/allowed-*`` annotations, enforced by the API server (``deploy/guardrails``).

The bundle template version (:mod:`nsaas.domain.templates`) may add labels and annotations; the
platform's own are written over them. The enforce level comes from the template version per
environment (version 1: ``settings.bundle.pod_security``); audit and warn are
always ``restricted`` so a team on ``baseline`` sees what would break before it is promoted.
The ``bundle-digest`` annotation is added by :mod:`nsaas.bundle.render` after hashing the rest.
"""

from __future__ import annotations

from nsaas.bundle import context, model

PSA = "pod-security.kubernetes.io"
#: Used when an environment has no entry in ``settings.bundle.pod_security``: fail safe.
DEFAULT_POD_SECURITY = "restricted"


def namespace(ctx: context.RenderContext) -> model.Manifest:
    metadata = ctx.metadata(ctx.namespace, labels=_labels(ctx), annotations=_annotations(ctx))
    del metadata["namespace"]
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def _labels(ctx: context.RenderContext) -> dict[str, str]:
    spec = ctx.spec
    enforce = ctx.template.pod_security.get(spec.environment, DEFAULT_POD_SECURITY)
    labels = {
        **ctx.template.namespace_labels,
        **ctx.ownership.managed_selector,
        ctx.key("team"): spec.team,
        ctx.key("environment"): spec.environment,
        ctx.key("tier"): spec.tier,
        f"{PSA}/enforce": enforce,
        f"{PSA}/enforce-version": "latest",
        f"{PSA}/audit": "restricted",
        f"{PSA}/audit-version": "latest",
        f"{PSA}/warn": "restricted",
        f"{PSA}/warn-version": "latest",
    }
    if spec.has("istio-injection"):
        labels.update(_istio_label(ctx))
    return labels


def _istio_label(ctx: context.RenderContext) -> dict[str, str]:
    """Revision-based injection when a revision is pinned (canary upgrades), else the default."""
    if ctx.bundle.istio_revision:
        return {"istio.io/rev": ctx.bundle.istio_revision}
    return {"istio-injection": "enabled"}


def _annotations(ctx: context.RenderContext) -> dict[str, str]:
    spec = ctx.spec
    annotations = {
        **ctx.template.namespace_annotations,
        ctx.key("created-by"): ctx.settings.labels.managed_by,
        ctx.key("requested-by"): ctx.requested_by,
        ctx.key("cost-center"): spec.cost_center,
    }
    if spec.description:
        annotations[ctx.key("description")] = spec.description
    if spec.ttl_hours is not None:
        annotations[ctx.key("expires-after-hours")] = str(spec.ttl_hours)
    annotations.update(guardrail_annotations(ctx))
    return annotations


#: Annotation (under the platform's prefix) of each team allow-list; deploy/guardrails reads them.
GUARDRAIL_ANNOTATIONS = {
    "storage_classes": "allowed-storage-classes",
    "ingress_classes": "allowed-ingress-classes",
    "registries": "allowed-registries",
}


def guardrail_annotations(ctx: context.RenderContext) -> dict[str, str]:
    """A comma-separated list per restricted kind (an empty value allows nothing); none when unrestricted.

    Annotations on the Namespace, because a tenant cannot change its Namespace object, and the
    ValidatingAdmissionPolicy sees it as ``namespaceObject``: no parameter objects to keep in sync.
    """
    found = {}
    for field, name in GUARDRAIL_ANNOTATIONS.items():
        allowed = getattr(ctx.team_rules, field)
        if allowed is not None:
            found[ctx.key(name)] = ",".join(allowed)
    return found
