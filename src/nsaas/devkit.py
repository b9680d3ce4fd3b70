"""What dev mode, the tests and the benchmarks share to stand up a cluster that looks installed.

``nsaas dev``, the test fixtures and ``bench/`` all start the embedded simulator (or point at a
cluster) and then make it look like one the deploy stack installed: the platform's own namespaces
and the Argo WorkflowTemplates of ``deploy/argo``. That bootstrap lives here, once, instead of in
a command module the tests would have to import. Production code never imports this module.

It also installs the NamespaceRequest CRD of ``deploy/gitops`` and the namespace GitOps requests
live in, so the GitOps path works in ``nsaas dev`` as on a cluster the deploy stack set up. The
platform itself never writes CustomResourceDefinitions (its cluster adapter refuses the kind), so
that one object is applied here with a plain client.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.types import PatchType

from nsaas import config
from nsaas.adapters.kube import client
from nsaas.services import ports
from nsaas.sim import server as sim_server

#: Where ``nsaas dev`` keeps the embedded cluster's objects between runs (under ``NSAAS_DATA_DIR``).
CLUSTER_STATE_FILE = "cluster-state.json"

#: The dev kit exists only in a checkout (the wheel leaves it out), next to deploy/.
TEMPLATE_DIRS = (Path(__file__).resolve().parents[2] / "deploy" / "argo" / "workflowtemplates",)
NAMESPACE_REQUEST_CRD = Path(__file__).resolve().parents[2] / "deploy" / "gitops" / "namespacerequest-crd.yaml"


def workflow_templates() -> list[dict[str, Any]]:
    """The platform's WorkflowTemplates, as ``deploy/argo`` installs them (the caller's own copies)."""
    return copy.deepcopy(_parsed_workflow_templates())


@functools.cache
def _parsed_workflow_templates() -> list[dict[str, Any]]:
    """Parsed once per process: every test bootstraps the cluster, and the YAML parser is slow."""
    for folder in TEMPLATE_DIRS:
        if folder.is_dir():
            docs: list[dict[str, Any]] = []
            for path in sorted(folder.glob("*.yaml")):
                docs.extend(
                    d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "WorkflowTemplate"
                )
            return docs
    return []


@functools.cache
def _parsed_namespace_request_crd() -> dict[str, Any]:
    crd: dict[str, Any] = yaml.safe_load(NAMESPACE_REQUEST_CRD.read_text(encoding="utf-8"))
    return crd


def platform_namespaces(settings: config.Settings) -> list[str]:
    """Namespaces the platform's own components live in on a real cluster (Argo, Velero, monitoring ...)."""
    bundle = settings.bundle
    names = [
        settings.engines.argo_namespace,
        bundle.velero_namespace,
        bundle.monitoring_namespace,
        bundle.ingress_namespace,
        "istio-system",
        "platform-system",
    ]
    return list(dict.fromkeys(names))


async def bootstrap_cluster(cluster: ports.Cluster, settings: config.Settings) -> None:
    """Make an empty cluster look like one the deploy stack installed: namespaces and templates."""
    namespace = settings.engines.argo_namespace
    for name in platform_namespaces(settings):
        await cluster.apply_object(manifest={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    for template in workflow_templates():
        template["metadata"]["namespace"] = namespace
        await cluster.apply_object(manifest=template)
    await install_namespace_request_crd(settings)
    gitops_namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": settings.gitops.namespace}}
    await cluster.apply_object(manifest=gitops_namespace)


async def install_namespace_request_crd(settings: config.Settings) -> None:
    """Server-side apply the NamespaceRequest CRD (GitOps path) with the platform's kubeconfig."""
    crd = copy.deepcopy(_parsed_namespace_request_crd())
    lk = client.connect(settings=settings)
    try:
        await lk.patch(
            CustomResourceDefinition,
            crd["metadata"]["name"],
            crd,
            patch_type=PatchType.APPLY,
            field_manager=settings.cluster.field_manager,
            force=True,
        )
    finally:
        await lk.aclose()


def persistent_simulator(data_dir: Path) -> sim_server.Simulator:
    """The embedded cluster of ``nsaas dev``: its objects survive a restart, like a real cluster's."""
    return sim_server.Simulator(state_file=data_dir / CLUSTER_STATE_FILE)
