"""The deploy stack validated by a real API server: every built-in-kind object of each overlay
passes ``kubectl apply --server-side --dry-run=server`` (OpenAPI schema, defaulting, validation,
admission), not only the offline checks of ``deploy/validate-production-stack.sh``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.real.conftest import DEPLOY, kubectl, namespaces_used

pytestmark = [pytest.mark.real, pytest.mark.kubectl]

OVERLAYS = ("development", "staging", "production")
#: API groups served by kube-apiserver itself (everything else in the stack is a custom resource).
BUILT_IN_GROUPS = {"", "apps", "batch", "autoscaling", "policy"}


def built_in(doc: dict[str, object]) -> bool:
    group = str(doc["apiVersion"]).rpartition("/")[0]
    return group in BUILT_IN_GROUPS or group.endswith(".k8s.io")


def rendered(overlay: str) -> list[dict[str, object]]:
    out = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_built_in_object_of_the_overlay_passes_a_server_side_dry_run(overlay: str, real_kubeconfig: Path) -> None:
    docs = [d for d in rendered(overlay) if built_in(d)]
    assert len(docs) > 20, f"{overlay} renders suspiciously few built-in objects: {len(docs)}"
    # Objects in a namespace can be dry-run only where the namespace exists: create those first, the
    # overlay's own and those the operators' installs create (monitoring, velero, istio-ingress, ...).
    defined = [d for d in docs if d["kind"] == "Namespace"]
    missing = namespaces_used(docs) - {str(d["metadata"]["name"]) for d in defined}
    namespaces = defined + [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in sorted(missing)]
    kubectl(real_kubeconfig, "apply", "--server-side", "-f", "-", stdin=yaml.safe_dump_all(namespaces))
    done = kubectl(
        real_kubeconfig,
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager=nsaas-deploy",
        "-f",
        "-",
        stdin=yaml.safe_dump_all(docs),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    accepted = [line for line in done.stdout.splitlines() if line.endswith("(server dry run)")]
    assert len(accepted) == len(docs), done.stdout
