"""Adding one namespace's context to a kubeconfig file without disturbing the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nsaas.cli.client import profile

SECTIONS = ("clusters", "users", "contexts")


def merge(path: Path, addition: dict[str, Any]) -> None:
    """Replace same-named clusters, users and contexts in ``path`` with ``addition``'s; keep the rest.

    The current context is only set when the file had none, so connecting to a namespace never
    silently redirects the ``kubectl`` commands someone already runs. Written 0600: it may hold a token.
    """
    existing: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        existing = loaded if isinstance(loaded, dict) else {}
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", **existing}
    for section in SECTIONS:
        new = addition.get(section) or []
        names = {entry["name"] for entry in new}
        kept = [entry for entry in merged.get(section) or [] if entry.get("name") not in names]
        merged[section] = kept + new
    if not merged.get("current-context"):
        merged["current-context"] = addition.get("current-context")
    profile.write_private(path, yaml.safe_dump(merged, sort_keys=False))
