"""The GitOps path end to end: kubectl writes a NamespaceRequest into ``nsaas dev``, whose worker
does the rest (the real watch loop, not a test driving it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.handover import devserver
from tests.support.platform import wait_for

# Each starts (or shares) a real `nsaas dev` process: minutes, so `make ci` runs them and `make test` does not.
pytestmark = [pytest.mark.kubectl, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gitops" / "namespacerequest.yaml"
NAME = "team-a-payments-dev"


def _kubectl(kubectl: str, dev: devserver.DevServer, *args: str) -> str:
    done = subprocess.run(
        [kubectl, "--kubeconfig", str(dev.kubeconfig), *args], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def _request(kubectl: str, dev: devserver.DevServer) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        _kubectl(kubectl, dev, "-n", "nsaas-requests", "get", "nsreq", NAME, "-o", "json")
    )
    return loaded


def _conditions(obj: dict[str, Any]) -> dict[str, str]:
    return {c["type"]: c["status"] for c in (obj.get("status") or {}).get("conditions", [])}


def _when(obj: dict[str, Any], *, generation: int) -> dict[str, Any] | None:
    """``obj`` once its status reports Ready for ``generation``, else None."""
    status = obj.get("status") or {}
    return obj if status.get("observedGeneration") == generation and _conditions(obj).get("Ready") == "True" else None


def _tier(kubectl: str, dev: devserver.DevServer) -> str:
    return _kubectl(kubectl, dev, "get", "ns", NAME, "-o", "jsonpath={.metadata.labels.platform\\.io/tier}")


def test_a_namespace_request_applied_with_kubectl_is_provisioned_resized_protected_and_decommissioned(
    dev: devserver.DevServer, kubectl: str
) -> None:
    _kubectl(kubectl, dev, "apply", "-f", str(EXAMPLE))
    ready = wait_for("Ready=True", lambda: _when(_request(kubectl, dev), generation=1))
    assert _conditions(ready) == {"Accepted": "True", "Ready": "True", "Failed": "False"}
    assert ready["status"]["observedGeneration"] == ready["metadata"]["generation"]
    assert _tier(kubectl, dev) == "small"

    _kubectl(
        kubectl,
        dev,
        "-n",
        "nsaas-requests",
        "patch",
        "nsreq",
        NAME,
        "--type",
        "merge",
        "-p",
        '{"spec":{"resourceTier":"medium"}}',
    )
    wait_for("the namespace to become medium", lambda: _tier(kubectl, dev) == "medium")
    resized = wait_for("Ready at generation 2", lambda: _when(_request(kubectl, dev), generation=2))
    assert resized["metadata"]["generation"] == 2

    subprocess.run([devserver.NSAAS, "logout"], env=dict(dev.env), capture_output=True, timeout=120, check=True)
    assert dev.cli("login", "--persona", "team-a-developer").returncode == 0
    refused = dev.cli("ns", "update", NAME, "--tier", "large")
    assert refused.returncode == 6, refused.stderr
    assert f"{NAME} is managed by GitOps (NamespaceRequest nsaas-requests/{NAME})" in refused.stderr
    assert "pull request" in refused.stderr

    _kubectl(kubectl, dev, "-n", "nsaas-requests", "delete", "nsreq", NAME)
    wait_for(
        "decommissioning",
        lambda: json.loads(dev.cli("ns", "get", NAME, "-o", "json").stdout or "{}").get("status") == "deleted",
    )
