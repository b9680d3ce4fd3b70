"""Object semantics of create, get, update, patch and delete, as kube-apiserver has them."""

from __future__ import annotations

import httpx

from nsaas.sim import server
from tests.sim.conftest import client_for


def _cm(name: str, **data: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def test_create_returns_201_with_server_fields_and_the_namespace_from_the_url(
    kube: httpx.Client, namespace: str
) -> None:
    response = kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json=_cm("settings", a="1"))

    assert response.status_code == 201
    meta = response.json()["metadata"]
    assert meta["namespace"] == namespace
    assert meta["uid"]
    assert meta["creationTimestamp"].endswith("Z")
    assert int(meta["resourceVersion"]) > 0


def test_resource_versions_increase_across_writes(kube: httpx.Client, namespace: str) -> None:
    first = kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json=_cm("one")).json()
    second = kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json=_cm("two")).json()

    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])


def test_generate_name_gets_a_random_suffix(kube: httpx.Client, namespace: str) -> None:
    body = {"metadata": {"generateName": "job-"}, "data": {}}
    names = {
        kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json=body).json()["metadata"]["name"] for _ in "ab"
    }

    assert len(names) == 2
    assert all(name.startswith("job-") and len(name) == len("job-") + 5 for name in names)


def test_creating_a_duplicate_is_a_409_already_exists_status(kube: httpx.Client, namespace: str) -> None:
    kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json=_cm("dup"))
    response = kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json=_cm("dup"))

    assert response.status_code == 409
    status = response.json()
    assert status["kind"] == "Status"
    assert status["reason"] == "AlreadyExists"
    assert status["details"] == {"name": "dup", "kind": "configmaps"}


def test_creating_in_a_missing_namespace_is_404(kube: httpx.Client) -> None:
    response = kube.post("/api/v1/namespaces/nowhere/configmaps", json=_cm("x"))

    assert response.status_code == 404
    assert response.json()["message"] == 'namespaces "nowhere" not found'


def test_getting_a_missing_object_is_a_404_status(kube: httpx.Client, namespace: str) -> None:
    response = kube.get(f"/api/v1/namespaces/{namespace}/secrets/absent")

    assert response.status_code == 404
    assert response.json()["reason"] == "NotFound"


def test_update_with_a_stale_resource_version_is_a_conflict(kube: httpx.Client, namespace: str) -> None:
    created = kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json=_cm("cas", v="1")).json()
    url = f"/api/v1/namespaces/{namespace}/configmaps/cas"
    assert kube.put(url, json={**created, "data": {"v": "2"}}).status_code == 200

    stale = kube.put(url, json={**created, "data": {"v": "3"}})

    assert stale.status_code == 409
    assert stale.json()["reason"] == "Conflict"
    assert kube.get(url).json()["data"] == {"v": "2"}


def test_merge_json_and_strategic_patches_change_the_object(kube: httpx.Client, namespace: str) -> None:
    kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json=_cm("p", a="1", b="2"))
    url = f"/api/v1/namespaces/{namespace}/configmaps/p"

    kube.patch(url, json={"data": {"b": None, "c": "3"}}, headers={"Content-Type": "application/merge-patch+json"})
    kube.patch(
        url,
        json=[{"op": "add", "path": "/data/d", "value": "4"}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    response = kube.patch(
        url,
        json={"metadata": {"labels": {"x": "y"}}},
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )

    assert response.json()["data"] == {"a": "1", "c": "3", "d": "4"}
    assert response.json()["metadata"]["labels"] == {"x": "y"}


def test_a_failing_json_patch_test_operation_changes_nothing(kube: httpx.Client, namespace: str) -> None:
    kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json=_cm("t", a="1"))
    url = f"/api/v1/namespaces/{namespace}/configmaps/t"

    response = kube.patch(
        url,
        json=[{"op": "replace", "path": "/data/a", "value": "2"}, {"op": "test", "path": "/data/a", "value": "1"}],
        headers={"Content-Type": "application/json-patch+json"},
    )

    assert response.status_code == 422
    assert kube.get(url).json()["data"] == {"a": "1"}


def test_dry_run_returns_the_object_but_persists_nothing(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    created = kube.post(url, params={"dryRun": "All"}, json=_cm("ghost", a="1"))
    kube.post(url, json=_cm("real", a="1"))
    patched = kube.patch(
        f"{url}/real",
        params={"dryRun": "All"},
        json={"data": {"a": "2"}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    deleted = kube.delete(f"{url}/real", params={"dryRun": "All"})

    assert created.status_code == 201
    assert created.json()["metadata"]["name"] == "ghost"
    assert patched.json()["data"] == {"a": "2"}
    assert deleted.status_code == 200
    assert kube.get(f"{url}/ghost").status_code == 404
    assert kube.get(f"{url}/real").json()["data"] == {"a": "1"}


def test_generation_counts_spec_changes_only(kube: httpx.Client, namespace: str) -> None:
    url = f"/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies"
    kube.post(url, json={"metadata": {"name": "np"}, "spec": {"podSelector": {}}})
    merge = {"Content-Type": "application/merge-patch+json"}

    labelled = kube.patch(f"{url}/np", json={"metadata": {"labels": {"a": "b"}}}, headers=merge).json()
    changed = kube.patch(f"{url}/np", json={"spec": {"policyTypes": ["Ingress"]}}, headers=merge).json()

    assert labelled["metadata"]["generation"] == 1
    assert changed["metadata"]["generation"] == 2


def test_status_is_a_subresource(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/services"
    created = kube.post(
        url,
        json={
            "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}},
        },
    ).json()
    merge = {"Content-Type": "application/merge-patch+json"}

    ignored = kube.patch(f"{url}/web", json={"status": {"loadBalancer": {"x": 1}}}, headers=merge).json()
    status_write = kube.patch(
        f"{url}/web/status",
        json={"status": {"loadBalancer": {"ingress": []}}, "spec": {"ports": [{"port": 81}]}},
        headers=merge,
    ).json()

    assert "status" not in created
    assert "status" not in ignored
    assert status_write["status"] == {"loadBalancer": {"ingress": []}}
    assert status_write["spec"]["ports"] == [{"port": 80}]


def test_no_op_writes_keep_the_resource_version(kube: httpx.Client, namespace: str) -> None:
    created = kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json=_cm("same", a="1")).json()

    again = kube.put(f"/api/v1/namespaces/{namespace}/configmaps/same", json=created).json()

    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_delete_collection_removes_only_selected_objects(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        kube.post(url, json={"metadata": {"name": name, "labels": {"tier": tier}}})

    response = kube.delete(url, params={"labelSelector": "tier=web"})

    assert sorted(i["metadata"]["name"] for i in response.json()["items"]) == ["a", "b"]
    assert [i["metadata"]["name"] for i in kube.get(url).json()["items"]] == ["c"]


def test_requests_without_the_token_get_401_status(simulator: server.Simulator) -> None:
    with client_for(simulator, token="wrong") as client:
        for path in ("/api/v1/namespaces", "/version", "/_sim/stats"):
            response = client.get(path)
            assert response.status_code == 401
            assert response.json()["reason"] == "Unauthorized"
    with httpx.Client(verify=simulator.client_ssl_context()) as anonymous:
        assert anonymous.get(f"{simulator.url}/api").status_code == 401


def test_objects_of_every_namespace_are_listed_from_the_cluster_path(kube: httpx.Client, namespace: str) -> None:
    kube.post(f"/api/v1/namespaces/{namespace}/serviceaccounts", json={"metadata": {"name": "robot"}})

    items = kube.get("/api/v1/serviceaccounts").json()["items"]

    assert (namespace, "robot") in {(i["metadata"]["namespace"], i["metadata"]["name"]) for i in items}


def test_a_kind_that_does_not_match_the_url_is_a_bad_request(kube: httpx.Client, namespace: str) -> None:
    response = kube.post(
        f"/api/v1/namespaces/{namespace}/configmaps",
        json={"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "x"}},
    )

    assert response.status_code == 400
