"""JSON merge patch (RFC 7386) and JSON patch (RFC 6902).

Strategic merge patch is treated as a merge patch: lists are replaced, not merged by key. That is
a documented difference from kube-apiserver (which merges e.g. containers by name); the platform
uses server-side apply, which the simulator implements separately.
"""

from __future__ import annotations

import copy
from typing import Any

from nsaas.sim import errors


def merge(target: Any, patch: Any) -> Any:
    """Return ``target`` with ``patch`` merged in; neither argument is modified."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise errors.bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> Any:
    current = doc
    for part in parts[:-1]:
        current = _child(current, part)
    return current


def _child(container: Any, part: str) -> Any:
    try:
        if isinstance(container, list):
            return container[int(part)]
        return container[part]
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise errors.ApiError(422, "Invalid", f"json patch path not found: {part!r}") from exc


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _parent(doc, parts)
    last = parts[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if not 0 <= index <= len(parent):
            raise errors.ApiError(422, "Invalid", f"json patch index out of range: {last}")
        parent.insert(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise errors.ApiError(422, "Invalid", "json patch target is not a container")
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    parent = _parent(doc, parts)
    _child(parent, parts[-1])
    if isinstance(parent, list):
        del parent[int(parts[-1])]
    else:
        del parent[parts[-1]]
    return doc


def _apply_op(doc: Any, op: dict[str, Any]) -> Any:
    kind = op.get("op")
    parts = _pointer(str(op.get("path", "")))
    if kind == "add":
        return _add(doc, parts, copy.deepcopy(op.get("value")))
    if kind == "remove":
        return _remove(doc, parts)
    if kind == "replace":
        return _add(_remove(doc, parts), parts, copy.deepcopy(op.get("value"))) if parts else op.get("value")
    if kind in ("move", "copy"):
        source = _pointer(str(op.get("from", "")))
        value = copy.deepcopy(_child(_parent(doc, source), source[-1]) if source else doc)
        if kind == "move":
            doc = _remove(doc, source)
        return _add(doc, parts, value)
    if kind == "test":
        actual = _child(_parent(doc, parts), parts[-1]) if parts else doc
        if actual != op.get("value"):
            raise errors.ApiError(422, "Invalid", f"json patch test failed at {op.get('path')!r}")
        return doc
    raise errors.bad_request(f"unknown json patch op {kind!r}")


def json_patch(target: Any, operations: Any) -> Any:
    """Apply RFC 6902 operations to a copy of ``target``."""
    if not isinstance(operations, list):
        raise errors.bad_request("a json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict):
            raise errors.bad_request("a json patch operation must be an object")
        doc = _apply_op(doc, op)
    return doc
