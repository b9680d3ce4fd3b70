"""ExternalSecret for ``database-access``: database credentials from the tenants' vault.

External Secrets Operator copies two remote keys from the ClusterSecretStore
``settings.bundle.secret_store`` (``tenant-keyvault``: a vault holding tenants' secrets only, never
the platform's) into the Secret ``database-credentials`` (keys ``username`` and ``password``),
refreshed hourly so a rotation in the vault reaches pods without a redeploy. The remote key names
are a convention the database team provisions against: ``<team>--<namespace>-db-username`` and
``<team>--<namespace>-db-password``. ``<team>--`` is the team's prefix in the tenant vault: the
admission policy deploy/guardrails/tenant-secrets-policy.yaml admits an ExternalSecret in a team's
namespace only when every key it reads starts with it, and team names never contain ``--``, so no
team's prefix starts another's (Key Vault secret names allow letters, digits and dashes only).

The target Secret is owned by the ExternalSecret (``creationPolicy: Owner``), so pruning the
ExternalSecret when the feature is removed also removes the credentials.
"""

from __future__ import annotations

from nsaas.bundle import context, model

SECRET_NAME = "database-credentials"
REFRESH_INTERVAL = "1h"


def objects(ctx: context.RenderContext) -> list[model.Manifest]:
    if not ctx.spec.has("database-access"):
        return []
    return [database_credentials(ctx)]


def team_prefix(team: str) -> str:
    """The start every key of ``team`` has in the tenant vault (the admission policy's rule)."""
    return f"{team}--"


def remote_key(ctx: context.RenderContext, field: str) -> str:
    return f"{team_prefix(ctx.spec.team)}{ctx.namespace}-db-{field}"


def database_credentials(ctx: context.RenderContext) -> model.Manifest:
    spec = {
        "refreshInterval": REFRESH_INTERVAL,
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": ctx.bundle.secret_store},
        "target": {"name": SECRET_NAME, "creationPolicy": "Owner"},
        "data": [
            {"secretKey": field, "remoteRef": {"key": remote_key(ctx, field)}} for field in ("username", "password")
        ],
    }
    return ctx.manifest("ExternalSecret", SECRET_NAME, spec=spec)
