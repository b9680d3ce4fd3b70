"""Finalizers and namespace termination."""

from __future__ import annotations

import httpx

from tests.sim.conftest import eventually

MERGE = {"Content-Type": "application/merge-patch+json"}


def test_a_new_namespace_is_active_and_labelled_with_its_name(kube: httpx.Client, namespace: str) -> None:
    ns = kube.get(f"/api/v1/namespaces/{namespace}").json()

    assert ns["status"]["phase"] == "Active"
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == namespace
    assert ns["spec"]["finalizers"] == ["kubernetes"]


def test_a_finalizer_keeps_a_deleted_object_until_it_is_removed(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    kube.post(url, json={"metadata": {"name": "held", "finalizers": ["example.com/cleanup"]}})

    deleted = kube.delete(f"{url}/held")
    held = kube.get(f"{url}/held")
    kube.patch(f"{url}/held", json={"metadata": {"finalizers": None}}, headers=MERGE)

    assert deleted.status_code == 200  # as kube-apiserver answers: the object, still held
    assert held.status_code == 200
    assert held.json()["metadata"]["deletionTimestamp"]
    assert kube.get(f"{url}/held").status_code == 404


def test_deleting_a_namespace_removes_its_contents_then_the_namespace(kube: httpx.Client, namespace: str) -> None:
    kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json={"metadata": {"name": "c"}})
    kube.post(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles", json={"metadata": {"name": "r"}})

    response = kube.delete(f"/api/v1/namespaces/{namespace}")

    assert response.json()["status"]["phase"] == "Terminating"
    eventually(lambda: kube.get(f"/api/v1/namespaces/{namespace}").status_code == 404)
    assert not [i for i in kube.get("/api/v1/configmaps").json()["items"] if i["metadata"]["namespace"] == namespace]


def test_a_terminating_namespace_refuses_new_content(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    kube.post(url, json={"metadata": {"name": "held", "finalizers": ["example.com/cleanup"]}})
    kube.delete(f"/api/v1/namespaces/{namespace}")

    refused = kube.post(url, json={"metadata": {"name": "late"}})
    still_there = kube.get(f"/api/v1/namespaces/{namespace}").json()

    assert refused.status_code == 403
    assert refused.json()["reason"] == "Forbidden"
    assert (
        f"unable to create new content in namespace {namespace} because it is being terminated"
        in (refused.json()["message"])
    )
    assert still_there["status"]["phase"] == "Terminating"
    kube.patch(f"{url}/held", json={"metadata": {"finalizers": []}}, headers=MERGE)
    eventually(lambda: kube.get(f"/api/v1/namespaces/{namespace}").status_code == 404)


def test_the_namespace_name_label_cannot_be_removed(kube: httpx.Client, namespace: str) -> None:
    current = kube.get(f"/api/v1/namespaces/{namespace}").json()
    current["metadata"]["labels"] = {"team": "a"}

    updated = kube.put(f"/api/v1/namespaces/{namespace}", json=current).json()

    assert updated["metadata"]["labels"] == {"team": "a", "kubernetes.io/metadata.name": namespace}
