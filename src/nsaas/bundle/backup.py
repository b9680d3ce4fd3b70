"""Velero Schedule for ``backup-enabled``.

The Schedule must live in Velero's own namespace (``settings.bundle.velero_namespace``) because
Velero only watches there; it still carries the bundle's selector labels, and the bundle lists
that namespace in ``extra_namespaces`` so the adapter prunes it when the feature is removed.
It backs up exactly the tenant namespace and no cluster-scoped resources: a tenant's backup
must never capture (or, on restore, recreate) other tenants' objects or cluster RBAC.
"""

from __future__ import annotations

from nsaas.bundle import context, model

HOURS_PER_DAY = 24


def objects(ctx: context.RenderContext) -> list[model.Manifest]:
    if not ctx.spec.has("backup-enabled"):
        return []
    return [schedule(ctx)]


def schedule(ctx: context.RenderContext) -> model.Manifest:
    settings = ctx.bundle
    template = {
        "includedNamespaces": [ctx.namespace],
        "includeClusterResources": False,
        "ttl": retention_ttl(settings.backup_retention_days),
    }
    manifest = ctx.manifest(
        "Schedule", f"nsaas-{ctx.namespace}", spec={"schedule": settings.backup_schedule, "template": template}
    )
    manifest["metadata"]["namespace"] = settings.velero_namespace
    return manifest


def retention_ttl(days: int) -> str:
    """Velero's duration format (Go ``time.Duration``): 14 days is ``336h0m0s``."""
    return f"{days * HOURS_PER_DAY}h0m0s"
