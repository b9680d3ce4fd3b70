"""Pagination of lists with ``limit`` and opaque ``continue`` tokens.

A token records the resourceVersion of the first page and the last key returned. Later pages read
the current state after that key (kube-apiserver reads a snapshot; documented difference); a token
older than the event window is refused with 410 Expired, as after an etcd compaction.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from nsaas.sim import errors, store

Obj = dict[str, Any]


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj["metadata"]
    return (meta.get("namespace", ""), meta["name"])


def _encode(rv: int, after: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"rv": rv, "after": list(after)}).encode()).decode()


def _decode(token: str, objects_store: store.Store) -> tuple[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        rv, after = int(data["rv"]), (str(data["after"][0]), str(data["after"][1]))
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error) as exc:
        raise errors.bad_request("invalid continue token") from exc
    if rv < objects_store.compacted:
        raise errors.expired("The provided continue parameter is too old to display a consistent list result.")
    return after


def page(
    matching: list[Obj], *, limit: int | None, token: str | None, objects_store: store.Store
) -> tuple[list[Obj], dict[str, Any]]:
    """One page of ``matching`` (sorted by namespace and name) and the list metadata to return with it."""
    if token:
        after = _decode(token, objects_store)
        matching = [o for o in matching if _key(o) > after]
    rv = objects_store.resource_version
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if limit and len(matching) > limit:
        meta["continue"] = _encode(rv, _key(matching[limit - 1]))
        meta["remainingItemCount"] = len(matching) - limit
        matching = matching[:limit]
    return matching, meta
