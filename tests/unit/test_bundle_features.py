"""Namespace metadata, quota, and the objects each feature adds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from nsaas.bundle import model
from nsaas.domain import tiers
from tests.golden import cases
from tests.support.requirements import need


def one(bundle: model.Bundle, kind: str) -> dict[str, Any]:
    [manifest] = bundle.objects(kind)
    return manifest


@pytest.mark.parametrize(
    ("environment", "enforce"), [("development", "baseline"), ("staging", "restricted"), ("production", "restricted")]
)
def test_namespace_carries_tenancy_labels_and_pod_security_per_environment(environment: str, enforce: str) -> None:
    namespace = one(cases.render_body(cases.body(environment=environment, resourceTier="medium")), "Namespace")
    labels = namespace["metadata"]["labels"]
    assert labels["platform.io/managed"] == "true"
    assert labels["platform.io/team"] == "payments"
    assert labels["platform.io/environment"] == environment
    assert labels["platform.io/tier"] == "medium"
    assert labels["platform.io/request-id"] == cases.REQUEST_ID
    assert labels["pod-security.kubernetes.io/enforce"] == enforce
    assert labels["pod-security.kubernetes.io/enforce-version"] == "latest"
    assert labels["pod-security.kubernetes.io/audit"] == labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert "namespace" not in namespace["metadata"]


def test_namespace_annotations_record_who_asked_and_when_it_expires() -> None:
    raw = cases.body(description="Payments sandbox", costCenter="CC-7", ttl="2d")
    annotations = one(cases.render_body(raw), "Namespace")["metadata"]["annotations"]
    assert annotations["platform.io/created-by"] == "nsaas"
    assert annotations["platform.io/requested-by"] == cases.REQUESTED_BY
    assert annotations["platform.io/cost-center"] == "CC-7"
    assert annotations["platform.io/description"] == "Payments sandbox"
    assert annotations["platform.io/expires-after-hours"] == "48"
    plain = one(cases.render_body(cases.body()), "Namespace")["metadata"]["annotations"]
    assert "platform.io/description" not in plain
    assert "platform.io/expires-after-hours" not in plain


def test_label_prefix_and_managed_by_come_from_settings() -> None:
    cfg = cases.settings()
    cfg.labels.prefix, cfg.labels.managed_by = "tenancy.example.com", "platform-team"
    bundle = cases.render_body(cases.body(), cfg)
    assert dict(bundle.selector) == {
        "app.kubernetes.io/managed-by": "platform-team",
        "tenancy.example.com/request-id": cases.REQUEST_ID,
    }
    assert one(bundle, "Namespace")["metadata"]["labels"]["tenancy.example.com/managed"] == "true"


@pytest.mark.parametrize("tier", tiers.TIER_NAMES)
def test_quota_is_the_tiers_hard_limits_and_denies_gpus_without_gpu_access(tier: str) -> None:
    hard = one(cases.render_body(cases.body(resourceTier=tier)), "ResourceQuota")["spec"]["hard"]
    expected = tiers.TIERS[tier].quota_hard(gpu=False)
    assert {k: v for k, v in hard.items() if k != "requests.nvidia.com/gpu"} == expected
    assert hard["requests.nvidia.com/gpu"] == "0"


def test_gpu_access_grants_the_tiers_gpus() -> None:
    hard = one(cases.render_body(cases.body(resourceTier="large", features=["gpu-access"])), "ResourceQuota")
    assert hard["spec"]["hard"]["requests.nvidia.com/gpu"] == str(tiers.TIERS["large"].gpus)


def test_limit_range_gives_container_defaults_and_caps_one_container_at_the_tier() -> None:
    [limits] = one(cases.render_body(cases.body(resourceTier="small")), "LimitRange")["spec"]["limits"]
    assert limits["type"] == "Container"
    assert limits["default"] == {"cpu": "500m", "memory": "512Mi"}
    assert limits["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}
    assert limits["max"] == {"cpu": "4", "memory": "8Gi"}


def test_istio_injection_labels_the_namespace_and_enforces_strict_mtls() -> None:
    bundle = cases.render_body(cases.body(features=["istio-injection", "external-ingress"]))
    assert one(bundle, "Namespace")["metadata"]["labels"]["istio-injection"] == "enabled"
    assert one(bundle, "PeerAuthentication")["spec"] == {"mtls": {"mode": "STRICT"}}
    assert one(bundle, "Sidecar")["spec"] == {"egress": [{"hosts": ["./*", "istio-system/*"]}]}
    [rule] = one(bundle, "AuthorizationPolicy")["spec"]["rules"]
    assert rule == {"from": [{"source": {"namespaces": ["payments-dev", "istio-ingress"]}}]}


def test_a_pinned_istio_revision_replaces_the_injection_label() -> None:
    bundle = cases.render_body(cases.body(features=["istio-injection"]), cases.settings(istio_revision="1-22"))
    labels = one(bundle, "Namespace")["metadata"]["labels"]
    assert labels["istio.io/rev"] == "1-22"
    assert "istio-injection" not in labels


def test_without_istio_injection_there_are_no_istio_objects() -> None:
    bundle = cases.render_body(cases.body(features=["monitoring-enhanced"]))
    assert not {m["kind"] for m in bundle.manifests} & {"PeerAuthentication", "Sidecar", "AuthorizationPolicy"}
    assert "istio-injection" not in one(bundle, "Namespace")["metadata"]["labels"]


def test_monitoring_scrapes_opted_in_services_and_alerts_on_quota_pressure() -> None:
    bundle = cases.render_body(cases.body(namespaceName="shop", features=["monitoring-enhanced"]))
    monitor = one(bundle, "ServiceMonitor")["spec"]
    assert monitor["selector"] == {"matchLabels": {"platform.io/scrape": "true"}}
    assert monitor["namespaceSelector"] == {"matchNames": ["shop"]}
    assert monitor["endpoints"][0]["port"] == "metrics"
    [group] = one(bundle, "PrometheusRule")["spec"]["groups"]
    thresholds = {rule["expr"].rsplit(">", 1)[1].strip(): rule["labels"]["severity"] for rule in group["rules"]}
    assert thresholds == {"0.8": "warning", "0.95": "critical"}
    for rule in group["rules"]:
        assert 'kube_resourcequota{namespace="shop", type="used"}' in rule["expr"]
        assert rule["annotations"]["runbook_url"]


def test_quota_alert_rules_are_valid_for_promtool(tmp_path: Path) -> None:
    need("promtool", available=shutil.which("promtool") is not None, reason="promtool is not on PATH")
    rule = one(cases.render_body(cases.body(features=["monitoring-enhanced"])), "PrometheusRule")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rule["spec"]))
    result = subprocess.run(
        ["promtool", "check", "rules", str(rules_file)], capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_backup_schedule_lives_in_velero_and_covers_only_the_namespace() -> None:
    cfg = cases.settings(backup_retention_days=14, backup_schedule="0 3 * * *")
    schedule = one(cases.render_body(cases.body(features=["backup-enabled"]), cfg), "Schedule")
    assert schedule["metadata"]["name"] == "nsaas-payments-dev"
    assert schedule["metadata"]["namespace"] == "velero"
    assert schedule["spec"] == {
        "schedule": "0 3 * * *",
        "template": {"includedNamespaces": ["payments-dev"], "includeClusterResources": False, "ttl": "336h0m0s"},
    }


def test_database_access_syncs_credentials_from_the_cluster_secret_store() -> None:
    bundle = cases.render_body(cases.body(features=["database-access"]), cases.settings(secret_store="vault"))
    secret = one(bundle, "ExternalSecret")
    assert secret["apiVersion"] == "external-secrets.io/v1beta1"
    assert secret["metadata"]["name"] == "database-credentials"
    spec = secret["spec"]
    assert spec["refreshInterval"] == "1h"
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault"}
    assert spec["target"]["name"] == "database-credentials"
    assert {d["secretKey"]: d["remoteRef"]["key"] for d in spec["data"]} == {
        "username": "payments--payments-dev-db-username",
        "password": "payments--payments-dev-db-password",  # pragma: allowlist secret (a key name)
    }
