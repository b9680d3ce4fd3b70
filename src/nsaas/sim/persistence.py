"""The simulator's objects on disk, so ``make run`` survives a restart.

A real cluster outlives the platform's processes; the embedded one must too, or every namespace
the database knows as ready looks "deleted outside the platform" after a restart. The state is
a JSON snapshot of every object and the resourceVersion counter, written atomically (a temporary
file renamed into place) periodically while objects change and once more on shutdown. Restoring
puts CustomResourceDefinitions back first so the types they serve exist again, then the rest.
Watches and the event window are not kept: a client resuming from an older resourceVersion gets
410 Gone and relists, exactly as after an etcd compaction.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
from typing import Any

from nsaas.sim import api, kinds, resources

FORMAT = 1


def save(kube: api.Api, path: pathlib.Path) -> None:
    """Write the snapshot to ``path`` atomically (readable by the owner only)."""
    body = {"format": FORMAT, **kube.store.dump()}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(body, handle, separators=(",", ":"))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def restore(kube: api.Api, path: pathlib.Path) -> bool:
    """Load a snapshot into an empty simulator; False when there is none to load."""
    if not path.is_file():
        return False
    body: dict[str, Any] = json.loads(path.read_text())
    if body.get("format") != FORMAT:
        raise ValueError(f"{path} is not a simulator snapshot of format {FORMAT}; delete it to start afresh")
    version = int(body["resourceVersion"])
    objects: dict[str, list[dict[str, Any]]] = body["objects"]
    crds = objects.pop(kinds.CRD_KEY, [])
    crd_type = kube.registry.by_key(kinds.CRD_KEY)
    assert crd_type is not None
    kube.store.load(crd_type, crds, resource_version=version)
    for crd in crds:
        served = resources.from_crd(crd)
        if served is not None:
            kube.registry.add(served)
    for key, objs in objects.items():
        rt = kube.registry.by_key(key)
        if rt is None:
            raise ValueError(f"{path} holds objects of an unknown type {key}")
        kube.store.load(rt, objs, resource_version=version)
    return True
