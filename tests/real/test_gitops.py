"""The GitOps request path against the real kube-apiserver: the CRD from ``deploy/gitops`` (so its
structural schema, status subresource and printer columns are checked by a real server, not the
simulator), a NamespaceRequest applied with kubectl, the worker's status written back through the
status subresource, and deletion decommissioning the namespace for real (the namespace controller
of kube-controller-manager finalizes it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.real.conftest import DEPLOY, DevPlatform, kubectl
from tests.support.platform import wait_for
from tests.support.testenv import ROOT

pytestmark = pytest.mark.real

EXAMPLE = ROOT / "examples" / "gitops" / "namespacerequest.yaml"
REQUESTS_NAMESPACE = "nsaas-requests"
CRD = "customresourcedefinition/namespacerequests.platform.io"
#: Generous: the machine may be shared with a CI run.
SECONDS = 180.0


@pytest.fixture
def gitops_crd(real_kubeconfig: Path) -> None:
    """``deploy/gitops`` (the CRD) and the ``nsaas-requests`` namespace of ``deploy/namespaces``,
    applied server-side before the platform starts, as the operators layer does."""
    kubectl(real_kubeconfig, "apply", "--server-side", "-k", str(DEPLOY / "gitops"))
    kubectl(real_kubeconfig, "wait", "--for=condition=Established", "--timeout=60s", CRD)
    documents = yaml.safe_load_all((DEPLOY / "namespaces" / "namespaces.yaml").read_text())
    namespace = next(d for d in documents if d and d["metadata"]["name"] == REQUESTS_NAMESPACE)
    kubectl(real_kubeconfig, "apply", "--server-side", "-f", "-", stdin=json.dumps(namespace))


def test_a_namespace_request_is_provisioned_and_decommissioned_on_the_real_cluster(
    real_kubeconfig: Path, gitops_crd: None, nsaas_dev: DevPlatform
) -> None:
    example = yaml.safe_load(EXAMPLE.read_text())
    name = example["metadata"]["name"]
    assert example["spec"]["environment"] == "development"

    kubectl(real_kubeconfig, "apply", "-f", str(EXAMPLE))

    def request() -> dict[str, Any]:
        done = kubectl(real_kubeconfig, "-n", REQUESTS_NAMESPACE, "get", "namespacerequest", name, "-o", "json")
        loaded: dict[str, Any] = json.loads(done.stdout)
        return loaded

    def ready() -> dict[str, Any] | None:
        obj = request()
        status = obj.get("status") or {}
        conditions = {c["type"]: c for c in status.get("conditions") or []}
        done = conditions.get("Ready", {}).get("status") == "True"
        return obj if done and status.get("observedGeneration") == obj["metadata"]["generation"] else None

    obj = wait_for("NamespaceRequest Ready=True for its generation", ready, timeout=SECONDS)
    status = obj["status"]
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Accepted": "True",
        "Ready": "True",
        "Failed": "False",
    }
    assert all(c["observedGeneration"] == obj["metadata"]["generation"] for c in status["conditions"])
    assert (status["namespace"], status["phase"]) == (name, "ready")
    assert status["requestId"]

    labels = json.loads(kubectl(real_kubeconfig, "get", "namespace", name, "-o", "json").stdout)["metadata"]["labels"]
    assert labels["platform.io/managed"] == "true"
    headers = {"Authorization": f"Bearer {nsaas_dev.token('team-a-developer')}"}
    with httpx.Client(base_url=nsaas_dev.api, headers=headers) as http:
        assert http.get(f"/api/platform/namespaces/{name}").json()["data"]["status"] == "ready"

    kubectl(real_kubeconfig, "-n", REQUESTS_NAMESPACE, "delete", "namespacerequest", name, "--wait=true")

    def gone() -> bool:
        done = kubectl(real_kubeconfig, "get", "namespace", name, "-o", "name", check=False)
        return done.returncode != 0 and "NotFound" in done.stderr

    wait_for(f"namespace {name} to be deleted for good (404)", gone, timeout=SECONDS)
