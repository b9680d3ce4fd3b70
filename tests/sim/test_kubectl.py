"""kubectl, a real Kubernetes client, works against the simulator with the kubeconfig it writes."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
from collections.abc import Callable

import pytest

from tests.support.requirements import need

pytestmark = pytest.mark.kubectl
Kubectl = Callable[..., subprocess.CompletedProcess[str]]

BUNDLE = """
apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
  labels: {{platform.io/team: {team}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: {ns}}}
data: {{color: blue}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny, namespace: {ns}}}
spec: {{podSelector: {{}}, policyTypes: [Ingress]}}
"""


@pytest.fixture
def kubectl(sim_kubeconfig: pathlib.Path) -> Kubectl:
    binary = shutil.which("kubectl")
    need("kubectl", available=binary is not None, reason="kubectl is not on PATH")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(binary), "--kubeconfig", str(sim_kubeconfig), "--request-timeout=10s", *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run


def test_kubectl_lists_namespaces(kubectl: Kubectl) -> None:
    output = kubectl("get", "ns").stdout

    assert output.splitlines()[0].split() == ["NAME", "STATUS", "AGE"]
    assert any(line.split()[:2] == ["kube-system", "Active"] for line in output.splitlines())


def test_kubectl_lists_api_resources(kubectl: Kubectl) -> None:
    output = kubectl("api-resources").stdout

    assert "networkpolicies" in output
    assert "workflows" in output


def test_kubectl_server_side_apply_then_select_by_label(kubectl: Kubectl, tmp_path: pathlib.Path) -> None:
    manifest = tmp_path / "bundle.yaml"
    manifest.write_text(BUNDLE.format(ns="kubectl-apply", team="blue"))

    applied = kubectl("apply", "--server-side", "-f", str(manifest)).stdout
    selected = kubectl("get", "ns", "-l", "platform.io/team=blue", "-o", "name").stdout
    config = kubectl("get", "configmap", "settings", "-n", "kubectl-apply", "-o", "jsonpath={.data.color}").stdout

    assert "networkpolicy.networking.k8s.io/default-deny serverside-applied" in applied
    assert selected.split() == ["namespace/kubectl-apply"]
    assert config == "blue"


def test_kubectl_waits_for_a_namespace_to_be_active(kubectl: Kubectl, tmp_path: pathlib.Path) -> None:
    manifest = tmp_path / "bundle.yaml"
    manifest.write_text(BUNDLE.format(ns="kubectl-wait", team="green"))
    kubectl("apply", "--server-side", "-f", str(manifest))

    result = kubectl("wait", "--for=jsonpath={.status.phase}=Active", "ns/kubectl-wait", "--timeout=10s")

    assert "condition met" in result.stdout


def test_kubectl_deletes_a_namespace_which_terminates_then_disappears(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "kubectl-delete")
    kubectl("create", "configmap", "held", "-n", "kubectl-delete")
    kubectl(
        "patch",
        "configmap",
        "held",
        "-n",
        "kubectl-delete",
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":["example.com/hold"]}}',
    )

    kubectl("delete", "ns", "kubectl-delete", "--wait=false")
    phase = kubectl("get", "ns", "kubectl-delete", "-o", "jsonpath={.status.phase}").stdout
    kubectl(
        "patch",
        "configmap",
        "held",
        "-n",
        "kubectl-delete",
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
    )
    kubectl("wait", "--for=delete", "ns/kubectl-delete", "--timeout=10s")

    assert phase == "Terminating"
    gone = kubectl("get", "ns", "kubectl-delete", check=False)
    assert gone.returncode != 0
    assert 'namespaces "kubectl-delete" not found' in gone.stderr


def test_kubectl_delete_waits_until_the_namespace_is_gone(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "kubectl-delete-wait")

    deleted = kubectl("delete", "ns", "kubectl-delete-wait", "--timeout=10s")

    assert 'namespace "kubectl-delete-wait" deleted' in deleted.stdout
    assert kubectl("get", "ns", "kubectl-delete-wait", check=False).returncode != 0
