"""``meta.k8s.io/v1 Table`` responses, which ``kubectl get`` asks for to print columns.

Columns are NAME, STATUS (for kinds whose ``status.phase`` is meaningful) and AGE; rows carry
the object's metadata as ``PartialObjectMetadata`` so ``--show-labels`` and ``-L`` work.
"""

from __future__ import annotations

import datetime
from typing import Any

from nsaas.sim import resources

_WITH_PHASE = {"namespaces", "pods", "workflows.argoproj.io", "persistentvolumeclaims"}


def wanted(accept: str) -> bool:
    return "as=Table" in accept


def _column(name: str, description: str, fmt: str = "") -> dict[str, Any]:
    return {"name": name, "type": "string", "format": fmt, "description": description, "priority": 0}


def _age(created: str | None, now: datetime.datetime) -> str:
    if not created:
        return "<unknown>"
    then = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def table(
    rt: resources.ResourceType, items: list[dict[str, Any]], resource_version: str, continue_token: str | None = None
) -> dict[str, Any]:
    phase = rt.key in _WITH_PHASE
    columns = [_column("Name", "Name of the object", "name")]
    if phase:
        columns.append(_column("Status", "The phase of the object"))
    columns.append(_column("Age", "Time since the object was created"))
    now = datetime.datetime.now(datetime.UTC)
    rows = []
    for obj in items:
        meta = obj.get("metadata") or {}
        cells: list[Any] = [meta.get("name", "")]
        if phase:
            cells.append((obj.get("status") or {}).get("phase", ""))
        cells.append(_age(meta.get("creationTimestamp"), now))
        partial = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
        rows.append({"cells": cells, "object": partial})
    list_meta: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        list_meta["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": columns,
        "rows": rows,
    }
