"""Representative requests for the golden bundles, shared with the renderer's unit tests.

The matrix covers every tier, network policy, feature and environment, the optional request
fields (rbacConfig, ttl, description, cost center) and non-default settings (label prefix, Istio
revision, Velero namespace, team groups), in a dozen combinations rather than the full product.
Settings are built explicitly so the environment of the test run cannot change a golden file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nsaas import config
from nsaas.bundle import model, render
from nsaas.domain import requests
from nsaas.services import bodies

REQUEST_ID = "8f14e45f-ceea-467a-9f2e-0d5b7c1a2b3c"
REQUESTED_BY = "alice@example.com"
TEAM_GROUPS = {
    "payments": {"admin": "11111111-1111-4111-8111-111111111111", "developer": "22222222-2222-4222-8222-222222222222"},
    "data": {"admin": "33333333-3333-4333-8333-333333333333"},
}
USER_ID = "44444444-4444-4444-8444-444444444444"
GROUP_ID = "55555555-5555-4555-8555-555555555555"


def body(**overrides: Any) -> dict[str, Any]:
    """A valid API request body; keyword arguments replace (or, when None, remove) fields."""
    raw: dict[str, Any] = {
        "namespaceName": "payments-dev",
        "team": "payments",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        "features": [],
    }
    raw.update(overrides)
    return {k: v for k, v in raw.items() if v is not None}


def settings(**bundle: Any) -> config.Settings:
    """Default settings (labels and bundle groups pinned), with ``bundle`` overrides."""
    return config.Settings(labels=config.LabelSettings(), bundle=config.BundleSettings(**bundle))


def render_body(raw: Mapping[str, Any], cfg: config.Settings | None = None) -> model.Bundle:
    spec = bodies.parse_spec(raw)
    return render.render_bundle(spec, cfg or settings(), request_id=REQUEST_ID, requested_by=REQUESTED_BY)


@dataclass(frozen=True)
class Case:
    name: str
    body: dict[str, Any]
    settings: config.Settings = field(default_factory=settings)

    def render(self) -> model.Bundle:
        return render_body(self.body, self.settings)


CASES = (
    Case("development-micro-open-minimal", body(namespaceName="sandbox", resourceTier="micro", networkPolicy="open")),
    Case("development-small-isolated-istio", body(features=["istio-injection"])),
    Case(
        "development-large-team-shared-ml-workspace",
        body(
            namespaceName="ml-lab",
            team="data",
            resourceTier="large",
            networkPolicy="team-shared",
            features=["gpu-access", "monitoring-enhanced", "backup-enabled"],
            ttl="14d",
        ),
        settings(team_groups=TEAM_GROUPS),
    ),
    Case(
        "development-medium-isolated-gpu",
        body(namespaceName="gpu-test", resourceTier="medium", features=["gpu-access"]),
    ),
    Case(
        "staging-medium-isolated-microservice-api",
        body(
            namespaceName="payments-api-stg",
            environment="staging",
            resourceTier="medium",
            features=["istio-injection", "monitoring-enhanced", "database-access", "external-ingress"],
            description="Payments API (staging)",
            costCenter="CC-1234",
        ),
        settings(team_groups=TEAM_GROUPS),
    ),
    Case(
        "staging-small-team-shared-data-pipeline",
        body(
            namespaceName="etl-stg",
            team="data",
            environment="staging",
            networkPolicy="team-shared",
            features=["monitoring-enhanced", "backup-enabled", "database-access"],
        ),
        settings(team_groups=TEAM_GROUPS),
    ),
    Case(
        "staging-micro-open-writer-with-ttl",
        body(
            namespaceName="preview-42",
            environment="staging",
            resourceTier="micro",
            networkPolicy="open",
            features=["external-ingress"],
            ttl="72h",
            rbacConfig={"principalId": GROUP_ID, "principalType": "Group", "roleDefinition": "aks-rbac-writer"},
        ),
    ),
    Case(
        "production-medium-isolated-istio",
        body(
            namespaceName="payments-prod", environment="production", resourceTier="medium", features=["istio-injection"]
        ),
    ),
    Case(
        "production-small-isolated-reader-user",
        body(
            namespaceName="reports-prod",
            environment="production",
            rbacConfig={"principalId": USER_ID, "principalType": "User", "roleDefinition": "aks-rbac-reader"},
        ),
        settings(team_groups=TEAM_GROUPS),
    ),
    Case(
        "production-large-team-shared-all-features",
        body(
            namespaceName="checkout-prod",
            environment="production",
            resourceTier="large",
            networkPolicy="team-shared",
            features=list(requests.FEATURES),
            description="Checkout: every feature at once",
            costCenter="CC-9000",
            ttl="30d",
            rbacConfig={"principalId": GROUP_ID, "principalType": "Group", "roleDefinition": "aks-rbac-admin"},
        ),
        settings(team_groups=TEAM_GROUPS),
    ),
    Case(
        "development-small-isolated-custom-settings",
        body(namespaceName="tools", features=["istio-injection", "backup-enabled", "database-access"]),
        config.Settings(
            labels=config.LabelSettings(prefix="tenancy.example.com", managed_by="platform-team"),
            bundle=config.BundleSettings(
                pod_security={"development": "restricted"},
                istio_revision="1-22",
                database_cidrs=["10.50.0.0/24", "172.20.1.0/24"],
                database_ports=[5432],
                secret_store="corp-vault",
                backup_retention_days=30,
                backup_schedule="30 1 * * 0",
                velero_namespace="backup-system",
            ),
        ),
    ),
    Case(
        "staging-large-team-shared-admin-group-only",
        body(
            namespaceName="data-warehouse",
            team="data",
            environment="staging",
            resourceTier="large",
            networkPolicy="team-shared",
        ),
        settings(team_groups=TEAM_GROUPS),
    ),
)
