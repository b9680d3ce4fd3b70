"""The resource quota controller keeps status.hard and status.used current."""

from __future__ import annotations

from typing import Any

import httpx

from nsaas.sim import server
from tests.sim.conftest import eventually


def _status(kube: httpx.Client, namespace: str) -> dict[str, Any]:
    return dict(kube.get(f"/api/v1/namespaces/{namespace}/resourcequotas/limits").json().get("status") or {})


def _pod(name: str, cpu: str, memory: str) -> dict[str, Any]:
    container = {"name": "main", "image": "busybox", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
    return {"metadata": {"name": name}, "spec": {"containers": [container]}}


def test_quota_status_mirrors_hard_and_counts_objects(kube: httpx.Client, namespace: str) -> None:
    hard = {
        "pods": "10",
        "configmaps": "5",
        "count/roles.rbac.authorization.k8s.io": "3",
        "requests.cpu": "4",
        "requests.memory": "8Gi",
    }
    kube.post(
        f"/api/v1/namespaces/{namespace}/resourcequotas", json={"metadata": {"name": "limits"}, "spec": {"hard": hard}}
    )
    expected_empty = {
        "pods": "0",
        "configmaps": "0",
        "count/roles.rbac.authorization.k8s.io": "0",
        "requests.cpu": "0",
        "requests.memory": "0",
    }
    eventually(lambda: _status(kube, namespace).get("used") == expected_empty)

    kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json={"metadata": {"name": "c"}})
    kube.post(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles", json={"metadata": {"name": "r"}})
    kube.post(f"/api/v1/namespaces/{namespace}/pods", json=_pod("a", "250m", "256Mi"))
    kube.post(f"/api/v1/namespaces/{namespace}/pods", json=_pod("b", "1", "1Gi"))

    expected = {
        "pods": "2",
        "configmaps": "1",
        "count/roles.rbac.authorization.k8s.io": "1",
        "requests.cpu": "1250m",
        "requests.memory": "1280Mi",
    }
    status = eventually(lambda: (s := _status(kube, namespace)).get("used") == expected and s)
    assert status["hard"] == hard


def test_quota_usage_drops_when_objects_are_deleted(
    kube: httpx.Client, namespace: str, simulator: server.Simulator
) -> None:
    kube.post(
        f"/api/v1/namespaces/{namespace}/resourcequotas",
        json={"metadata": {"name": "limits"}, "spec": {"hard": {"secrets": "4"}}},
    )
    kube.post(f"/api/v1/namespaces/{namespace}/secrets", json={"metadata": {"name": "s"}})
    simulator.wait_idle()
    counted = _status(kube, namespace).get("used")

    kube.delete(f"/api/v1/namespaces/{namespace}/secrets/s")
    simulator.wait_idle()

    assert counted == {"secrets": "1"}
    assert _status(kube, namespace).get("used") == {"secrets": "0"}
