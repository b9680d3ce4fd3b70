"""Field ownership for server-side apply (``metadata.managedFields``).

A field is identified by its path of map keys; lists, scalars and empty maps are leaves (lists are
owned atomically: the simulator does not track associative list keys as kube-apiserver does).
Each managedFields entry (manager, operation, subresource) owns a set of paths, serialised as
``fieldsV1``. What must stay true:

* Apply gives the applier exactly the paths in its configuration; paths it applied before and
  no longer applies are removed from the object unless another entry still owns them.
* Apply shares ownership when the value is unchanged and takes it over when the value changes
  (as a forced apply would); conflicts between managers are never reported.
* Update (PUT, non-apply PATCH, POST) gives the writer the paths it changed and takes them from
  every other entry; paths it removed are removed from every entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Path = tuple[str, ...]

_IDENTITY = {"apiVersion", "kind"}
_SERVER_META = {
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "generateName",
}
_MISSING = object()


def paths(obj: dict[str, Any], *, section: str | None = None, exclude_status: bool = False) -> set[Path]:
    """Leaf paths of ``obj`` a manager can own; only ``section`` (e.g. "status") when given."""
    found: set[Path] = set()
    for key, value in obj.items():
        if key in _IDENTITY or (section is not None and key != section) or (exclude_status and key == "status"):
            continue
        if key == "metadata" and isinstance(value, dict):
            meta = {k: v for k, v in value.items() if k not in _SERVER_META}
            if meta:
                _walk(meta, ("metadata",), found)
        else:
            _walk(value, (key,), found)
    return found


def _walk(value: Any, prefix: Path, found: set[Path]) -> None:
    if isinstance(value, dict) and value:
        for key, child in value.items():
            _walk(child, (*prefix, key), found)
    else:
        found.add(prefix)


def lookup(obj: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def remove(obj: dict[str, Any], path: Path) -> None:
    """Delete ``path`` in place, then the maps it leaves empty (below the top-level sections)."""
    chain: list[dict[str, Any]] = [obj]
    for key in path[:-1]:
        child = chain[-1].get(key)
        if not isinstance(child, dict):
            return
        chain.append(child)
    chain[-1].pop(path[-1], None)
    for depth in range(len(chain) - 1, 1, -1):
        if not chain[depth]:
            chain[depth - 1].pop(path[depth - 1], None)


def to_fields_v1(owned: Iterable[Path]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sorted(owned):
        node = tree
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return tree


def from_fields_v1(tree: dict[str, Any], prefix: Path = ()) -> set[Path]:
    found: set[Path] = set()
    for key, child in tree.items():
        if not key.startswith("f:"):
            if prefix:
                found.add(prefix)
            continue
        path = (*prefix, key[2:])
        if isinstance(child, dict) and any(k.startswith("f:") for k in child):
            found |= from_fields_v1(child, path)
        else:
            found.add(path)
    return found


def overlaps(path: Path, others: set[Path]) -> bool:
    return any(o[: len(path)] == path or path[: len(o)] == o for o in others)


class Ownership:
    """The managedFields entries of one object, as path sets keyed by (manager, operation, subresource)."""

    def __init__(self, entries: list[dict[str, Any]] | None) -> None:
        self._owned: dict[tuple[str, str, str], set[Path]] = {}
        self._meta: dict[tuple[str, str, str], dict[str, Any]] = {}
        for entry in entries or []:
            key = (
                str(entry.get("manager", "")),
                str(entry.get("operation", "Update")),
                str(entry.get("subresource", "")),
            )
            self._owned[key] = from_fields_v1(entry.get("fieldsV1") or {})
            self._meta[key] = entry

    def owned(self, manager: str, operation: str, subresource: str) -> set[Path]:
        return set(self._owned.get((manager, operation, subresource), set()))

    def owned_by_others(self, key: tuple[str, str, str]) -> set[Path]:
        return set().union(*(p for k, p in self._owned.items() if k != key))

    def apply(self, key: tuple[str, str, str], applied: set[Path], taken: set[Path]) -> None:
        """``key`` now owns exactly ``applied``; ``taken`` (changed values) leaves every other entry."""
        self._release(taken, keep=key)
        self._owned[key] = set(applied)

    def update(self, key: tuple[str, str, str], changed: set[Path], removed: set[Path]) -> None:
        self._release(changed | removed, keep=key)
        self._owned[key] = (self._owned.get(key, set()) - removed) | changed

    def _release(self, released: set[Path], *, keep: tuple[str, str, str]) -> None:
        if not released:
            return
        for key, owned in self._owned.items():
            if key != keep:
                self._owned[key] = {p for p in owned if not overlaps(p, released)}

    def entries(self, *, api_version: str, now: str) -> list[dict[str, Any]]:
        result = []
        for key, owned in self._owned.items():
            if not owned:
                continue
            manager, operation, subresource = key
            fields_v1 = to_fields_v1(owned)
            previous = self._meta.get(key)
            unchanged = previous is not None and previous.get("fieldsV1") == fields_v1
            entry: dict[str, Any] = {
                "manager": manager,
                "operation": operation,
                "apiVersion": api_version,
                "time": previous.get("time", now) if unchanged and previous else now,
                "fieldsType": "FieldsV1",
                "fieldsV1": fields_v1,
            }
            if subresource:
                entry["subresource"] = subresource
            result.append(entry)
        return result


def changed_paths(old: dict[str, Any], new: dict[str, Any], candidates: set[Path]) -> set[Path]:
    return {p for p in candidates if lookup(old, p) != lookup(new, p)}
