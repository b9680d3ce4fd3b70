"""A namespace as a Backstage catalog entity (``GET .../namespaces/{name}/catalog-info``).

Backstage models infrastructure as ``Resource`` entities owned by a ``Group``; the team's group
is ``group:<team>`` in the default namespace, the name Backstage's Azure AD / GitHub org
ingestion gives a team when the team's name is the group's. The entity carries the
``backstage.io/kubernetes-namespace`` annotation so Backstage's Kubernetes plugin shows the
namespace's workloads, and links to the namespace's portal page and its Grafana dashboard.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from nsaas import config
from nsaas.domain import records

API_VERSION = "backstage.io/v1alpha1"


def entity(record: records.RequestRecord, settings: config.Settings) -> dict[str, Any]:
    """The ``Resource`` entity of ``record`` (owner = the team's group, system from settings)."""
    access = settings.access
    prefix = settings.labels.prefix
    links = []
    if access.portal_url:
        links.append(
            {"url": f"{access.portal_url.rstrip('/')}/namespaces/{quote(record.name)}", "title": "nsaas portal"}
        )
    if access.grafana_url:
        dashboard = f"{access.grafana_url.rstrip('/')}{access.grafana_namespace_dashboard}"
        links.append({"url": f"{dashboard}?var-namespace={quote(record.name)}", "title": "Grafana"})
    description = record.spec.description or f"Kubernetes namespace of team {record.team}"
    return {
        "apiVersion": API_VERSION,
        "kind": "Resource",
        "metadata": {
            "name": record.name,
            "title": record.name,
            "description": description,
            "labels": {"environment": record.environment, "tier": record.tier},
            "annotations": {
                "backstage.io/kubernetes-namespace": record.name,
                f"{prefix}/request-id": record.id,
                f"{prefix}/status": str(record.status),
            },
            "tags": ["kubernetes-namespace", record.environment, record.tier],
            "links": links,
        },
        "spec": {
            "type": "kubernetes-namespace",
            "owner": f"group:{record.team}",
            "system": access.backstage_system,
        },
    }
