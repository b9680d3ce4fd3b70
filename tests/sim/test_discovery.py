"""Discovery documents, and custom resource definitions that extend the API at run time."""

from __future__ import annotations

import httpx


def test_core_discovery_lists_the_built_in_kinds(kube: httpx.Client) -> None:
    resources = {r["name"]: r for r in kube.get("/api/v1").json()["resources"]}

    assert kube.get("/api").json()["versions"] == ["v1"]
    assert resources["namespaces"]["namespaced"] is False
    assert resources["configmaps"]["kind"] == "ConfigMap"
    assert "namespaces/status" in resources


def test_group_discovery_lists_custom_kinds_of_a_platform_cluster(kube: httpx.Client) -> None:
    groups = {g["name"]: g for g in kube.get("/apis").json()["groups"]}
    argo = kube.get("/apis/argoproj.io/v1alpha1").json()

    assert groups["external-secrets.io"]["preferredVersion"]["version"] == "v1beta1"
    assert {
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "coordination.k8s.io",
        "apiextensions.k8s.io",
        "security.istio.io",
        "networking.istio.io",
        "monitoring.coreos.com",
        "velero.io",
    } <= set(groups)
    assert {r["name"] for r in argo["resources"]} == {"workflows", "workflowtemplates"}


def test_version_reports_a_kubernetes_version(kube: httpx.Client) -> None:
    version = kube.get("/version").json()

    assert version["major"] == "1"
    assert version["gitVersion"].startswith("v1.")


def test_an_unknown_path_is_a_404_status(kube: httpx.Client) -> None:
    response = kube.get("/apis/example.com/v1/widgets")

    assert response.status_code == 404
    assert response.json()["kind"] == "Status"


def test_a_new_crd_adds_its_kind_to_discovery_and_the_api(kube: httpx.Client, namespace: str) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {"type": "object"}}}
            ],
        },
    }
    assert kube.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd).status_code == 201

    created = kube.post(
        f"/apis/example.com/v1/namespaces/{namespace}/gadgets",
        json={"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}},
    )
    discovered = {r["name"] for r in kube.get("/apis/example.com/v1").json()["resources"]}
    kube.delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com")

    assert created.status_code == 201
    assert discovered == {"gadgets"}
    assert kube.get(f"/apis/example.com/v1/namespaces/{namespace}/gadgets/g").status_code == 404
    assert kube.get("/apis/example.com/v1").status_code == 404


def test_kubectl_get_asks_for_tables_and_gets_them(kube: httpx.Client) -> None:
    table = kube.get("/api/v1/namespaces", headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}).json()

    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Status", "Age"]
    rows = {row["cells"][0]: row["cells"][1] for row in table["rows"]}
    assert rows["default"] == "Active"  # the session's simulator holds other tests' namespaces too
