"""Where a request path points: a discovery document, a resource, or nothing.

Resource paths are ``/api/v1/...`` (core group) or ``/apis/{group}/{version}/...`` followed by
``{plural}[/{name}[/{subresource}]]`` or ``namespaces/{ns}/{plural}[/{name}[/{subresource}]]``.
``/api/v1/namespaces/{name}/status`` is the namespace's status, not a plural called "status":
a namespaced path needs a namespaced plural in its third segment.
"""

from __future__ import annotations

import dataclasses

from nsaas.sim import resources


@dataclasses.dataclass(frozen=True, slots=True)
class ResourcePath:
    rt: resources.ResourceType
    namespace: str | None  # None: all namespaces (lists and watches of namespaced types)
    name: str | None
    subresource: str


@dataclasses.dataclass(frozen=True, slots=True)
class GroupPath:
    """A path inside a group version that names no resource (discovery or unknown)."""

    group: str
    version: str
    rest: tuple[str, ...]


def parse(path: str, registry: resources.Registry) -> ResourcePath | GroupPath | None:
    parts = tuple(p for p in path.split("/") if p)
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    found = _resource(group, version, rest, registry)
    return found if found is not None else GroupPath(group, version, rest)


def _resource(group: str, version: str, rest: tuple[str, ...], registry: resources.Registry) -> ResourcePath | None:
    if len(rest) >= 3 and rest[0] == "namespaces":
        rt = registry.lookup(group, version, rest[2])
        if rt is not None and rt.namespaced and len(rest) <= 5:
            return ResourcePath(rt, rest[1], rest[3] if len(rest) > 3 else None, rest[4] if len(rest) > 4 else "")
    if not rest or len(rest) > 3:
        return None
    rt = registry.lookup(group, version, rest[0])
    if rt is None or (rt.namespaced and len(rest) > 1):
        return None
    namespace = None if rt.namespaced else ""
    return ResourcePath(rt, namespace, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else "")
