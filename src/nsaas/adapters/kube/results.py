"""What the cluster adapter reports back: plain, immutable values with no library types in them.

These are the return types of :class:`nsaas.adapters.kube.cluster.Cluster`. They hold only
builtins and ``Decimal`` so that a port (``services.ports``) can describe them, tests can build
them by hand, and nothing above the adapter layer ever sees a lightkube or httpx object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Manifest = dict[str, Any]


def object_key(manifest: Mapping[str, Any]) -> str:
    """A readable, unique name for an object: ``Kind/namespace/name`` (``Kind/name`` if cluster-scoped).

    Used as the key of :attr:`ApplyResult.failed` and of the drift lists; kinds are unique
    across the groups a bundle may contain, so the group is left out for readability.
    """
    meta = manifest.get("metadata") or {}
    namespace = meta.get("namespace")
    name = meta.get("name", "")
    kind = manifest.get("kind", "")
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Outcome of one :meth:`Cluster.apply`: what was applied, pruned, skipped and what failed."""

    applied: tuple[str, ...] = ()
    pruned: tuple[str, ...] = ()
    #: Object key -> why it failed (apply or prune). Other objects were still attempted.
    failed: Mapping[str, str] = field(default_factory=dict)
    #: Namespaced objects not attempted because their Namespace could not be applied.
    skipped: tuple[str, ...] = ()
    #: Keys of ``failed`` that failed because the cluster was unreachable (429, 5xx, drops, breaker).
    unreachable: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped

    @property
    def cluster_unavailable(self) -> bool:
        """Every failure was the cluster being unreachable (or an object skipped for that): nothing
        about this bundle was refused, so another attempt later is all it needs."""
        return bool(self.failed) and set(self.failed) <= {*self.unreachable, *self.skipped}


@dataclass(frozen=True, slots=True)
class ObjectState:
    """One bundle object as the cluster has it."""

    key: str
    exists: bool
    #: Dotted paths of desired fields whose live value differs (empty when it matches).
    differences: tuple[str, ...] = ()

    @property
    def matches(self) -> bool:
        return self.exists and not self.differences


@dataclass(frozen=True, slots=True)
class ResourceUsage:
    """One line of a ResourceQuota: ``used`` of ``hard`` in base units (cores, bytes, counts)."""

    used: Decimal
    hard: Decimal

    @property
    def ratio(self) -> float:
        """used / hard; 0 when hard is 0 and nothing is used, infinity when over a zero limit."""
        if self.hard == 0:
            return 0.0 if self.used == 0 else float("inf")
        return float(self.used / self.hard)


@dataclass(frozen=True, slots=True)
class Observation:
    """The live state of one bundle: the reconciler compares this to the desired state.

    ``matches`` is what "ready" means: the namespace is Active and every object of the bundle
    exists with every field the platform sets still holding the platform's value.
    """

    namespace: str
    #: ``Active``, ``Terminating``, or None when the namespace does not exist.
    phase: str | None
    objects: tuple[ObjectState, ...] = ()
    #: The bundle digest the namespace was last applied with (its annotation), if any.
    digest: str | None = None
    #: Quota resource name (``requests.cpu``, ``pods`` ...) -> usage, from the bundle's ResourceQuota.
    quota: Mapping[str, ResourceUsage] = field(default_factory=dict)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.objects if not o.exists)

    @property
    def drifted(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.objects if o.exists and o.differences)

    @property
    def matches(self) -> bool:
        return self.phase == "Active" and not self.missing and not self.drifted


@dataclass(frozen=True, slots=True)
class NamespaceInfo:
    """What the platform needs to know about a live namespace before adopting or deleting it."""

    name: str
    phase: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    uid: str | None = None

    @property
    def terminating(self) -> bool:
        return self.phase == "Terminating"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change seen by a watch: ``ADDED``, ``MODIFIED`` or ``DELETED`` and the object as a dict."""

    type: str
    object: Manifest

    @property
    def resource_version(self) -> str | None:
        version = (self.object.get("metadata") or {}).get("resourceVersion")
        return str(version) if version is not None else None
