"""Server-side apply: merge a manager's configuration and prune what it stopped applying.

See ``managed`` for the ownership rules. Maps merge key by key; lists and scalars in the
configuration replace what is stored.
"""

from __future__ import annotations

from typing import Any

from nsaas.sim import managed, objects

Obj = dict[str, Any]


def merge(
    old: Obj, config: Obj, *, manager: str, subresource: str, status_subresource: bool
) -> tuple[Obj, managed.Ownership]:
    """The object after ``manager`` applies ``config`` to ``old``, and the new field ownership."""
    section = "status" if subresource == "status" else None
    exclude_status = status_subresource and not subresource
    applied = managed.paths(config, section=section, exclude_status=exclude_status)
    ownership = managed.Ownership(old["metadata"].get("managedFields"))
    key = (manager, "Apply", subresource)
    keep = ownership.owned_by_others(key) | applied
    new: Obj = objects.clone(old)
    for path in ownership.owned(*key) - applied:
        if not managed.overlaps(path, keep):
            managed.remove(new, path)
    for field, value in config.items():
        if field in ("apiVersion", "kind") or (section and field != section) or (exclude_status and field == "status"):
            continue
        new[field] = _merged(new.get(field), value)
    taken = {p for p in applied if managed.lookup(old, p) != managed.lookup(new, p)}
    ownership.apply(key, applied, taken)
    return new, ownership


def _merged(stored: Any, applied: Any) -> Any:
    if isinstance(applied, dict) and isinstance(stored, dict):
        result = dict(stored)
        for key, value in applied.items():
            result[key] = _merged(stored.get(key), value)
        return result
    return objects.clone(applied)
