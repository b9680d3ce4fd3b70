"""Installing the platform's own CRD (NamespaceRequest) into a dev or test cluster.

Production installs it with the deploy stack (``deploy/gitops``, operators layer); this exists so
``nsaas dev`` and the tests get the same resource in the embedded simulator. It is deliberately
not part of :class:`~nsaas.adapters.kube.cluster.Cluster`: the platform itself never writes
cluster-scoped definitions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.types import PatchType

from nsaas import config
from nsaas.adapters.kube import client

CRD_FILES = (
    Path(__file__).resolve().parents[4] / "deploy" / "gitops" / "namespacerequest-crd.yaml",
    Path(__file__).resolve().parents[2] / "crds" / "namespacerequest-crd.yaml",
)


def namespace_request_crd() -> dict[str, Any]:
    for path in CRD_FILES:
        if path.is_file():
            loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
            return loaded
    raise FileNotFoundError("the NamespaceRequest CRD is neither in deploy/gitops nor in the package")


async def install_namespace_request_crd(settings: config.Settings) -> None:
    """Server-side apply the NamespaceRequest CRD with the platform's kubeconfig."""
    crd = namespace_request_crd()
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
