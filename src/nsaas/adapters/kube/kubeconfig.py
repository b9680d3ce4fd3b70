"""Reading the platform's own kubeconfig for the access handover (server, CA, dev token)."""

from __future__ import annotations

from nsaas import config
from nsaas.adapters.kube import client
from nsaas.domain import errors
from nsaas.services import access


def platform_endpoint(settings: config.Settings) -> access.Endpoint | None:
    """The server, CA data and token of ``NSAAS_KUBECONFIG``'s context (the one the platform itself
    connects with, read by the same loader); None without a kubeconfig or when it cannot be read."""
    if not settings.kubeconfig:
        return None
    try:
        single = client.load(settings)
    except errors.ConfigurationError:
        return None
    return access.Endpoint(
        server=single.cluster.server,
        certificate_authority_data=single.cluster.certificate_auth_data or "",
        token=single.user.token if single.user is not None else None,
    )
