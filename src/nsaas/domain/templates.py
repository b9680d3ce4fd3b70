"""Versioned bundle templates: the renderer's parameters as data, one immutable document per version.

A bundle template version holds what the platform may change about every namespace's bundle
without a code change: the Pod Security enforce level per environment, the LimitRange's
container defaults, extra labels and annotations on the Namespace, and whether the ``isolated``
and ``team-shared`` policies allow internet egress.

Version 1 of the ``standard`` template is built in and is not stored: it is what the settings
say today (:func:`builtin`), so an upgrade to a release with templates changes no namespace's
rendering, hence no digest, hence nothing is re-applied. Later versions are stored documents
(``nsaas.adapters.db.templates``); a version never changes once created, only its state moves
from ``draft`` to ``published``. New namespaces get the newest published version.

Tier quotas are deliberately *not* template parameters: the tier table drives the quota, the
team budgets and the cost estimate together (:mod:`nsaas.domain.tiers`), and a template that
changed one of them would make the three disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from nsaas.domain import errors, tiers

#: The one bundle template: every namespace runs a version of it.
STANDARD = "standard"
TEMPLATE_NAMES: tuple[str, ...] = (STANDARD,)
#: The built-in version (derived from the settings, never stored).
BUILTIN_VERSION = 1
#: How far versions go; far beyond any real history, small enough for every integer column.
MAX_VERSION = 1_000_000

State = Literal["draft", "published"]
PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


@dataclass(frozen=True, slots=True)
class BundleParameters:
    """What a template version sets in every bundle rendered from it."""

    #: Pod Security Admission enforce level per environment (missing: ``restricted``).
    pod_security: Mapping[str, str]
    #: LimitRange defaults of containers that declare no resources.
    container_default_limit: Mapping[str, str] = field(default_factory=lambda: dict(tiers.CONTAINER_DEFAULT_LIMIT))
    container_default_request: Mapping[str, str] = field(default_factory=lambda: dict(tiers.CONTAINER_DEFAULT_REQUEST))
    #: Added to the Namespace; the platform's own labels and annotations always win.
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    namespace_annotations: Mapping[str, str] = field(default_factory=dict)
    #: Whether ``isolated`` / ``team-shared`` namespaces may reach the internet (public addresses).
    internet_egress: bool = True

    def snapshot(self) -> dict[str, Any]:
        """The document's ``spec`` (the API's and the YAML export's shape)."""
        return {
            "podSecurity": dict(sorted(self.pod_security.items())),
            "containerDefaults": {
                "limit": dict(self.container_default_limit),
                "request": dict(self.container_default_request),
            },
            "namespaceLabels": dict(sorted(self.namespace_labels.items())),
            "namespaceAnnotations": dict(sorted(self.namespace_annotations.items())),
            "internetEgress": self.internet_egress,
        }

    @classmethod
    def from_snapshot(cls, spec: Mapping[str, Any]) -> BundleParameters:
        defaults = spec.get("containerDefaults") or {}
        return cls(
            pod_security=dict(spec.get("podSecurity") or {}),
            container_default_limit=dict(defaults.get("limit") or tiers.CONTAINER_DEFAULT_LIMIT),
            container_default_request=dict(defaults.get("request") or tiers.CONTAINER_DEFAULT_REQUEST),
            namespace_labels=dict(spec.get("namespaceLabels") or {}),
            namespace_annotations=dict(spec.get("namespaceAnnotations") or {}),
            internet_egress=bool(spec.get("internetEgress", True)),
        )


def builtin(pod_security: Mapping[str, str]) -> BundleParameters:
    """Version 1: the renderer's behaviour before templates existed, from ``settings.bundle.pod_security``."""
    return BundleParameters(pod_security=dict(pod_security))


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    name: str
    version: int
    parameters: BundleParameters
    state: State
    description: str = ""
    created_at: datetime | None = None
    created_by: str = ""
    published_at: datetime | None = None
    published_by: str | None = None

    @property
    def builtin(self) -> bool:
        return self.version == BUILTIN_VERSION


@dataclass(frozen=True, slots=True)
class Ref:
    """Which template version a namespace runs."""

    name: str = STANDARD
    version: int = BUILTIN_VERSION


def check_name(name: str) -> None:
    if name not in TEMPLATE_NAMES:
        raise errors.NotFound(
            f"no bundle template {name!r}", details={"name": f"bundle templates: {', '.join(TEMPLATE_NAMES)}"}
        )


#: Label and annotation key prefixes a template may not set: Kubernetes' and Istio's own.
RESERVED_KEY_SUFFIXES = ("kubernetes.io", "k8s.io", "istio.io")


def problems(parameters: BundleParameters, *, platform_prefix: str) -> dict[str, str]:
    """Keys a template may not put on a Namespace, by field (``spec.namespaceLabels.<key>``).

    The platform's own keys (tenancy, ownership: security boundaries) and Kubernetes' and Istio's
    (Pod Security, injection) are the platform's; a template setting them would be overwritten
    at best, so it is refused instead."""
    found: dict[str, str] = {}
    for field_name, keys in (
        ("namespaceLabels", parameters.namespace_labels),
        ("namespaceAnnotations", parameters.namespace_annotations),
    ):
        for key in keys:
            prefix = key.rpartition("/")[0]
            if prefix == platform_prefix or prefix.endswith(RESERVED_KEY_SUFFIXES) or key in ("istio-injection",):
                found[f"spec.{field_name}.{key}"] = "reserved for the platform, Kubernetes or Istio"
    return found
