"""The renderer's contract with the reconciler: deterministic, ordered, digested, labelled."""

from __future__ import annotations

import yaml

from nsaas.bundle import model, render
from nsaas.domain import requests
from tests.golden import cases


def test_same_input_gives_same_manifests_and_same_digest() -> None:
    raw = cases.body(features=list(requests.FEATURES), networkPolicy="team-shared", ttl="7d")
    first, second = cases.render_body(raw), cases.render_body(raw)
    assert first.manifests == second.manifests
    assert first.digest == second.digest
    assert render.to_yaml(first) == render.to_yaml(second)


def test_any_change_of_the_request_changes_the_digest() -> None:
    base = cases.render_body(cases.body()).digest
    changed = [
        cases.render_body(cases.body(resourceTier="medium")).digest,
        cases.render_body(cases.body(features=["monitoring-enhanced"])).digest,
        cases.render_body(cases.body(description="now described")).digest,
        cases.render_body(cases.body(), cases.settings(pod_security={"development": "restricted"})).digest,
    ]
    assert base not in changed
    assert len(set(changed)) == len(changed)


def test_digest_is_sha256_hex_and_recomputable_from_the_manifests() -> None:
    bundle = cases.render_body(cases.body(features=["istio-injection"]))
    namespace = bundle.objects("Namespace")[0]
    assert namespace["metadata"]["annotations"]["platform.io/bundle-digest"] == bundle.digest
    assert len(bundle.digest) == 64
    assert int(bundle.digest, 16) >= 0
    assert render.digest_of(bundle.manifests) == bundle.digest


def test_a_tampered_manifest_no_longer_matches_the_digest() -> None:
    bundle = cases.render_body(cases.body())
    tampered = [dict(m) for m in bundle.manifests]
    tampered[2] = {**tampered[2], "spec": {"hard": {"pods": "1000"}}}
    assert render.digest_of(tampered) != bundle.digest


def test_manifests_come_in_the_apply_order_of_model_kinds() -> None:
    bundle = cases.render_body(cases.body(features=list(requests.FEATURES)))
    order = [model.KIND_ORDER[(m["apiVersion"], m["kind"])] for m in bundle.manifests]
    assert order == sorted(order)
    assert bundle.manifests[0]["kind"] == "Namespace"
    assert {kind.kind for kind in model.KINDS} == {m["kind"] for m in bundle.manifests}


def test_selector_is_exactly_the_managed_by_and_request_id_labels() -> None:
    bundle = cases.render_body(cases.body())
    assert dict(bundle.selector) == {
        "app.kubernetes.io/managed-by": "nsaas",
        "platform.io/request-id": cases.REQUEST_ID,
    }
    for manifest in bundle.manifests:
        assert bundle.selector.items() <= manifest["metadata"]["labels"].items()


def test_production_medium_with_istio_contains_exactly_the_described_objects() -> None:
    bundle = cases.render_body(
        cases.body(namespaceName="shop", environment="production", resourceTier="medium", features=["istio-injection"])
    )
    assert [(m["kind"], m["metadata"]["name"]) for m in bundle.manifests] == [
        ("Namespace", "shop"),
        ("ServiceAccount", "deployer"),
        ("ResourceQuota", "nsaas-quota"),
        ("LimitRange", "nsaas-limits"),
        ("RoleBinding", "nsaas-deployer-edit"),
        ("NetworkPolicy", "nsaas-allow-dns-egress"),
        ("NetworkPolicy", "nsaas-allow-internet-egress"),
        ("NetworkPolicy", "nsaas-allow-istio-control-plane-egress"),
        ("NetworkPolicy", "nsaas-allow-same-namespace"),
        ("NetworkPolicy", "nsaas-default-deny-egress"),
        ("NetworkPolicy", "nsaas-default-deny-ingress"),
        ("PeerAuthentication", "default"),
        ("Sidecar", "default"),
        ("AuthorizationPolicy", "nsaas-allow-callers"),
    ]
    assert all(m["metadata"]["namespace"] == "shop" for m in bundle.manifests[1:])
    # No object outside "shop", yet Velero's namespace is named: prune looks there for a Schedule
    # left by an earlier version of the request that had backups.
    assert bundle.extra_namespaces == ("velero",)


def test_backup_puts_the_velero_namespace_in_extra_namespaces() -> None:
    bundle = cases.render_body(cases.body(features=["backup-enabled"]), cases.settings(velero_namespace="backups"))
    assert bundle.extra_namespaces == ("backups",)
    assert {m["metadata"].get("namespace") for m in bundle.manifests} == {None, "payments-dev", "backups"}


def test_yaml_is_multi_document_and_loads_back_to_the_same_manifests() -> None:
    bundle = cases.render_body(cases.body(features=list(requests.FEATURES), networkPolicy="team-shared"))
    text = render.to_yaml(bundle)
    assert text.startswith("---\napiVersion: v1\nkind: Namespace\n")
    assert list(yaml.safe_load_all(text)) == list(bundle.manifests)
    assert "&id" not in text, "no YAML anchors: every document must stand alone"


def test_rendering_does_not_share_structure_between_objects() -> None:
    bundle = cases.render_body(cases.body(networkPolicy="team-shared"))
    same = next(m for m in bundle.objects("NetworkPolicy") if m["metadata"]["name"] == "nsaas-allow-same-namespace")
    same["spec"]["egress"][0]["to"].clear()
    assert same["spec"]["ingress"][0]["from"], "editing egress peers must not empty the ingress peers"
