"""Fault injection through the HTTP control API and the Python API."""

from __future__ import annotations

import httpx
import pytest

from nsaas.sim import faults


def test_an_injected_500_is_a_status_and_counted(kube: httpx.Client, namespace: str) -> None:
    kube.post("/_sim/faults", json={"rules": [{"verb": "list", "resource": "configmaps", "rate": 1, "error": "500"}]})

    failed = kube.get(f"/api/v1/namespaces/{namespace}/configmaps")
    unaffected = kube.get(f"/api/v1/namespaces/{namespace}/secrets")
    stats = kube.get("/_sim/stats").json()
    kube.delete("/_sim/faults")
    recovered = kube.get(f"/api/v1/namespaces/{namespace}/configmaps")

    assert failed.status_code == 500
    assert failed.json()["reason"] == "InternalError"
    assert unaffected.status_code == 200
    assert stats["faultsInjected"]["500"] >= 1
    assert recovered.status_code == 200


def test_an_injected_429_carries_retry_after(kube: httpx.Client, namespace: str, sim_faults: faults.Faults) -> None:
    sim_faults.set([{"verb": "create", "resource": "*", "rate": 1.0, "error": "429", "retryAfterSeconds": 3}])

    response = kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json={"metadata": {"name": "c"}})

    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json()["reason"] == "TooManyRequests"


def test_an_injected_conflict_is_a_409_status(kube: httpx.Client, namespace: str, sim_faults: faults.Faults) -> None:
    sim_faults.set([faults.Rule(verb="*", resource="configmaps", rate=1.0, error="409")])

    response = kube.post(f"/api/v1/namespaces/{namespace}/configmaps", json={"metadata": {"name": "c"}})

    assert response.status_code == 409
    assert response.json()["reason"] == "Conflict"


def test_a_dropped_connection_gets_no_response(kube: httpx.Client, namespace: str, sim_faults: faults.Faults) -> None:
    sim_faults.set([{"verb": "get", "resource": "configmaps", "rate": 1.0, "error": "drop"}])

    with pytest.raises(httpx.RemoteProtocolError):
        kube.get(f"/api/v1/namespaces/{namespace}/configmaps/any")

    assert sim_faults.stats()["faultsInjected"]["drop"] >= 1


def test_a_seeded_rate_faults_some_requests_reproducibly(
    kube: httpx.Client, namespace: str, sim_faults: faults.Faults
) -> None:
    def outcomes() -> list[int]:
        kube.post("/_sim/faults", json={"rules": [{"verb": "list", "rate": 0.5, "error": "500"}], "seed": 7})
        return [kube.get(f"/api/v1/namespaces/{namespace}/pods").status_code for _ in range(20)]

    first, second = outcomes(), outcomes()

    assert first == second
    assert set(first) == {200, 500}


def test_latency_rules_are_counted_without_failing_requests(
    kube: httpx.Client, namespace: str, sim_faults: faults.Faults
) -> None:
    sim_faults.set([{"verb": "*", "resource": "*", "latencyMs": 5}])

    response = kube.get(f"/api/v1/namespaces/{namespace}/pods")

    assert response.status_code == 200
    assert sim_faults.stats()["faultsInjected"]["latency"] >= 1


def test_invalid_fault_rules_are_refused(kube: httpx.Client) -> None:
    response = kube.post("/_sim/faults", json={"rules": [{"error": "teapot"}]})

    assert response.status_code == 400
    assert kube.get("/_sim/faults").json() == {"rules": []}


def test_discovery_is_never_faulted(kube: httpx.Client, sim_faults: faults.Faults) -> None:
    sim_faults.set([{"verb": "*", "resource": "*", "rate": 1.0, "error": "500"}])

    assert kube.get("/api/v1").status_code == 200
    assert kube.get("/apis").status_code == 200
