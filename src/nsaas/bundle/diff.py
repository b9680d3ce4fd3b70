"""The per-object difference between two bundles of one namespace: what an upgrade would change.

Objects are matched by (apiVersion, kind, namespace, name). The digest annotation is left out
(it differs whenever anything else does); each changed object carries a unified diff of its
YAML, keys sorted, so a reviewer reads exactly the lines that move. Pure: no I/O.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

import yaml

from nsaas.bundle import model, render

Key = tuple[str, str, str | None, str]
ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True, slots=True)
class ObjectChange:
    api_version: str
    kind: str
    namespace: str | None
    name: str
    change: ChangeKind
    #: Unified diff of the object's YAML (``---`` the current version, ``+++`` the target).
    diff: str


def _by_key(bundle: model.Bundle) -> dict[Key, model.Manifest]:
    return {
        (m["apiVersion"], m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]): render.without_digest(m)
        for m in bundle.manifests
    }


def _lines(manifest: model.Manifest | None) -> list[str]:
    if manifest is None:
        return []
    text = yaml.safe_dump(manifest, sort_keys=True, default_flow_style=False, width=1000)
    return text.splitlines(keepends=True)


def changes(current: model.Bundle, target: model.Bundle) -> list[ObjectChange]:
    """Every object that is added, removed or changed going from ``current`` to ``target``, in apply order."""
    old, new = _by_key(current), _by_key(target)
    found = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (model.KIND_ORDER[k[:2]], k[2] or "", k[3])):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        change: ChangeKind = "added" if before is None else "removed" if after is None else "changed"
        label = f"{key[1]}/{key[3]}"
        text = "".join(difflib.unified_diff(_lines(before), _lines(after), f"current/{label}", f"target/{label}"))
        found.append(ObjectChange(key[0], key[1], key[2], key[3], change, text))
    return found
