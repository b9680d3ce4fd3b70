"""The traffic model of each network policy choice and feature (see nsaas.bundle.network)."""

from __future__ import annotations

from typing import Any

import pytest

from nsaas.bundle import model
from tests.golden import cases

ALL_PODS: dict[str, Any] = {}


def policies(bundle: model.Bundle) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m["spec"] for m in bundle.objects("NetworkPolicy")}


def test_isolated_policy_selects_by_metadata_name_label() -> None:
    found = policies(cases.render_body(cases.body(namespaceName="billing", networkPolicy="isolated")))
    same = found["nsaas-allow-same-namespace"]
    peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "billing"}}}
    assert same["ingress"] == [{"from": [peer]}]
    assert same["egress"] == [{"to": [peer]}]
    assert found["nsaas-default-deny-ingress"] == {"podSelector": ALL_PODS, "policyTypes": ["Ingress"]}
    assert "nsaas-allow-team-namespaces" not in found


def test_team_shared_admits_only_namespaces_the_platform_labelled_for_the_team() -> None:
    found = policies(cases.render_body(cases.body(team="payments", networkPolicy="team-shared")))
    team = found["nsaas-allow-team-namespaces"]
    selector = {"matchLabels": {"platform.io/team": "payments", "platform.io/managed": "true"}}
    assert team["ingress"] == [{"from": [{"namespaceSelector": selector}]}]
    assert team["egress"] == [{"to": [{"namespaceSelector": selector}]}]
    assert "nsaas-default-deny-ingress" in found


def test_open_renders_no_policy_even_with_features_that_open_paths() -> None:
    features = ["monitoring-enhanced", "external-ingress", "database-access", "istio-injection"]
    bundle = cases.render_body(cases.body(networkPolicy="open", features=features))
    assert bundle.objects("NetworkPolicy") == []


@pytest.mark.parametrize("network", ["isolated", "team-shared"])
def test_restricted_egress_always_allows_dns_to_kube_dns(network: str) -> None:
    found = policies(cases.render_body(cases.body(networkPolicy=network)))
    assert found["nsaas-default-deny-egress"] == {"podSelector": ALL_PODS, "policyTypes": ["Egress"]}
    [rule] = found["nsaas-allow-dns-egress"]["egress"]
    assert rule["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert {(p["protocol"], p["port"]) for p in rule["ports"]} == {("UDP", 53), ("TCP", 53)}


def test_internet_egress_excludes_cluster_private_ranges_and_cloud_metadata() -> None:
    found = policies(cases.render_body(cases.body()))
    [rule] = found["nsaas-allow-internet-egress"]["egress"]
    block = rule["to"][0]["ipBlock"]
    assert block["cidr"] == "0.0.0.0/0"
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(block["except"])


def test_database_access_allows_the_configured_cidrs_on_the_configured_tcp_ports_only() -> None:
    cfg = cases.settings(database_cidrs=["10.9.0.0/16", "10.10.1.0/24"], database_ports=[5432, 6432])
    without = policies(cases.render_body(cases.body(), cfg))
    found = policies(cases.render_body(cases.body(features=["database-access"]), cfg))
    assert "nsaas-allow-database-egress" not in without
    [rule] = found["nsaas-allow-database-egress"]["egress"]
    assert rule["to"] == [{"ipBlock": {"cidr": "10.9.0.0/16"}}, {"ipBlock": {"cidr": "10.10.1.0/24"}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5432}, {"protocol": "TCP", "port": 6432}]


def test_monitoring_and_external_ingress_admit_their_namespaces_by_name() -> None:
    cfg = cases.settings(monitoring_namespace="prom", ingress_namespace="gateways")
    found = policies(cases.render_body(cases.body(features=["monitoring-enhanced", "external-ingress"]), cfg))
    monitoring = found["nsaas-allow-monitoring-ingress"]["ingress"][0]["from"][0]
    gateway = found["nsaas-allow-ingress-gateway"]["ingress"][0]["from"][0]
    assert monitoring == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "prom"}}}
    assert gateway == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateways"}}}


def test_istio_sidecars_may_reach_the_control_plane_only_with_istio_injection() -> None:
    assert "nsaas-allow-istio-control-plane-egress" not in policies(cases.render_body(cases.body()))
    found = policies(cases.render_body(cases.body(features=["istio-injection"])))
    [rule] = found["nsaas-allow-istio-control-plane-egress"]["egress"]
    assert rule == {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}]}


def test_no_policy_selects_namespaces_by_a_label_a_tenant_could_write() -> None:
    bundle = cases.render_body(
        cases.body(networkPolicy="team-shared", features=["monitoring-enhanced", "external-ingress", "istio-injection"])
    )
    platform_labels = {"kubernetes.io/metadata.name", "platform.io/team", "platform.io/managed"}
    for manifest in bundle.objects("NetworkPolicy"):
        rules = manifest["spec"].get("ingress", []) + manifest["spec"].get("egress", [])
        for rule in rules:
            for peer in rule.get("from", []) + rule.get("to", []):
                if "namespaceSelector" in peer:
                    assert set(peer["namespaceSelector"]["matchLabels"]) <= platform_labels
