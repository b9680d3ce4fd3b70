"""The stored spec is the database adapter's own format: every row written so far still loads."""

from __future__ import annotations

from nsaas.adapters.db import rows
from nsaas.domain import requests

SPEC = requests.NamespaceSpec(
    name="pay-dev",
    team="pay",
    environment="development",
    tier="small",
    network_policy="isolated",
    features=("istio-injection", "backup-enabled"),
    description="d",
    cost_center="CC-1",
    rbac=requests.RbacConfig("0f0e0d0c-0b0a-0908-0706-050403020100", "Group", "aks-rbac-reader"),
    ttl_hours=72,
)


def test_a_spec_round_trips_through_its_column() -> None:
    assert rows.spec_from_column(rows.spec_column(SPEC)) == SPEC


def test_a_row_an_older_writer_left_still_loads() -> None:
    stored = {
        "namespaceName": "pay-dev",
        "team": "pay",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        "features": ["backup-enabled", "istio-injection"],
        "description": "d",
        "costCenter": "CC-1",
        "rbacConfig": {
            "principalId": "0F0E0D0C-0B0A-0908-0706-050403020100",
            "principalType": "Group",
            "roleDefinition": "aks-rbac-reader",
        },
        "ttl": "3d",
    }
    assert rows.spec_from_column(stored) == SPEC
    minimal = {k: stored[k] for k in ("namespaceName", "team", "environment", "resourceTier", "networkPolicy")}
    assert rows.spec_from_column(minimal) == requests.NamespaceSpec(
        "pay-dev", "pay", "development", "small", "isolated"
    )
