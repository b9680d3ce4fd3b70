"""``nsaas dev --kubeconfig``: API, worker and UI against the real control plane, no simulator."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.real.conftest import DevPlatform, kubectl
from tests.support.platform import request_body, unique

pytestmark = pytest.mark.real


def test_nsaas_dev_provisions_on_the_real_cluster(real_kubeconfig: Path, nsaas_dev: DevPlatform) -> None:
    name = unique("dev")
    body = request_body(name, description="nsaas dev against the real control plane")
    headers = {"Authorization": f"Bearer {nsaas_dev.token('team-a-developer')}"}
    with httpx.Client(base_url=nsaas_dev.api, headers=headers) as http:
        accepted = http.post("/api/platform/namespaces/request", json=body)
        assert accepted.status_code == 202, accepted.text
        status = ""
        for _ in range(300):
            status = http.get(f"/api/platform/namespaces/{name}").json()["data"]["status"]
            if status == "ready":
                break
            time.sleep(0.1)
        assert status == "ready"
    label = kubectl(
        real_kubeconfig, "get", "namespace", name, "-o", "jsonpath={.metadata.labels.platform\\.io/managed}"
    )
    assert label.stdout == "true"
    kubectl(real_kubeconfig, "delete", "namespace", name, "--wait=false")
