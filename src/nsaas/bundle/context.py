"""What every part of the renderer needs: the request, the settings and the ownership labels.

Each renderer module (namespace, quota, network, rbac, ...) is a set of pure functions of a
:class:`RenderContext`. Building metadata here, in one place, is what guarantees that every
object carries the bundle's selector labels: the cluster adapter prunes by exactly those labels,
so an object without them would leak, and an object with different ones could be pruned wrongly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from nsaas import config
from nsaas.bundle import model, ownership
from nsaas.domain import requests, teams, templates

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
#: The immutable label the API server sets on every namespace; safe to select on.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


class RenderSettings(Protocol):
    """The only settings rendering reads: bundle options and label names (``config.Settings`` has both)."""

    @property
    def bundle(self) -> config.BundleSettings: ...

    @property
    def labels(self) -> config.LabelSettings: ...


@dataclass(frozen=True, slots=True)
class RenderContext:
    spec: requests.NamespaceSpec
    settings: RenderSettings
    request_id: str
    requested_by: str
    #: The team's cluster-enforced allow-lists (the team registry); rendered as namespace annotations.
    team_rules: teams.NamespaceRules = teams.UNRESTRICTED
    #: The bundle template version's parameters; None renders the built-in version 1 (the settings).
    parameters: templates.BundleParameters | None = None

    @property
    def template(self) -> templates.BundleParameters:
        if self.parameters is not None:
            return self.parameters
        return templates.builtin(self.settings.bundle.pod_security)

    @property
    def namespace(self) -> str:
        return self.spec.name

    @property
    def bundle(self) -> config.BundleSettings:
        return self.settings.bundle

    @property
    def ownership(self) -> ownership.Ownership:
        return ownership.Ownership.of(self.settings.labels)

    def key(self, name: str) -> str:
        """A label or annotation key under the platform's prefix (``platform.io/<name>``)."""
        return self.ownership.key(name)

    @property
    def selector(self) -> dict[str, str]:
        """The labels that mark an object as belonging to this request's bundle."""
        return {MANAGED_BY_LABEL: self.settings.labels.managed_by, self.ownership.request_id_label: self.request_id}

    def metadata(
        self,
        name: str,
        *,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Object metadata in the tenant namespace (or ``namespace``), with the selector labels.

        The selector labels are applied last so no caller can override them by accident.
        """
        meta: dict[str, Any] = {"name": name, "namespace": namespace or self.namespace}
        meta["labels"] = {**(labels or {}), **self.selector}
        if annotations:
            meta["annotations"] = dict(annotations)
        return meta

    def manifest(self, kind: str, name: str, **body: Any) -> model.Manifest:
        """A namespaced manifest of a kind listed in :data:`model.KINDS`, in the tenant namespace."""
        api_version = next(k.api_version for k in model.KINDS if k.kind == kind)
        return {"apiVersion": api_version, "kind": kind, "metadata": self.metadata(name), **body}


def namespace_selector(name: str) -> dict[str, Any]:
    """A selector for one namespace by its immutable name label (tenants cannot forge it)."""
    return {"matchLabels": {NAMESPACE_NAME_LABEL: name}}
