"""Server-side apply: creation, field ownership per manager, removal of fields a manager drops."""

from __future__ import annotations

import json

import httpx
import yaml

APPLY = {"Content-Type": "application/apply-patch+yaml"}


def _apply(kube: httpx.Client, url: str, body: object, manager: str, *, as_yaml: bool = False) -> httpx.Response:
    content = yaml.safe_dump(body) if as_yaml else json.dumps(body)
    return kube.patch(url, content=content, params={"fieldManager": manager, "force": "true"}, headers=APPLY)


def _cm(namespace: str, **data: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": namespace}, "data": data}


def test_apply_creates_a_missing_object_with_201(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps/cfg"

    response = _apply(kube, url, _cm(namespace, a="1"), "platform", as_yaml=True)

    assert response.status_code == 201
    assert response.json()["data"] == {"a": "1"}


def test_apply_records_the_fields_each_manager_owns(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps/cfg"
    _apply(kube, url, _cm(namespace, a="1"), "platform")
    _apply(kube, url, _cm(namespace, b="2"), "team")

    entries = {e["manager"]: e for e in kube.get(url).json()["metadata"]["managedFields"]}

    assert entries["platform"]["operation"] == "Apply"
    assert entries["platform"]["fieldsV1"] == {"f:data": {"f:a": {}}}
    assert entries["team"]["fieldsV1"] == {"f:data": {"f:b": {}}}


def test_fields_a_manager_stops_applying_are_removed(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps/cfg"
    labelled = _cm(namespace, a="1", b="2")
    labelled["metadata"] = {"name": "cfg", "labels": {"keep": "x", "drop": "y"}}
    _apply(kube, url, labelled, "platform")

    trimmed = _cm(namespace, a="1")
    trimmed["metadata"] = {"name": "cfg", "labels": {"keep": "x"}}
    result = _apply(kube, url, trimmed, "platform").json()

    assert result["data"] == {"a": "1"}
    assert result["metadata"]["labels"] == {"keep": "x"}


def test_fields_still_owned_by_another_manager_survive(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps/cfg"
    _apply(kube, url, _cm(namespace, a="1", shared="s"), "platform")
    _apply(kube, url, _cm(namespace, shared="s"), "team")

    result = _apply(kube, url, _cm(namespace, a="1"), "platform").json()

    assert result["data"] == {"a": "1", "shared": "s"}


def test_fields_set_by_a_plain_update_are_not_pruned_by_apply(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps/cfg"
    _apply(kube, url, _cm(namespace, a="1"), "platform")
    kube.patch(
        url,
        json={"data": {"extra": "e"}},
        params={"fieldManager": "human"},
        headers={"Content-Type": "application/merge-patch+json"},
    )

    result = _apply(kube, url, _cm(namespace, a="2"), "platform").json()

    assert result["data"] == {"a": "2", "extra": "e"}


def test_apply_without_a_field_manager_is_refused(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps/cfg"

    response = kube.patch(url, content=json.dumps(_cm(namespace)), headers=APPLY)

    assert response.status_code == 422  # as kube-apiserver: PatchOptions are Invalid
    assert response.json()["reason"] == "Invalid"


def test_apply_to_the_status_subresource_leaves_spec_alone(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/services/web"
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
    _apply(kube, url, service, "platform")

    status = {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}
    result = _apply(kube, f"{url}/status", {**service, "spec": {"ports": []}, "status": status}, "observer").json()

    assert result["spec"] == {"ports": [{"port": 80}]}
    assert result["status"] == status


def test_reapplying_the_same_configuration_changes_nothing(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps/cfg"
    first = _apply(kube, url, _cm(namespace, a="1"), "platform").json()

    second = _apply(kube, url, _cm(namespace, a="1"), "platform").json()

    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
