"""What a check reports: which check, which object, what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Manifest = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.subject}: {self.message}"


def describe(obj: Mapping[str, Any]) -> str:
    """``Kind namespace/name`` of a manifest, for messages."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    name = meta.get("name", "?")
    return f"{obj.get('kind', '?')} {namespace + '/' if namespace else ''}{name}"


def dig(obj: Any, path: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    for step in path.split("."):
        if not isinstance(obj, Mapping) or step not in obj:
            return None
        obj = obj[step]
    return obj
