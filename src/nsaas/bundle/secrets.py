"""ExternalSecret for ``database-access``: database credentials from the platform's vault.

External Secrets Operator copies two remote keys from the ClusterSecretStore
``settings.bundle.secret_store`` (Azure Key Vault by default) into the Secret
``database-credentials`` (keys ``username`` and ``password``), refreshed hourly so a rotation in
the vault reaches pods without a redeploy. The remote key names are a convention the database
team provisions against: ``<team>-<namespace>-db-username`` and ``<team>-<namespace>-db-password``
(Key Vault secret names allow letters, digits and dashes, which team and namespace names are).

The target Secret is owned by the ExternalSecret (``creationPolicy: Owner``), so pruning the
ExternalSecret when the feature is removed also removes the credentials. Which namespaces may
read which keys through the shared store is the store's own policy (its ``conditions``), not
something a rendered bundle can guarantee.
"""

from __future__ import annotations

from nsaas.bundle import context, model

SECRET_NAME = "database-credentials"
REFRESH_INTERVAL = "1h"


def objects(ctx: context.RenderContext) -> list[model.Manifest]:
    if not ctx.spec.has("database-access"):
        return []
    return [database_credentials(ctx)]


def remote_key(ctx: context.RenderContext, field: str) -> str:
    return f"{ctx.spec.team}-{ctx.namespace}-db-{field}"


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
