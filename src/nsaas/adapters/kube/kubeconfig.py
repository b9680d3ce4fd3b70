"""Reading the platform's own kubeconfig for the access handover (server, CA, dev token)."""

from __future__ import annotations

from pathlib import Path

import yaml

from nsaas import config
from nsaas.services import access


def platform_endpoint(settings: config.Settings) -> access.Endpoint | None:
    """The current context's server, CA data and token of ``NSAAS_KUBECONFIG``; None without one."""
    if not settings.kubeconfig:
        return None
    try:
        doc = yaml.safe_load(Path(settings.kubeconfig).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    wanted = settings.cluster.context or doc.get("current-context")
    context = _named(doc.get("contexts"), wanted)
    if context is None:
        return None
    cluster = _named(doc.get("clusters"), context.get("cluster")) or {}
    user = _named(doc.get("users"), context.get("user")) or {}
    server = cluster.get("server")
    if not server:
        return None
    return access.Endpoint(
        server=str(server),
        certificate_authority_data=str(cluster.get("certificate-authority-data") or ""),
        token=str(user["token"]) if user.get("token") else None,
    )


def _named(entries: object, name: object) -> dict[str, object] | None:
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("name") == name:
            body = next((v for k, v in entry.items() if k != "name" and isinstance(v, dict)), None)
            return body
    return None
